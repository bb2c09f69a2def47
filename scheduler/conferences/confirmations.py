"""The day before a conference evening: "will you come to your meetings?" -- one question per family.

Teachers sit through no-shows, and a family that cannot come holds slots
another family could book. So, like the day-before question for events
(``notifications/attendance.py``, whose window and channels this follows),
each family with accepted meetings of a published week starting in 2..24 h
gets ONE question per evening naming every meeting ("Ms Lee (4:00 PM), Mr
Diaz (4:20 PM)"), by e-mail (a signed link to a page with two buttons) and
by text ("Reply YES or NO", answered through ``sms_inbound``). The question
is a row of ``ConferenceConfirmation`` (unique per family and local date)
written when it is first asked; the link names that row.

"No" cancels the family's live meetings of that evening through
``booking.cancel_live`` -- the path a family's own cancellation takes -- so
the teacher's slots are free at once for self-booking, the family gets the
usual METHOD:CANCEL and its feed shows the cancellation. "Yes" is recorded
and shown on the admin's conference page (a count) and the teacher's day (a
mark per meeting).

Keys: ``conference-question:<family>:<local date>:<digest of the meetings'
starts>``, so a family whose meetings move is asked again about the new
times; a queued question whose meetings changed, or that was answered, is
skipped at delivery (:func:`settled`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import Any

from scheduler.conferences import booking
from scheduler.conferences.rows import LIVE, load_meetings
from scheduler.conferences.tables import ConferenceConfirmation, ConferenceEvening, ConferenceMeeting, ConferenceWindow
from scheduler.core.db import fetch, locked, use_case
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow, zone
from scheduler.families.tables import Family
from scheduler.notifications import messages, signed
from scheduler.notifications.attendance import ASK_FROM, ASK_UNTIL
from scheduler.notifications.outbox import notify

KIND = "conference_question"


def answer_url(settings: Settings, confirmation_id: int) -> str:
    return f"{settings.public_url}/confirm/conferences/{signed.token(settings, 'conference', confirmation_id)}"


def confirmation_from_token(settings: Settings, token: str) -> int:
    return signed.ids_from(settings, "conference", token)[0]


def _digest(starts: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, starts)).encode()).hexdigest()[:12]


def meetings_text(meetings: list[dict[str, Any]], tz: str, language: str) -> str:
    """"Ms Lee (4:00 PM), Mr Diaz (4:20 PM)": times in the family's locale, read in the school's zone; no words
    of its own, so nothing to translate (the sentence around it is the template's)."""
    return ", ".join(f"{m['teacher_name']} ({messages.local_date_time(m['starts_at'], tz, language)[1]})"
                     for m in meetings)


async def _published() -> dict[int, str]:
    """Published windows and their school's zone."""
    return {w["id"]: w["tz"] for w in await ConferenceWindow.select(
        ConferenceWindow.id, ConferenceWindow.school.timezone.as_alias("tz")).where(
        ConferenceWindow.status == "published").run()}


async def _question_row(family_id: int, window_id: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    await fetch("INSERT INTO conference_confirmation (family, \"window\", evening_date, answer, channel, asked_at) "
                "VALUES ({}, {}, {}, '', '', {}) ON CONFLICT (family, evening_date) DO NOTHING RETURNING id",
                family_id, window_id, day, now)
    return await ConferenceConfirmation.select().where((ConferenceConfirmation.family == family_id)
                                                       & (ConferenceConfirmation.evening_date == day)).first().run()


async def due_questions(settings: Settings, now: dt.datetime) -> int:
    """Queue the question for each family and evening with accepted meetings starting in 2..24 h."""
    tz = await _published()
    if not tz:
        return 0
    rows = await load_meetings(ConferenceMeeting.window.is_in(sorted(tz)) & (ConferenceMeeting.status == "accepted")
                               & (ConferenceMeeting.starts_at > now + ASK_UNTIL)
                               & (ConferenceMeeting.starts_at <= now + ASK_FROM))
    groups: dict[tuple[int, dt.date], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["family"], r["starts_at"].astimezone(zone(tz[r["window"]])).date())].append(r)
    queued = 0
    for (family_id, day), ms in sorted(groups.items()):
        first = ms[0]
        question = await _question_row(family_id, first["window"], day, now)
        if question["answer"]:
            continue
        family = await Family.select(Family.email, Family.language, Family.school).where(
            Family.id == family_id).first().run()
        evening = await ConferenceEvening.select(ConferenceEvening.event).where(
            (ConferenceEvening.window == first["window"]) & (ConferenceEvening.starts_at <= first["starts_at"])
            & (ConferenceEvening.ends_at > first["starts_at"])).first().run()
        if family is None or evening is None or evening["event"] is None:
            continue
        starts = [int(m["starts_at"].timestamp()) for m in ms]
        language = family["language"] or "en"
        queued += await notify(
            KIND, f"conference-question:{family_id}:{day.isoformat()}:{_digest(starts)}", family["email"] or "",
            language, school=family["school"], family=family_id, event=evening["event"],
            payload={"confirmation": question["id"], "starts": starts, "at": starts[0],
                     "meetings": meetings_text(ms, tz[first["window"]], messages.base_language(language)),
                     "url": answer_url(settings, question["id"])})
    return queued


async def _evening_meetings(question: dict[str, Any], statuses: tuple[str, ...] = LIVE) -> list[dict[str, Any]]:
    """The family's meetings of the question's window on its evening (local date), in start order."""
    window = await ConferenceWindow.select(ConferenceWindow.school.timezone.as_alias("tz")).where(
        ConferenceWindow.id == question["window"]).first().run()
    rows = await load_meetings((ConferenceMeeting.family == question["family"])
                               & (ConferenceMeeting.window == question["window"])
                               & ConferenceMeeting.status.is_in(list(statuses)))
    return [r for r in rows if r["starts_at"].astimezone(zone(window["tz"])).date() == question["evening_date"]]


async def settled(rows: list[dict[str, Any]]) -> set[int]:
    """Queued questions no longer worth sending: answered, or the meetings they name moved or were cancelled."""
    asked = {r["id"]: json.loads(r["payload"] or "{}") for r in rows if r["kind"] == KIND}
    out: set[int] = set()
    for row_id, payload in asked.items():
        question = await ConferenceConfirmation.select().where(
            ConferenceConfirmation.id == payload.get("confirmation")).first().run()
        if question is None or question["answer"]:
            out.add(row_id)
            continue
        now = [int(m["starts_at"].timestamp()) for m in await _evening_meetings(question, ("accepted",))]
        if now != payload.get("starts"):
            out.add(row_id)
    return out


async def details(confirmation_id: int) -> dict[str, Any]:
    """What the answer page shows: the family's language, the evening's meetings, the answer so far."""
    question = await ConferenceConfirmation.select(
        ConferenceConfirmation.all_columns(), ConferenceConfirmation.family.language.as_alias("language"),
        ConferenceConfirmation.window.school.timezone.as_alias("tz")).where(
        ConferenceConfirmation.id == confirmation_id).first().run()
    if question is None:
        raise NotFound("this question no longer exists", "token")
    return {**question, "meetings": await _evening_meetings(question, LIVE + ("cancelled",))}


@use_case
async def answer(confirmation_id: int, coming: bool, channel: str, now: dt.datetime | None = None) -> str:
    """Record the family's answer; "no" cancels its live meetings of that evening. Returns the answer.

    The same answer again changes nothing; "yes" after "no" is a 409 (the
    slots may already be another family's: book again instead).
    """
    now = now or utcnow()
    question = await ConferenceConfirmation.select().where(ConferenceConfirmation.id == confirmation_id).first().run()
    if question is None:
        raise NotFound("this question no longer exists", "confirmation")
    # the family's lock, as every change of its meetings takes: two answers at once are one after the other
    await locked(Family.select(Family.id).where(Family.id == question["family"])).run()
    question = await ConferenceConfirmation.select().where(ConferenceConfirmation.id == confirmation_id).first().run()
    said = "yes" if coming else "no"
    if question["answer"] == said:
        return said
    if question["answer"] == "no":
        raise Conflict("you already said you cannot come, and your times were freed; book again if a time is "
                       "still open", "answer")
    live = [m for m in await _evening_meetings(question) if m["starts_at"] > now]
    if not live:
        raise Conflict("there is no conference left to answer about (it started or was cancelled)", "answer")
    if not coming:
        for m in live:
            await booking.cancel_live(m["id"])
    await ConferenceConfirmation.update({ConferenceConfirmation.answer: said, ConferenceConfirmation.channel: channel,
                                         ConferenceConfirmation.answered_at: now}).where(
        ConferenceConfirmation.id == confirmation_id).run()
    return said


async def answer_from_question(question: dict[str, Any], coming: bool) -> None:
    """A texted YES/NO to a ``conference_question``; one that can no longer be answered is ignored."""
    confirmation_id = json.loads(question["payload"] or "{}").get("confirmation")
    if confirmation_id is None:
        return
    try:
        await answer(int(confirmation_id), coming, "sms")
    except (Conflict, NotFound):
        pass  # recorded in sms_inbound anyway; the school sees it there


async def answers(window_id: int) -> dict[tuple[int, dt.date], str]:
    """(family, local date) -> "yes" / "no" of a window: the teacher's day marks each meeting by it."""
    return {(r["family"], r["evening_date"]): r["answer"] for r in await ConferenceConfirmation.select(
        ConferenceConfirmation.family, ConferenceConfirmation.evening_date, ConferenceConfirmation.answer).where(
        (ConferenceConfirmation.window == window_id) & (ConferenceConfirmation.answer != "")).run()}


async def counts(window_id: int) -> dict[str, int]:
    """How many families were asked, said yes, said no (the admin's conference page)."""
    rows = await ConferenceConfirmation.select(ConferenceConfirmation.answer).where(
        ConferenceConfirmation.window == window_id).run()
    return {"asked": len(rows), "yes": sum(r["answer"] == "yes" for r in rows),
            "no": sum(r["answer"] == "no" for r in rows)}
