"""Moving a published event by hand: checked by the engine's hard rules, overridden only on purpose.

``check_move`` builds the school's instance as a plan would (every other
published event pinned), puts the event at the new time and asks
``placement.problems`` what breaks; it also counts the families free at the
old and the new time, so the page can show what the move costs. ``move``
refuses a move that breaks a rule (409 naming each) unless ``override`` is
given; then it moves and records what was overridden, by whom and when
(``Event.override``), shown wherever the event is reviewed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from msgspec import Struct

from resources.tables import Room, School
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import writing
from scheduler.core.errors import T_, Conflict, InvalidInput, NotFound, Text
from scheduler.core.timeutil import TimeError, parse_typed, utcnow, zone
from scheduler.engine import parse_instance
from scheduler.events import services as events
from scheduler.events.schemas import EventOut
from scheduler.events.tables import Event
from scheduler.planning.instance import build_instance, event_key, parse_key, to_minute
from scheduler.planning.placement import Problem, problems
from scheduler.planning.services import load_rows
from scheduler.planning.turnout import families_free


class MoveCheck(Struct):
    """What a move would break and cost."""

    start: str  # the new local start, as typed
    problems: list[str]  # one sentence per broken rule (empty: the engine would accept it)
    rules: list[str]  # the broken rules' names (scheduler/planning/placement.py RULES)
    families_now: int  # families in its audience free for the whole event at its current time
    families_then: int  # … at the new time


async def _names(school_id: int) -> dict[str, str]:
    return {f"room-{r['id']}": r["name"] for r in await Room.select(Room.id, Room.name).where(
        Room.school == school_id).run()}


def _sentence(problem: Problem, names: dict[str, str], titles: dict[int, str]) -> Text:
    if problem.rule == "room":
        return T_("%(room)s is not free for the whole event (closed then, or another event or childcare is there)",
                  room=names.get(problem.subject, problem.subject))
    if problem.rule == "room_fit":
        return T_("%(room)s no longer fits the event (capacity or what the room offers)",
                  room=names.get(problem.subject, problem.subject))
    if problem.rule == "interpreter":
        return T_("no %(language)s interpreter is free for the whole event", language=problem.subject)
    if problem.rule == "childcare":
        return T_("no childcare with %(places)s places is staffed for the whole event", places=problem.subject)
    other = parse_key(problem.subject, "event")
    return T_("it overlaps %(title)s, for the same families", title=titles.get(other, problem.subject))


async def check_move(actor: Principal, event_id: int, start: str) -> MoveCheck:
    """The hard rules a move of a published event to ``start`` (local) breaks, and the families it gains or loses."""
    row = await Event.select().where(Event.id == event_id).first().run()
    if row is None:
        raise NotFound(f"event {event_id} not found", "event_id")
    require_admin(actor, row["school"])
    school = await School.select().where(School.id == row["school"]).first().run()
    tz = school["timezone"]
    try:
        starts = parse_typed(start, tz)
    except TimeError as exc:
        raise InvalidInput([("start", str(exc))]) from exc
    if row["status"] != "published" or row["starts_at"] is None:  # a question, not a write: 422, not 409
        raise InvalidInput([("event_id", f"only a published event can be moved; this one is {row['status']}")])
    rows = await load_rows(school, keep_published=True)
    days = sorted({row["starts_at"].astimezone(zone(tz)).date(), starts.astimezone(zone(tz)).date()})
    moved = row | {"fixed_start": starts, "earliest_date": days[0], "latest_date": days[-1]}
    rows = dataclasses.replace(rows, events=[moved], kept=[k for k in rows.kept if k["id"] != event_id],
                               claims=[c for c in rows.claims if c["event"] != event_id])
    inst = parse_instance(await asyncio.to_thread(build_instance, rows))
    key = event_key(event_id)
    found = problems(inst, key, to_minute(starts), None if row["room"] is None else f"room-{row['room']}")
    names = await _names(row["school"])
    titles = {k["id"]: k["title"] for k in rows.kept}
    return MoveCheck(start=start, problems=[_sentence(p, names, titles) for p in found],
                     rules=[p.rule for p in found], families_now=families_free(inst, key, to_minute(row["starts_at"])),
                     families_then=families_free(inst, key, to_minute(starts)))


async def move(actor: Principal, event_id: int, start: str, override: bool = False) -> tuple[EventOut, MoveCheck]:
    """Move a published event; refused (409, each broken rule named) unless ``override``, which is recorded."""
    status = await Event.select(Event.status).where(Event.id == event_id).first().run()
    if status is not None and status["status"] != "published":
        raise Conflict(f"only a published event can be moved; this one is {status['status']}", "status")
    check = await check_move(actor, event_id, start)
    if check.problems and not override:
        raise Conflict(Text("the engine's rules refuse this time: %(problems)s; move anyway to override",
                            problems="; ".join(check.problems)), "start")
    async with writing():
        moved = await events.move_event(actor, event_id, start)  # refuses a room taken even when overridden
        record: dict[str, Any] = {}
        if check.problems:
            record = {"rules": check.rules, "problems": [str(p) for p in check.problems],
                      "by": actor.user_id, "at": utcnow().isoformat(timespec="seconds")}
        await Event.update({Event.override: json.dumps(record) if record else ""}).where(Event.id == event_id).run()
    del moved
    return await events.get_event(actor, event_id), check
