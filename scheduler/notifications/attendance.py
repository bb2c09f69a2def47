"""The day before: "will you come?" -- and a "no" hands the seat to the waitlist at once.

Interpreter coordinators confirm a day ahead because no-shows waste paid
interpreter hours and seats a waiting family could have had. Each family
with a confirmed place at a published event gets one question between 24 h
and 2 h before it (``attendance_question``, keyed by registration and start,
so a moved event asks again), on the family's channels: by text ("Reply
YES or NO", answered through the inbound webhook) and by e-mail (a signed
link to a page with two buttons -- a page, not a link that answers, because
mail scanners open links). The first "no" cancels the registration through
the bookings feature's ``release`` (the one path every cancellation takes),
which frees the seat and childcare places and promotes the waitlist, under
the event's lock; a "yes" is recorded. Answers are kept in
``attendance_answer``, one per registration.

Conference evenings and interpreters are asked the same way
(``conferences/confirmations.py``, ``assignments/day_before.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from scheduler.bookings import services as bookings
from scheduler.bookings.tables import Registration
from scheduler.core.db import use_case
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import as_utc, utcnow
from scheduler.notifications import signed
from scheduler.notifications.outbox import notify
from scheduler.notifications.tables import AttendanceAnswer

KIND = "attendance_question"
ASK_FROM = dt.timedelta(hours=24)  # the question goes out this long before the event ...
ASK_UNTIL = dt.timedelta(hours=2)  # ... and not later than this: too late to give the seat to someone


def answer_url(settings: Settings, registration_id: int) -> str:
    """The page the e-mail links to; the token is ``<registration id>.<HMAC>`` (``signed.py``)."""
    return f"{settings.public_url}/attendance/{signed.token(settings, 'attendance', registration_id)}"


def registration_from_token(settings: Settings, token: str) -> int:
    return signed.ids_from(settings, "attendance", token)[0]


async def due_questions(settings: Settings, now: dt.datetime) -> int:
    """Queue the question to each confirmed registration of events starting in 2..24 h, not yet answered."""
    regs = await Registration.select(
        Registration.id, Registration.family, Registration.event, Registration.event.school.as_alias("school"),
        Registration.event.starts_at.as_alias("starts_at"), Registration.family.email.as_alias("email"),
        Registration.family.language.as_alias("language")).where(
        (Registration.status == "confirmed") & (Registration.event.status == "published")
        & (Registration.event.starts_at > now + ASK_UNTIL) & (Registration.event.starts_at <= now + ASK_FROM)
    ).order_by(Registration.id).run()
    answered = {a["registration"] for a in await AttendanceAnswer.select(AttendanceAnswer.registration).where(
        AttendanceAnswer.registration.is_in([r["id"] for r in regs])).run()} if regs else set()
    queued = 0
    for r in regs:
        if r["id"] in answered:
            continue
        starts = r["starts_at"]
        starts = as_utc(starts)
        epoch = int(starts.timestamp())
        queued += await notify(KIND, f"attendance:{r['id']}:{epoch}", r["email"] or "", r["language"],
                               school=r["school"], family=r["family"], event=r["event"],
                               payload={"registration": r["id"], "starts": epoch, "url": answer_url(settings, r["id"])})
    return queued


async def settled_questions(rows: list[dict[str, Any]]) -> set[int]:
    """Outbox rows of questions no longer worth asking: answered already, or the registration is not confirmed."""
    asked = {r["id"]: json.loads(r["payload"] or "{}").get("registration") for r in rows if r["kind"] == KIND}
    if not asked:
        return set()
    regs = [r for r in asked.values() if r is not None]
    confirmed = {r["id"] for r in await Registration.select(Registration.id).where(
        Registration.id.is_in(regs or [-1]) & (Registration.status == "confirmed")).run()}
    answered = {a["registration"] for a in await AttendanceAnswer.select(AttendanceAnswer.registration).where(
        AttendanceAnswer.registration.is_in(regs or [-1])).run()}
    return {row_id for row_id, reg in asked.items() if reg not in confirmed or reg in answered}


async def question_details(registration_id: int) -> dict[str, Any]:
    """What the answer page shows: the event and whether the family already answered."""
    reg = await Registration.select(
        Registration.id, Registration.status, Registration.family, Registration.family.language.as_alias("language"),
        Registration.event, Registration.event.title.as_alias("title"),
        Registration.event.starts_at.as_alias("starts_at")).where(Registration.id == registration_id).first().run()
    if reg is None:
        raise NotFound("this registration no longer exists", "token")
    given = await AttendanceAnswer.select(AttendanceAnswer.answer).where(
        AttendanceAnswer.registration == registration_id).first().run()
    return {**reg, "answer": given["answer"] if given else ""}


@use_case
async def answer(registration_id: int, coming: bool, channel: str, now: dt.datetime | None = None) -> str:
    """Record the family's answer; "no" cancels the registration and promotes the waitlist. Returns the answer.

    Idempotent: the same answer again changes nothing; "yes" after "no" is a
    409 (the seat may already be someone else's: register again instead).
    """
    now = now or utcnow()
    reg = await Registration.select(Registration.id, Registration.event, Registration.status).where(
        Registration.id == registration_id).first().run()
    if reg is None:
        raise NotFound("this registration no longer exists", "registration")
    event = await bookings.lock_event(reg["event"])
    given = await AttendanceAnswer.select(AttendanceAnswer.answer).where(
        AttendanceAnswer.registration == registration_id).first().run()
    said = "yes" if coming else "no"
    if given is not None and given["answer"] == said:
        return said
    if given is not None and given["answer"] == "no":
        raise Conflict("you already said you cannot come, and your place went to another family; register again "
                       "if there is room", "answer")
    starts = event["starts_at"]
    starts = as_utc(starts)
    if starts is None or starts <= now or reg["status"] not in ("confirmed", "offered"):
        raise Conflict("this registration can no longer be answered (the event started or it was cancelled)",
                       "answer")
    if given is None:
        await AttendanceAnswer.insert(AttendanceAnswer(registration=registration_id, answer=said, channel=channel,
                                                       answered_at=now)).run()
    else:
        await AttendanceAnswer.update({AttendanceAnswer.answer: said, AttendanceAnswer.channel: channel,
                                       AttendanceAnswer.answered_at: now}).where(
            AttendanceAnswer.registration == registration_id).run()
    if not coming:
        await bookings.release(event, [registration_id])
    return said


async def answer_from_question(question: dict[str, Any], coming: bool) -> None:
    """A texted YES/NO to an ``attendance_question``; a question that can no longer be answered is ignored."""
    registration_id = json.loads(question["payload"] or "{}").get("registration")
    if registration_id is None:
        return
    try:
        await answer(int(registration_id), coming, "sms")
    except (Conflict, NotFound):
        pass  # recorded in sms_inbound anyway; the school sees it there
