"""Interpreter assignments: see open work, claim it, release it, have it confirmed.

Never two people for one assignment: the claim is a conditional update of
the locked row (``WHERE status = 'open'``). Never one person in two places:
the interpreter's own row is locked first, so one person's claims are
serialised and the overlap check inside is reliable; on PostgreSQL an
exclusion constraint over time ranges backs it up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from resources.tables import Interpreter, InterpreterAvailability, InterpreterBusy, School
from scheduler.assignments.schemas import AssignmentOut
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import fetch, locked, use_case
from scheduler.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from scheduler.core.languages import language_name
from scheduler.core.timeutil import as_utc, format_local, utcnow
from scheduler.events.tables import Event
from scheduler.notifications.outbox import notify
from scheduler.notifications.tables import Outbox

TAKEN = ("claimed", "confirmed")


def _out(row: dict[str, Any], title: str, tz: str) -> AssignmentOut:
    return AssignmentOut(id=row["id"], event_id=row["event"], event_title=title, school_id=row["school"],
                         language=row["language"], status=row["status"], interpreter_id=row["interpreter"],
                         starts_at=format_local(row["starts_at"], tz), ends_at=format_local(row["ends_at"], tz))


def clashes(mine: list[dict[str, Any]], candidate: dict[str, Any], buffer: dt.timedelta) -> dict[str, Any] | None:
    """Hard rule: no overlap with the interpreter's own work; a change of school needs travel time."""
    for other in mine:
        gap = buffer if other["school"] != candidate["school"] else dt.timedelta(0)
        if other["starts_at"] < candidate["ends_at"] + gap and candidate["starts_at"] < other["ends_at"] + gap:
            return other
    return None


def within_availability(windows: list[dict[str, Any]], busy: list[dict[str, Any]], start: dt.datetime,
                        end: dt.datetime, tz: str) -> bool:
    """Inside one weekly window (local time of the event's school) and clear of imported busy times."""
    local_start, local_end = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
    if local_start.date() != local_end.date() and not (local_end.hour == 0 and local_end.minute == 0):
        return False
    s = local_start.hour * 60 + local_start.minute
    e = local_end.hour * 60 + local_end.minute or 24 * 60
    if not any(w["weekday"] == local_start.weekday() and w["start_minute"] <= s and e <= w["end_minute"]
               for w in windows):
        return False
    return not any(b["starts_at"] < end and start < b["ends_at"] for b in busy)


def over_daily_limit(mine: list[dict[str, Any]], candidate: dict[str, Any], limit: int | None, tz: str) -> bool:
    """Hard rule: at most ``max_events_per_day`` assignments starting on one local date."""
    if limit is None:
        return False
    local = ZoneInfo(tz)  # zoneinfo, not arrow: an interpreter's open-work list checks every open assignment
    day = candidate["starts_at"].astimezone(local).date()
    return sum(1 for m in mine if m["starts_at"].astimezone(local).date() == day) >= limit


async def _interpreter_for(actor: Principal, lock: bool = False) -> dict[str, Any]:
    if actor.role != "interpreter" or actor.interpreter_id is None:
        raise Forbidden("only interpreters claim assignments")
    query = Interpreter.select().where(Interpreter.id == actor.interpreter_id)
    return await (locked(query) if lock else query).first().run()


async def _own_work(interpreter_id: int) -> list[dict[str, Any]]:
    return await InterpreterAssignment.select().where((InterpreterAssignment.interpreter == interpreter_id)
                                                      & InterpreterAssignment.status.is_in(list(TAKEN))).run()


async def _zones() -> dict[int, str]:
    return {s["id"]: s["timezone"] for s in await School.select(School.id, School.timezone).run()}


async def _titles(event_ids: list[int]) -> dict[int, str]:
    if not event_ids:
        return {}
    rows = await Event.select(Event.id, Event.title).where(Event.id.is_in(event_ids)).run()
    return {r["id"]: r["title"] for r in rows}


async def open_for_me(actor: Principal, buffer_minutes: int) -> list[AssignmentOut]:
    """Open work in my languages that fits my week, my busy times, my other work and my daily limit."""
    me = await _interpreter_for(actor)
    windows = await InterpreterAvailability.select().where(InterpreterAvailability.interpreter == me["id"]).run()
    busy = await InterpreterBusy.select().where(InterpreterBusy.interpreter == me["id"]).run()
    mine = await _own_work(me["id"])
    languages = me["languages"] or []
    if not languages:
        return []
    # every open assignment of the district in my languages, with its event's title and its school's zone:
    # one plain statement (thousands of rows in a district; ORM rows cost several times more to build)
    candidates = [dict(r, starts_at=as_utc(r["starts_at"]), ends_at=as_utc(r["ends_at"])) for r in await fetch(
        _OPEN_WORK.format(", ".join("{}" for _ in languages)), utcnow(), *languages)]
    buffer = dt.timedelta(minutes=buffer_minutes)
    fitting = [a for a in candidates
               if within_availability(windows, busy, a["starts_at"], a["ends_at"], a["timezone"])
               and clashes(mine, a, buffer) is None
               and not over_daily_limit(mine, a, me["max_events_per_day"], a["timezone"])]
    return [_out(a, a["title"], a["timezone"]) for a in fitting]


_OPEN_WORK = ("SELECT a.id, a.event, a.school, a.language, a.status, a.interpreter, a.starts_at, a.ends_at, "
              "e.title, s.timezone FROM interpreter_assignment a JOIN event e ON e.id = a.event "
              "JOIN school s ON s.id = a.school WHERE a.status = 'open' AND a.starts_at > {{}} "
              "AND a.language IN ({}) ORDER BY a.starts_at, a.id")


async def mine(actor: Principal) -> list[AssignmentOut]:
    me = await _interpreter_for(actor)
    rows = sorted(await _own_work(me["id"]), key=lambda r: r["starts_at"])
    zones, titles = await _zones(), await _titles([r["event"] for r in rows])
    return [_out(r, titles[r["event"]], zones[r["school"]]) for r in rows]


async def _assignment(assignment_id: int, lock: bool) -> dict[str, Any]:
    query = InterpreterAssignment.select().where(InterpreterAssignment.id == assignment_id)
    row = await (locked(query) if lock else query).first().run()
    if row is None:
        raise NotFound(f"no assignment {assignment_id}", "assignment_id")
    return row


# the school, and the interpreter holding it now (None while it is open)
owner_of("assignment_id", "SELECT school, NULL AS family, interpreter FROM interpreter_assignment WHERE id = {}")


@use_case
async def claim(actor: Principal, assignment_id: int, buffer_minutes: int) -> AssignmentOut:
    me = await _interpreter_for(actor, lock=True)  # serialises this person's claims
    row = await _assignment(assignment_id, lock=True)
    if row["language"] not in (me["languages"] or []):
        raise InvalidInput([("language", f"you do not interpret {language_name(row['language'])} "
                                         f"(your languages: {', '.join(me['languages']) or 'none'})")])
    if row["status"] != "open":
        raise Conflict(f"assignment {assignment_id} is already {row['status']}", "assignment_id")
    if row["starts_at"] <= utcnow():
        raise Conflict(f"assignment {assignment_id} has already started", "assignment_id")
    tz = (await _zones())[row["school"]]
    problem = await _misfit(me, row, tz, buffer_minutes, "you", "your")
    if problem:
        raise Conflict(problem, "assignment_id")
    updated = await InterpreterAssignment.update({
        InterpreterAssignment.status: "claimed", InterpreterAssignment.interpreter: me["id"],
        InterpreterAssignment.claimed_at: utcnow(), InterpreterAssignment.updated_at: utcnow()}).where(
        (InterpreterAssignment.id == assignment_id) & (InterpreterAssignment.status == "open")
    ).returning(*InterpreterAssignment.all_columns()).run()
    if not updated:
        raise Conflict(f"assignment {assignment_id} was claimed by someone else", "assignment_id")
    titles = await _titles([row["event"]])
    return _out(updated[0], titles[row["event"]], tz)


async def _misfit(person: dict[str, Any], row: dict[str, Any], tz: str, buffer_minutes: int, who: str,
                  whose: str) -> str | None:
    """Why this interpreter cannot take this work (availability, another assignment, the daily limit), or None.

    The same rules whether an interpreter claims it or an administrator assigns it by hand.
    """
    windows = await InterpreterAvailability.select().where(InterpreterAvailability.interpreter == person["id"]).run()
    busy = await InterpreterBusy.select().where(InterpreterBusy.interpreter == person["id"]).run()
    if not within_availability(windows, busy, row["starts_at"], row["ends_at"], tz):
        return f"this assignment is outside {whose} availability"
    work = await _own_work(person["id"])
    other = clashes(work, row, dt.timedelta(minutes=buffer_minutes))
    if other is not None:
        return f"it overlaps {whose} assignment {other['id']} (with travel time between schools)"
    if over_daily_limit(work, row, person["max_events_per_day"], tz):
        return f"{who} already have {person['max_events_per_day']} assignment(s) that day"
    return None


@use_case
async def assign(actor: Principal, assignment_id: int, interpreter_id: int, buffer_minutes: int) -> AssignmentOut:
    """An administrator gives open work to an interpreter by hand: the claim's rules, then confirmed at once
    (and the interpreter told)."""
    row = await _assignment(assignment_id, lock=True)
    require_admin(actor, row["school"])
    person = await locked(Interpreter.select().where(Interpreter.id == interpreter_id)).first().run()
    if person is None or person["school"] != row["school"]:
        raise InvalidInput([("interpreter_id", f"no interpreter {interpreter_id} at this school")])
    if row["language"] not in (person["languages"] or []):
        raise InvalidInput([("interpreter_id", f"{person['name']} does not interpret {language_name(row['language'])}")])
    if row["status"] != "open":
        raise Conflict(f"assignment {assignment_id} is already {row['status']}", "assignment_id")
    tz = (await _zones())[row["school"]]
    problem = await _misfit(person, row, tz, buffer_minutes, "they", "their")
    if problem:
        raise Conflict(problem, "interpreter_id")
    now = utcnow()
    updated = await InterpreterAssignment.update({
        InterpreterAssignment.status: "confirmed", InterpreterAssignment.interpreter: person["id"],
        InterpreterAssignment.claimed_at: now, InterpreterAssignment.updated_at: now}).where(
        (InterpreterAssignment.id == assignment_id) & (InterpreterAssignment.status == "open")
    ).returning(*InterpreterAssignment.all_columns()).run()
    await notify("assignment_confirmed", f"assignment-confirmed:{assignment_id}:{person['id']}", person["email"],
                 interpreter=person["id"], event=row["event"], school=row["school"],
                 payload={"assignment": assignment_id})
    titles = await _titles([row["event"]])
    return _out(updated[0], titles[row["event"]], tz)


@use_case
async def release(actor: Principal, assignment_id: int) -> AssignmentOut:
    me = await _interpreter_for(actor, lock=True)
    row = await _assignment(assignment_id, lock=True)
    if row["interpreter"] != me["id"] or row["status"] not in TAKEN:
        raise Conflict(f"assignment {assignment_id} is not yours to release", "assignment_id")
    updated = await InterpreterAssignment.update({
        InterpreterAssignment.status: "open", InterpreterAssignment.interpreter: None,
        InterpreterAssignment.claimed_at: None, InterpreterAssignment.updated_at: utcnow()}).where(
        InterpreterAssignment.id == assignment_id).returning(*InterpreterAssignment.all_columns()).run()
    zones, titles = await _zones(), await _titles([row["event"]])
    return _out(updated[0], titles[row["event"]], zones[row["school"]])


@use_case
async def confirm(actor: Principal, assignment_id: int) -> AssignmentOut:
    row = await _assignment(assignment_id, lock=True)
    require_admin(actor, row["school"])
    if row["status"] != "claimed":
        raise Conflict(f"assignment {assignment_id} is {row['status']}; only a claimed one can be confirmed",
                       "assignment_id")
    updated = await InterpreterAssignment.update({InterpreterAssignment.status: "confirmed",
                                                  InterpreterAssignment.updated_at: utcnow()}).where(
        InterpreterAssignment.id == assignment_id).returning(*InterpreterAssignment.all_columns()).run()
    person = await Interpreter.select().where(Interpreter.id == row["interpreter"]).first().run()
    await notify("assignment_confirmed", f"assignment-confirmed:{assignment_id}:{person['id']}", person["email"],
                 interpreter=person["id"], event=row["event"], school=row["school"],
                 payload={"assignment": assignment_id})
    zones, titles = await _zones(), await _titles([row["event"]])
    return _out(updated[0], titles[row["event"]], zones[row["school"]])


async def list_for_event(actor: Principal, event_id: int) -> list[AssignmentOut]:
    event = await Event.select().where(Event.id == event_id).first().run()
    if event is None:
        raise NotFound(f"no event {event_id}", "event_id")
    require_admin(actor, event["school"])
    rows = await InterpreterAssignment.select().where(InterpreterAssignment.event == event_id).order_by(
        InterpreterAssignment.id).run()
    tz = (await _zones())[event["school"]]
    return [_out(r, event["title"], tz) for r in rows]


async def withdraw_open(assignment_ids: list[int]) -> list[int]:
    """Cancel those of these assignments nobody has claimed, and hold back their pending notices.

    For when the need behind an assignment is gone (the only family needing
    the language left). The update is conditional on ``status = 'open'``,
    like a claim, so a claim racing with it either wins (the work stays: an
    interpreter has committed, the school decides) or finds it cancelled.
    Runs in the caller's write transaction; answers the ids it cancelled.
    """
    if not assignment_ids:
        return []
    cancelled = [r["id"] for r in await InterpreterAssignment.update({
        InterpreterAssignment.status: "cancelled", InterpreterAssignment.updated_at: utcnow()}).where(
        InterpreterAssignment.id.is_in(assignment_ids) & (InterpreterAssignment.status == "open")
    ).returning(InterpreterAssignment.id).run()]
    for aid in cancelled:  # "new work in your language" about work that no longer exists must not go out
        await Outbox.update({Outbox.status: "skipped", Outbox.lease_until: None,
                             Outbox.last_error: "the assignment was withdrawn"}).where(
            (Outbox.status == "pending") & (Outbox.dedupe_key.like(f"assignment-open:{aid}:%")
                                            | Outbox.dedupe_key.like(f"assignment-unclaimed:{aid}:%"))).run()
    return sorted(cancelled)


async def tell_reopened(assignment_ids: list[int]) -> None:
    """Offer work that opened again after its time changed (an event moved, a conference evening postponed).

    The interpreter who held it agreed to the old time, so the claim was released; every
    interpreter of the language -- that one included -- hears of the new time once per
    start (the key holds it), as when the work first opened.
    """
    rows = await InterpreterAssignment.select().where(
        InterpreterAssignment.id.is_in(sorted(assignment_ids) or [0]) & (InterpreterAssignment.status == "open")).run()
    for row in rows:
        start = int(row["starts_at"].timestamp())
        for person in await Interpreter.select(Interpreter.id, Interpreter.email).where(
                (Interpreter.school == row["school"]) & Interpreter.languages.any(row["language"])).run():
            await notify("assignment_open", f"assignment-open:{row['id']}:{person['id']}:{start}", person["email"],
                         interpreter=person["id"], event=row["event"], school=row["school"],
                         payload={"assignment": row["id"], "language": language_name(row["language"])})
