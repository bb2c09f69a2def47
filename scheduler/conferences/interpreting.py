"""Interpreting for a meeting booked after publishing (a family's own booking).

At publish every interpreted meeting hangs on an interpreter block
(``publishing.interpreter_blocks``). A meeting a family books itself later
needs one too, or nobody interprets it: it joins a live block of its
language that spans its time and has no other meeting then (the interpreter
is there anyway), else a new block of just that meeting opens and every
interpreter of the language is offered it, as any open work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scheduler.assignments.services import tell_reopened
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.rows import LIVE
from scheduler.conferences.tables import ConferenceEvening, ConferenceMeeting
from scheduler.events.tables import Event

TITLE = "Parent-teacher conferences"


async def cover(meeting: dict[str, Any], school_id: int) -> int | None:
    """Give an interpreted meeting its interpreter block; the block's id (None when not interpreted)."""
    language = meeting["language"]
    if not language:
        return None
    start, end = meeting["starts_at"], meeting["ends_at"]
    evening = await ConferenceEvening.select().where(
        (ConferenceEvening.window == meeting["window"]) & (ConferenceEvening.starts_at <= start)
        & (ConferenceEvening.ends_at >= end)).first().run()
    if evening is None or evening["event"] is None:
        return None  # not published yet: publishing makes the blocks
    block = await _joinable(meeting, school_id, language, start, end)
    if block is None:
        event_id = await _free_event(evening, school_id, language)
        block = (await InterpreterAssignment.insert(InterpreterAssignment(
            event=event_id, school=school_id, language=language, status="open", starts_at=start, ends_at=end))
            .returning(InterpreterAssignment.id).run())[0]["id"]
        await tell_reopened([block])
    await ConferenceMeeting.update({ConferenceMeeting.assignment: block}).where(
        ConferenceMeeting.id == meeting["id"]).run()
    return block


async def _joinable(meeting: dict[str, Any], school_id: int, language: str, start: dt.datetime,
                    end: dt.datetime) -> int | None:
    """A live block of the language around [start, end) whose interpreter has no meeting then."""
    for block in await InterpreterAssignment.select(InterpreterAssignment.id).where(
            (InterpreterAssignment.school == school_id) & (InterpreterAssignment.language == language)
            & (InterpreterAssignment.status != "cancelled") & (InterpreterAssignment.starts_at <= start)
            & (InterpreterAssignment.ends_at >= end)).order_by(InterpreterAssignment.id).run():
        busy = await ConferenceMeeting.exists().where(
            (ConferenceMeeting.assignment == block["id"]) & ConferenceMeeting.status.is_in(list(LIVE))
            & (ConferenceMeeting.id != meeting["id"]) & (ConferenceMeeting.starts_at < end)
            & (ConferenceMeeting.ends_at > start)).run()
        if not busy and await _in_window(block["id"], meeting["window"]):
            return block["id"]
    return None


async def _in_window(block_id: int, window_id: int) -> bool:
    """Whether the block hangs on an evening of this window (another window's block is another week)."""
    row = await InterpreterAssignment.select(InterpreterAssignment.event.starts_at.as_alias("at")).where(
        InterpreterAssignment.id == block_id).first().run()
    return await ConferenceEvening.exists().where(
        (ConferenceEvening.window == window_id) & (ConferenceEvening.starts_at == row["at"])).run()


async def _free_event(evening: dict[str, Any], school_id: int, language: str) -> int:
    """An "… interpreting N" event of the evening without a live block in this language (the database
    allows one per event and language), made when every one has."""
    parts = await Event.select(Event.id, Event.title, Event.interpreter_languages).where(
        (Event.school == school_id) & (Event.kind == "conference") & (Event.starts_at == evening["starts_at"])
        & (Event.id != evening["event"])).order_by(Event.id).run()
    for part in parts:
        taken = await InterpreterAssignment.exists().where(
            (InterpreterAssignment.event == part["id"]) & (InterpreterAssignment.language == language)
            & (InterpreterAssignment.status != "cancelled")).run()
        if not taken:
            languages = sorted({*part["interpreter_languages"], language})
            await Event.update({Event.interpreter_languages: languages}).where(Event.id == part["id"]).run()
            return part["id"]
    first = await Event.select().where(Event.id == evening["event"]).first().run()
    return (await Event.insert(Event(
        school=school_id, kind="conference", title=f"{TITLE} — interpreting {len(parts) + 1}", status="published",
        description=first["description"], duration_minutes=first["duration_minutes"],
        earliest_date=first["earliest_date"], latest_date=first["latest_date"], starts_at=first["starts_at"],
        ends_at=first["ends_at"], seats=0, room_tags=[], audience=[], interpreter_languages=[language]))
        .returning(Event.id).run())[0]["id"]
