"""After an event: thank the families who came and ask them one question; tell those who did not when it is on next.

The sweep (``due_messages``, run by ``notifications.sweeps.run_sweeps``)
looks at published events that ended between ``AFTER`` and ``LOOK_BACK``
ago and queues, once per family and event (the outbox's ``dedupe_key``):

* ``thank_you`` to each family checked in at the door (``CheckIn.family``),
  in its language: a signed link to a page with five buttons (1-5) and a
  comment box; by text it says "Reply 1-5", and ``sms_inbound`` takes a
  reply "4" or "4 great evening" as the answer to it.
* ``missed_you`` to each family with a confirmed registration that was not
  checked in, naming the next session: the next published, upcoming event
  of the same series (``Event.series``; events have no topic, so there is
  no second guess), else no session, and the message links to the family
  page.

Only events where the door check-in was used, i.e. with at least one
``CheckIn`` row: without check-ins we cannot tell who came, and thanking a
family that stayed home, or telling one that came "we missed you", is
worse than saying nothing. A walk-in with no family in the roster has no
address to write to. An event that ended longer ago than ``LOOK_BACK`` is
left alone, so a first run after an outage (or on old data) does not write
to families about last month.

Answers (``record``) keep one ``Feedback`` per family and event: a second
answer replaces the first. Summaries (``summary``) give counts, the average
and comments with their language, never a family.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from typing import Any

from scheduler.attendance.tables import CheckIn, Feedback
from scheduler.bookings.tables import Registration
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import locked, use_case
from scheduler.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import as_utc, utcnow
from scheduler.events.services import localized
from scheduler.events.tables import Event
from scheduler.families.tables import Family
from scheduler.notifications.outbox import notify

KIND_THANKS = "thank_you"
KIND_MISSED = "missed_you"
AFTER = dt.timedelta(hours=1)  # families are written to this long after the event's end: home by then
LOOK_BACK = dt.timedelta(days=3)  # events that ended longer ago are not swept
ANSWER_DAYS = dt.timedelta(days=30)  # an answer is taken until this long after the event's end
MAX_COMMENT = 1000
SCORES = (1, 2, 3, 4, 5)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # as validation.MULTI_LINE_PATTERN refuses
# "4", "4 great evening", "4. great", "4/5 good": a score, then an optional comment (any digit script: "٤")
REPLY = re.compile(r"^\s*(\d)(?:\s*/\s*5)?(?!\d)[\s.,:;!)\-]*(.*)$", re.DOTALL)


# ---------------------------------------------------------------- the signed link


def _signature(secret: str, event_id: int, family_id: int) -> str:
    mac = hmac.new(secret.encode(), f"feedback:{event_id}:{family_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def feedback_url(settings: Settings, event_id: int, family_id: int) -> str:
    """The page the thank-you links to; the token is ``<event>.<family>.<HMAC>`` (FB_SECRET_KEY)."""
    return f"{settings.public_url}/feedback/{event_id}.{family_id}.{_signature(settings.secret_key, event_id, family_id)}"


def from_token(settings: Settings, token: str) -> tuple[int, int]:
    """(event id, family id) of a link; a forged or cut link is refused without saying which part was wrong."""
    parts = token.split(".", 2)
    if len(parts) == 3 and all(p.isdigit() and len(p) < 11 for p in parts[:2]):
        event_id, family_id = int(parts[0]), int(parts[1])
        if hmac.compare_digest(parts[2], _signature(settings.secret_key, event_id, family_id)):
            return event_id, family_id
    raise Forbidden("this link is not valid", "token")


# ---------------------------------------------------------------- the sweep


async def next_session(event: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
    """The next published, upcoming session of the event's series (None: not a series, or none to come)."""
    series = event["series"] or event["id"]
    return await Event.select().where(
        ((Event.series == series) | (Event.id == series)) & (Event.id != event["id"])
        & (Event.status == "published") & (Event.starts_at > now)).order_by(Event.starts_at).first().run()


async def due_messages(settings: Settings, now: dt.datetime) -> int:
    """Queue the thank-yous and we-missed-yous of events that ended 1 h .. 3 days ago; how many were new."""
    events = await Event.select().where(
        (Event.status == "published") & (Event.ends_at <= now - AFTER) & (Event.ends_at > now - LOOK_BACK)
    ).order_by(Event.id).run()
    if not events:
        return 0
    checkins = await CheckIn.select(CheckIn.event, CheckIn.family).where(
        CheckIn.event.is_in([e["id"] for e in events])).run()
    came: dict[int, set[int]] = {}
    for c in checkins:
        came.setdefault(c["event"], set()).add(c["family"])
    queued = 0
    for event in events:
        if event["id"] not in came:
            continue  # the door check-in was not used: we cannot tell who came
        present = came[event["id"]] - {None}
        registered = {r["family"] for r in await Registration.select(Registration.family).where(
            (Registration.event == event["id"]) & (Registration.status == "confirmed")).run()}
        families = await Family.select(Family.id, Family.email, Family.language).where(
            Family.id.is_in(sorted(present | registered) or [-1])).order_by(Family.id).run()
        following = await next_session(event, now) if registered - present else None
        for family in families:
            if family["id"] in present:
                kind, payload = KIND_THANKS, {"url": feedback_url(settings, event["id"], family["id"])}
            else:
                kind, payload = KIND_MISSED, {"url": f"{settings.public_url}/family"}
                if following is not None:
                    payload |= {"next_title": localized(following, family["language"])[0],
                                "next_starts": as_utc(following["starts_at"]).isoformat()}
            queued += await notify(kind, f"{kind}:{event['id']}:{family['id']}", family["email"] or "",
                                   family["language"], school=event["school"], family=family["id"],
                                   event=event["id"], payload=payload)
    return queued


# ---------------------------------------------------------------- answers


def parse_reply(body: str) -> tuple[int | None, str]:
    """A texted answer: ("4 great evening") -> (4, "great evening"); (None, "") when it does not start with 1-5."""
    match = REPLY.match(body)
    if match is None or int(match.group(1)) not in SCORES:
        return None, ""
    return int(match.group(1)), CONTROL.sub(" ", match.group(2)).strip()[:MAX_COMMENT]


async def details(event_id: int, family_id: int) -> dict[str, Any]:
    """What the family's page shows: the event (in the family's language) and the answer already given."""
    event = await Event.select().where(Event.id == event_id).first().run()
    family = await Family.select(Family.id, Family.language).where(Family.id == family_id).first().run()
    if event is None or family is None:
        raise NotFound("this event or family no longer exists", "token")
    given = await Feedback.select(Feedback.score, Feedback.comment).where(
        (Feedback.event == event_id) & (Feedback.family == family_id)).first().run()
    return {"title": localized(event, family["language"])[0], "starts_at": as_utc(event["starts_at"]),
            "language": family["language"], "score": given["score"] if given else None,
            "comment": given["comment"] if given else ""}


@use_case
async def record(event_id: int, family_id: int, score: int, comment: str, *, channel: str, language: str,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """Keep a family's answer (a second one replaces the first); only a family checked in at the event.

    The event's row is locked so two answers arriving together leave one row.
    """
    now = now or utcnow()
    comment = comment.strip()
    problems = []
    if not isinstance(score, int) or isinstance(score, bool) or score not in SCORES:
        problems.append(("score", "choose a score from 1 to 5"))
    if len(comment) > MAX_COMMENT:
        problems.append(("comment", f"must be at most {MAX_COMMENT} characters long"))
    elif CONTROL.search(comment):
        problems.append(("comment", "must be text without control characters (tabs and line breaks are allowed)"))
    if problems:
        raise InvalidInput(problems)
    event = await locked(Event.select(Event.id, Event.ends_at).where(Event.id == event_id)).first().run()
    if event is None:
        raise NotFound("this event no longer exists", "event")
    ends = as_utc(event["ends_at"])
    if ends is None or now - ends > ANSWER_DAYS:  # no "not ended yet": the family was checked in, so it was there
        raise Conflict("this event can no longer be answered (it ended over 30 days ago)", "event")
    came = await CheckIn.exists().where((CheckIn.event == event_id) & (CheckIn.family == family_id)).run()
    if not came:
        raise Forbidden("only a family checked in at the event is asked for its feedback", "family")
    values = {Feedback.score: score, Feedback.comment: comment, Feedback.language: language[:3],
              Feedback.channel: channel, Feedback.answered_at: now}
    where = (Feedback.event == event_id) & (Feedback.family == family_id)
    if await Feedback.exists().where(where).run():
        await Feedback.update(values).where(where).run()
    else:
        await Feedback.insert(Feedback(event=event_id, family=family_id, score=score, comment=comment,
                                       language=language[:3], channel=channel, answered_at=now)).run()
    return {"score": score, "comment": comment}


async def answer_from_question(question: dict[str, Any], body: str, language: str) -> bool:
    """A texted reply to a ``thank_you``: True when it was a score and is kept (a late or odd one is not)."""
    score, comment = parse_reply(body)
    if score is None or question["event"] is None or question["family"] is None:
        return False
    try:
        await record(question["event"], question["family"], score, comment, channel="sms", language=language)
    except (Conflict, Forbidden, NotFound, InvalidInput):
        return False  # recorded in sms_inbound anyway; the school sees it in the inbox
    return True


# ---------------------------------------------------------------- the school's view


async def summary(actor: Principal, event_id: int) -> dict[str, Any]:
    """Counts per score, the average and the comments with their language; never a family or its id."""
    event = await Event.select(Event.id, Event.school, Event.title).where(Event.id == event_id).first().run()
    if event is None:
        raise NotFound(f"no event {event_id}", "event_id")
    require_admin(actor, event["school"])
    answers = await Feedback.select(Feedback.score, Feedback.comment, Feedback.language, Feedback.channel,
                                    Feedback.answered_at).where(Feedback.event == event_id).order_by(
        Feedback.answered_at, Feedback.id).run()
    checked_in = await CheckIn.count().where(CheckIn.event == event_id).run()
    counts = {s: 0 for s in SCORES}
    for a in answers:
        counts[a["score"]] = counts.get(a["score"], 0) + 1
    total = len(answers)
    average = round(sum(a["score"] for a in answers) / total, 2) if total else None
    comments = [{"score": a["score"], "comment": a["comment"], "language": a["language"], "channel": a["channel"],
                 "answered_at": as_utc(a["answered_at"])} for a in answers if a["comment"]]
    return {"event_id": event_id, "title": event["title"], "checked_in": checked_in, "answers": total,
            "counts": counts, "average": average, "comments": comments}
