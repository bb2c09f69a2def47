"""A workshop offered several times: its sessions are separate drafts sharing a ``series``.

The planner places each session on its own and counts each family toward
one session only (scheduler/planning/turnout.py ``split_series``), so two
sessions of "Homework routines" do not both count the same parents. The
number of sessions is the administrator's, or "as many as needed": enough
sessions for every family that said "I'd come" to find a seat, at the
seats one session can have (its seat limit, else the largest room that
fits it).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from resources.tables import Room
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import use_case
from scheduler.core.errors import Conflict, InvalidInput
from scheduler.events.schemas import EventOut
from scheduler.events.services import _event, _event_out
from scheduler.events.tables import Event
from scheduler.families.tables import EventInterest

MAX_SESSIONS = 10
COPIED = ("kind", "title", "description", "duration_minutes", "earliest_date", "latest_date", "min_capacity",
          "room_tags", "audience", "interpreter_languages", "childcare_children", "seat_limit", "translations")


async def seats_per_session(row: dict[str, Any]) -> int:
    """What one session can seat: its seat limit, else the largest room with its tags and capacity (0: none)."""
    if row["seat_limit"]:
        return row["seat_limit"]
    rooms = await Room.select(Room.capacity, Room.tags).where(Room.school == row["school"]).run()
    fitting = [r["capacity"] for r in rooms if set(row["room_tags"] or []) <= set(r["tags"] or [])
               and r["capacity"] >= (row["min_capacity"] or 0)]
    return max(fitting, default=0)


async def needed(row: dict[str, Any], members: list[int]) -> int:
    """Sessions for every family that said "I'd come" to any session to have a seat (at least 1, at most 10)."""
    keen = await EventInterest.select(EventInterest.family).where(
        EventInterest.event.is_in(members) & (EventInterest.choice == "yes")).distinct().run()
    seats = await seats_per_session(row)
    if not seats:
        return 1
    return max(1, min(MAX_SESSIONS, math.ceil(len(keen) / seats)))


@use_case
async def set_sessions(actor: Principal, event_id: int, sessions: int | Literal["as_needed"]) -> list[EventOut]:
    """Offer a draft as ``sessions`` sessions (1 … 10, or "as_needed"): copies are added, or extra draft sessions
    (the last ones) deleted; answers every session of the series, first first."""
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    if row["status"] != "draft":
        raise Conflict(f"only a draft can be offered as sessions; this one is {row['status']}", "status")
    series = row["series"] or row["id"]
    members = await Event.select().where(
        (Event.series == series) | (Event.id == series)).order_by(Event.id).run()
    ids = [m["id"] for m in members]
    count = await needed(row, ids) if sessions == "as_needed" else sessions
    if not isinstance(count, int) or not 1 <= count <= MAX_SESSIONS:
        raise InvalidInput([("sessions", f"between 1 and {MAX_SESSIONS}, or \"as_needed\"")])
    extra = members[count:]
    if any(m["status"] != "draft" for m in extra):
        raise Conflict("a session to remove is already published; cancel it instead", "sessions")
    if extra:
        await Event.delete().where(Event.id.is_in([m["id"] for m in extra])).run()
    first = members[0]
    for _ in range(count - len(members)):
        await Event.insert(Event(school=school["id"], status="draft", series=series,
                                 **{c: first[c] for c in COPIED})).run()
    await Event.update({Event.series: series if count > 1 else None}).where(
        (Event.series == series) | (Event.id == series)).run()
    rows = await Event.select().where((Event.series == series) | (Event.id == series)).order_by(Event.id).run()
    return [_event_out(r, school["timezone"]) for r in rows]
