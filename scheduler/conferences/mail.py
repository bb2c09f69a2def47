"""What a conference message says: the family's meetings in its language, with their ``.ics``.

The outbox row names meetings (``payload.meetings``), not their times: the
sender reads the meetings as they are *when the message goes*, so an
itinerary queued at publish and delivered after the family moved a meeting
tells the new time, and its attachment carries the same UID (the family's
private feed's ``conference-<id>@domain``) and the meeting's SEQUENCE, so a
calendar app updates one entry instead of adding a second.

Wording: English msgids in the notifications catalogue (``_N`` marks them
for extraction); dates and times by CLDR in the school's zone, as every
other message. :func:`render` is pure; :class:`ConferenceMail` reads rows
for a batch of the outbox and is what the sender calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
from collections.abc import Sequence
from email.message import Message
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time

from calendars.feeds import FeedEvent, FeedSpec, build_invitations, event_uid
from resources.tables import School
from scheduler.conferences.rows import LIVE, meeting_columns
from scheduler.conferences.tables import ConferenceMeeting, ConferenceWindow
from scheduler.core.i18n import RTL
from scheduler.core.languages import language_label
from scheduler.notifications import messages

_N = str  # marks a msgid for extraction without translating at import

#: Conference message kinds: none is switched off by preferences (they are the family's appointments).
KINDS = ("conference_itinerary", "conference_moved", "conference_booked", "conference_cancelled", "conference_reminder",
         "conference_open_slots", "conference_guardian_invite")

#: kind -> (subject, first paragraph)
TEMPLATES: dict[str, tuple[str, str]] = {
    "conference_itinerary": (
        _N("Your conference times: %(window)s"),
        _N("%(school)s has planned your parent-teacher conferences: all your children's teachers, in one visit "
           "where possible. Your times:")),
    "conference_moved": (
        _N("New conference time with %(teacher)s"),
        _N("Your conference with %(teacher)s has a new time:")),
    "conference_booked": (
        _N("Booked: conference with %(teacher)s"),
        _N("Your conference with %(teacher)s is booked:")),
    "conference_cancelled": (
        _N("Cancelled: conference with %(teacher)s"),
        _N("Your conference with %(teacher)s is cancelled:")),
    "conference_reminder": (
        _N("Reminder: your conferences on %(date)s"),
        _N("This is a reminder of your parent-teacher conferences at %(school)s:")),
    "conference_open_slots": (
        _N("Please book your conference time: %(window)s"),
        _N("We could not find a conference time with %(teacher)s when you told us you are free. These times with "
           "%(teacher)s are still open:")),
    "conference_guardian_invite": (
        _N("You are invited to your child's conferences at %(school)s"),
        _N("%(family)s invited you to see and book your child's parent-teacher conferences at %(school)s.")),
}
LINE = _N("%(date)s, %(start)s–%(end)s: %(teacher)s, %(room)s")
IN_PERSON = _N("in person")
VIDEO = _N("video call: %(url)s")
VIDEO_LATER = _N("video call (the school sends the link)")
PHONE = _N("phone: the teacher calls you")
PHONE_FROM = _N("phone: the teacher calls you from %(phone)s")
INTERPRETER = _N("an interpreter (%(language)s) joins you")
TOPIC = _N("You want to talk about: %(topic)s")
OPEN_SLOT = _N("%(date)s, %(start)s")
NO_OPEN_SLOT = _N("No open time is left with this teacher; please call the school.")
NOT_FITTING = _N("None of these times is within when you told us you can come; if one suits you anyway, book it.")
MANAGE = _N("See, confirm or move your conferences: %(url)s")
BOOK = _N("Book a time: %(url)s")
SIGN_IN = _N("To sign in, open %(url)s and ask for a sign-in link: it comes to this e-mail address, and no password "
             "is needed.")
ATTACHED = _N("The attached calendar file puts your conferences in your calendar.")


@dataclasses.dataclass(frozen=True)
class Line:
    """One meeting as a message shows it (already read; times UTC)."""

    id: int
    teacher: str
    room: str
    start: dt.datetime
    end: dt.datetime
    status: str
    mode: str = "in_person"
    language: str | None = None
    video_url: str = ""
    phone: str = ""
    topic: str | None = None
    sequence: int = 0
    updated_at: dt.datetime | None = None


def _when(instant: dt.datetime, tz: str, language: str) -> tuple[str, str]:
    return messages.local_date_time(instant, tz, language)


def _mode_text(line: Line, _: Any, language: str) -> str:
    if line.mode == "video":
        return _(VIDEO) % {"url": line.video_url} if line.video_url else _(VIDEO_LATER)
    if line.mode == "phone":
        return _(PHONE_FROM) % {"phone": line.phone} if line.phone else _(PHONE)
    return _(IN_PERSON)


def meeting_text(line: Line, tz: str, language: str) -> str:
    """"Tuesday, March 16, 2027, 4:00 PM–4:10 PM: Ms Lee, Room 11 · in person · an interpreter (Spanish) joins"."""
    _ = messages.translations(language).gettext
    date, start = _when(line.start, tz, language)
    end = format_time(line.end.astimezone(ZoneInfo(tz)), "short", locale=language)
    parts = [_(LINE) % {"date": date, "start": start, "end": end, "teacher": line.teacher, "room": line.room},
             _mode_text(line, _, language)]
    if line.language:
        parts.append(_(INTERPRETER) % {"language": language_label(line.language, language)})
    text = " · ".join(parts)
    if line.topic:
        text += "\n  " + _(TOPIC) % {"topic": line.topic}
    return text


def render(kind: str, language: str, *, school: str, tz: str, lines: Sequence[Line], values: dict[str, str],
           open_slots: Sequence[dt.datetime] = (), url: str = "", attached: bool = True) -> messages.Rendered:
    """Subject, text and HTML of one conference message (pure)."""
    language = messages.base_language(language)
    _ = messages.translations(language).gettext
    first = lines[0] if lines else None
    date = _when(first.start, tz, language)[0] if first else ""
    vals = {"school": school, "date": date, "teacher": first.teacher if first else "", "window": "", "family": "",
            **values}
    subject_id, body_id = TEMPLATES[kind]
    paragraphs = [_(messages.GREETING), _(body_id) % vals]
    items = [meeting_text(m, tz, language) for m in lines]
    if kind == "conference_open_slots":
        items = [_(OPEN_SLOT) % dict(zip(("date", "start"), _when(s, tz, language))) for s in open_slots]
        if not items:
            paragraphs.append(_(NO_OPEN_SLOT))
        elif values.get("fit") == "no":
            paragraphs.append(_(NOT_FITTING))
    if url:
        link = {"conference_open_slots": BOOK, "conference_guardian_invite": SIGN_IN}.get(kind, MANAGE)
        tail = [_(link) % {"url": url}]
    else:
        tail = []
    if attached and lines:
        tail.append(_(ATTACHED))
    footer = _(messages.SIGNATURE) % vals
    text = "\n\n".join(paragraphs) + ("\n\n" + "\n".join(f"- {i}" for i in items) if items else "")
    text += ("\n\n" + "\n\n".join(tail) if tail else "") + "\n\n-- \n" + footer + "\n"
    direction = "rtl" if language in RTL else "ltr"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if items:
        body += "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
    body += "".join(f"<p>{html.escape(p)}</p>" for p in tail)
    subject = _(subject_id) % vals
    page = (f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head>"
            f'<body dir="{direction}">{body}<hr><p><small>{html.escape(footer)}</small></p></body></html>')
    return messages.Rendered(language=language, subject=subject, text=text, html=page)


def feed_event(line: Line, school: str, domain: str) -> FeedEvent:
    """The meeting as the family's private feed writes it (same UID), plus mode and SEQUENCE."""
    cancelled = line.status not in LIVE
    updated = line.updated_at or line.start
    return FeedEvent(uid=event_uid("conference", line.id, domain), title=f"Conference with {line.teacher} ({line.room})",
                     kind="conference", start=line.start, end=line.end, updated_at=updated, school=school,
                     status="cancelled" if cancelled else "confirmed", sequence=line.sequence, room=line.room,
                     url=line.video_url if line.mode == "video" and line.video_url else None,
                     description=f"Interpreter: {line.language}" if line.language else "",
                     cancelled_at=updated if cancelled else None)


#: Which kinds carry the meetings' calendar file, and with which iTIP method (None: decided per message).
ICS_METHOD = {"conference_itinerary": "PUBLISH", "conference_reminder": "PUBLISH", "conference_moved": "REQUEST", "conference_booked": "REQUEST",
              "conference_cancelled": "CANCEL"}


def _utc(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.timezone.utc) if value is not None else None


class ConferenceMail:
    """The meetings and schools a batch of conference messages needs, read in two queries."""

    def __init__(self, domain: str, sender: str, public_url: str, now: dt.datetime) -> None:
        self.domain, self.sender, self.public_url, self.now = domain, sender, public_url, now
        self.meetings: dict[int, dict[str, Any]] = {}
        self.schools: dict[int, dict[str, Any]] = {}
        self.windows: dict[int, dict[str, Any]] = {}

    async def load(self, rows: list[dict[str, Any]]) -> None:
        mine = [r for r in rows if r["kind"] in KINDS]
        if not mine:
            return
        ids = sorted({i for r in mine for i in json.loads(r["payload"] or "{}").get("meetings", [])})
        if ids:
            self.meetings = {m["id"]: m for m in await ConferenceMeeting.select(*meeting_columns()).where(
                ConferenceMeeting.id.is_in(ids)).run()}
        wids = sorted({json.loads(r["payload"] or "{}").get("window") for r in mine} - {None}
                      | {m["window"] for m in self.meetings.values()})
        if wids:
            self.windows = {w["id"]: w for w in await ConferenceWindow.select(
                ConferenceWindow.id, ConferenceWindow.name, ConferenceWindow.school).where(
                ConferenceWindow.id.is_in(wids)).run()}
        sids = sorted({r["school"] for r in mine if r["school"]})
        if sids:
            self.schools = {s["id"]: s for s in await School.select().where(School.id.is_in(sids)).run()}

    def _lines(self, payload: dict[str, Any]) -> list[Line]:
        out = []
        for i in payload.get("meetings", []):
            m = self.meetings.get(i)
            if m is None:
                continue
            out.append(Line(id=m["id"], teacher=m["teacher_name"], room=m["room_name"] or "",
                            start=_utc(m["starts_at"]), end=_utc(m["ends_at"]), status=m["status"], mode=m["mode"],
                            language=m["language"], video_url=m["video_url"] or "", phone=m["phone"] or "",
                            topic=m["topic"], sequence=m["sequence"], updated_at=_utc(m["updated_at"])))
        return sorted(out, key=lambda x: (x.start, x.id))

    def _url(self, url: str) -> str:
        """Paths in payloads become links on the address people use (the setting, read when sending)."""
        return self.public_url + url if url.startswith("/") else url

    def skip_reason(self, row: dict[str, Any]) -> str | None:
        """Why a queued conference message should not go: what it would say is no longer true."""
        if row["school"] not in self.schools:
            return "the school no longer exists"
        payload = json.loads(row["payload"] or "{}")
        lines = self._lines(payload)
        live = [m for m in lines if m.status in LIVE]
        if row["kind"] in ("conference_itinerary", "conference_reminder") and not live:
            return "no conference left to tell about"
        if row["kind"] == "conference_reminder" and all(m.start <= self.now for m in live):
            return "the conferences have started"
        if row["kind"] in ("conference_moved", "conference_booked"):
            if not live or live[0].sequence != payload.get("sequence"):
                return "the conference changed again; a newer message follows"
        if row["kind"] == "conference_cancelled" and not lines:
            return "the conference no longer exists"
        return None

    def message(self, row: dict[str, Any]) -> Message:
        payload = json.loads(row["payload"] or "{}")
        school = self.schools[row["school"]]
        tz = school["timezone"]
        kind = row["kind"]
        lines = self._lines(payload)
        if kind in ("conference_itinerary", "conference_reminder", "conference_moved", "conference_booked"):
            lines = [m for m in lines if m.status in LIVE]
        wid = payload.get("window") or (self.meetings[lines[0].id]["window"] if lines else None)
        window = self.windows.get(wid)
        language = messages.base_language(row["language"])
        values = {"window": window["name"] if window else "", "family": str(payload.get("family_name", "")),
                  "teacher": str(payload.get("teacher", "")) or (lines[0].teacher if lines else ""),
                  "fit": "no" if payload.get("fit") is False else "yes"}
        method = ICS_METHOD.get(kind)
        ics = None
        if method and lines:
            spec = FeedSpec(name=school["name"], timezone=tz, language=language, refresh_minutes=60, now=self.now)
            sender = parseaddr(self.sender)[1] or self.sender
            ics = build_invitations([feed_event(m, school["name"], self.domain) for m in lines], spec, method,
                                    organizer=f"mailto:{sender}", attendees=[f"mailto:{row['to_email']}"])
        open_slots = [dt.datetime.fromtimestamp(s, dt.timezone.utc) for s in payload.get("slots", [])]
        rendered = render(kind, language, school=school["name"], tz=tz,
                          lines=lines if kind != "conference_open_slots" else [], values=values,
                          open_slots=open_slots, url=self._url(str(payload.get("url", ""))), attached=ics is not None)
        return messages.compose(rendered, to=row["to_email"], sender=self.sender,
                                message_id=f"<outbox-{row['id']}@{self.domain}>", ics=ics,
                                method=method)
