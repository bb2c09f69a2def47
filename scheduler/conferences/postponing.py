"""After the plan: reopening a published week for self-booking, and postponing one evening (snow, a flood).

Postponing moves the whole evening by whole days on the school's clock: every meeting keeps its time of
day (so a family's sequence of meetings, its walks between rooms and its interpreter block stay as
they were), the teachers' breaks that evening move with it, and so do the evening's calendar events
and interpreter blocks (whose claims are released, as when an event moves: the interpreter agreed to
the old date). Each family with a live meeting that evening is told through the outbox, in its
language, in the same transaction as the move.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scheduler.assignments.services import tell_reopened
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.rows import LIVE, admin_window, load_evenings, load_window, window_out
from scheduler.conferences.schemas import WindowOut
from scheduler.conferences.tables import (
    ConferenceEvening,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.db import locked, writing
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.timeutil import date_problem, utcnow, zone
from scheduler.events.tables import Event
from scheduler.families.tables import Family
from scheduler.notifications.outbox import notify

POSTPONED = "conference_postponed"  # the outbox kind (scheduler/notifications/messages.py)


async def set_self_booking(actor: Principal, window_id: int, open_: bool) -> WindowOut:
    """Reopen a published week so families pick their own free slots (or close it again)."""
    _, school = await admin_window(actor, window_id)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        if open_ and window["status"] != "published":
            raise Conflict(f"conference window {window_id} is {window['status']}; publish it before families book "
                           "their own times", "window_id")
        await ConferenceWindow.update({ConferenceWindow.self_booking: open_, ConferenceWindow.updated_at: utcnow()}
                                      ).where(ConferenceWindow.id == window_id).run()
    return await window_out(await load_window(window_id), school["timezone"])


def _shift(instant: dt.datetime, days: int, tz: Any) -> dt.datetime:
    """The same wall-clock time ``days`` later on the school's clock (right across a DST change)."""
    local = instant.astimezone(tz)
    moved = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time(), tz)
    return moved.astimezone(dt.timezone.utc)


async def postpone_evening(actor: Principal, window_id: int, evening_id: int | None, new_date: str) -> WindowOut:
    """Move one evening to ``new_date`` (YYYY-MM-DD) with everything on it; tell each family when published."""
    _, school = await admin_window(actor, window_id)
    tz = zone(school["timezone"])
    problems: list[tuple[str, str]] = []
    evenings = await load_evenings(window_id)
    evening = next((e for e in evenings if e["id"] == evening_id), None)
    if evening is None:
        problems.append(("evening_id", "choose one of this week's evenings"))
    try:
        day = dt.date.fromisoformat(new_date.strip())
    except ValueError:
        problems.append(("date", f"{new_date!r} is not a date (YYYY-MM-DD)"))
        day = None
    if day is not None and (why := date_problem(day)):
        problems.append(("date", why))
    if evening is not None and day is not None and not problems:
        old_day = evening["starts_at"].astimezone(tz).date()
        if day == old_day:
            problems.append(("date", "choose another date than the evening's own"))
        elif day < utcnow().astimezone(tz).date():
            problems.append(("date", f"{day.isoformat()} is in the past"))
        else:
            days = (day - old_day).days
            a, b = _shift(evening["starts_at"], days, tz), _shift(evening["ends_at"], days, tz)
            if any(e["id"] != evening["id"] and e["starts_at"] < b and a < e["ends_at"] for e in evenings):
                problems.append(("date", f"the week already has an evening on {day.isoformat()}"))
    if problems:
        raise InvalidInput(problems)
    assert evening is not None and day is not None
    days = (day - evening["starts_at"].astimezone(tz).date()).days
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        if window["status"] == "solving":
            raise Conflict(f"conference window {window_id} is solving; wait for the solve to finish", "window_id")
        evening = await ConferenceEvening.select().where(ConferenceEvening.id == evening["id"]).first().run()
        if evening is None:
            raise NotFound("that evening is gone", "evening_id")
        a0, b0 = evening["starts_at"], evening["ends_at"]
        now = utcnow()
        await ConferenceEvening.update({ConferenceEvening.starts_at: _shift(a0, days, tz),
                                        ConferenceEvening.ends_at: _shift(b0, days, tz)}).where(
            ConferenceEvening.id == evening["id"]).run()
        teachers = [t["id"] for t in await ConferenceTeacher.select(ConferenceTeacher.id).where(
            ConferenceTeacher.window == window_id).run()] or [0]
        for t in await ConferenceTeacherTime.select().where(
                ConferenceTeacherTime.teacher.is_in(teachers) & (ConferenceTeacherTime.starts_at >= a0)
                & (ConferenceTeacherTime.starts_at < b0)).run():
            await ConferenceTeacherTime.update({ConferenceTeacherTime.starts_at: _shift(t["starts_at"], days, tz),
                                                ConferenceTeacherTime.ends_at: _shift(t["ends_at"], days, tz)}).where(
                ConferenceTeacherTime.id == t["id"]).run()
        meetings = await ConferenceMeeting.select().where(
            (ConferenceMeeting.window == window_id) & (ConferenceMeeting.starts_at >= a0)
            & (ConferenceMeeting.starts_at < b0)).order_by(ConferenceMeeting.starts_at).run()
        for m in meetings:  # each keeps its time of day on the school's clock
            await ConferenceMeeting.update({ConferenceMeeting.starts_at: _shift(m["starts_at"], days, tz),
                                            ConferenceMeeting.ends_at: _shift(m["ends_at"], days, tz),
                                            ConferenceMeeting.updated_at: now}).where(
                ConferenceMeeting.id == m["id"]).run()
        assignments = sorted({m["assignment"] for m in meetings if m["assignment"] is not None})
        event_ids = {evening["event"]} if evening["event"] is not None else set()
        for a in await InterpreterAssignment.select().where(InterpreterAssignment.id.is_in(assignments or [0])).run():
            event_ids.add(a["event"])
            moved = {InterpreterAssignment.starts_at: _shift(a["starts_at"], days, tz),
                     InterpreterAssignment.ends_at: _shift(a["ends_at"], days, tz),
                     InterpreterAssignment.updated_at: now}
            if a["status"] != "cancelled":  # as when an event moves: they agreed to the old date, so it opens again
                moved |= {InterpreterAssignment.status: "open", InterpreterAssignment.interpreter: None,
                          InterpreterAssignment.claimed_at: None}
            await InterpreterAssignment.update(moved).where(InterpreterAssignment.id == a["id"]).run()
        await tell_reopened(assignments)  # they agreed to the old date: every interpreter of the language hears
        for e in await Event.select().where(Event.id.is_in(sorted(event_ids) or [0])).run():
            start, end = _shift(e["starts_at"], days, tz), _shift(e["ends_at"], days, tz)
            local = start.astimezone(tz).date()
            await Event.update({Event.starts_at: start, Event.ends_at: end, Event.earliest_date: local,
                                Event.latest_date: local, Event.sequence: e["sequence"] + 1, Event.updated_at: now,
                                Event.fixed_start: start if e["fixed_start"] is not None else None}).where(
                Event.id == e["id"]).run()
        if window["status"] == "published":
            await _tell_families(window, evening, meetings, days, tz)
        await ConferenceWindow.update({ConferenceWindow.updated_at: now}).where(ConferenceWindow.id == window_id).run()
    return await window_out(await load_window(window_id), school["timezone"])


async def _tell_families(window: dict[str, Any], evening: dict[str, Any], meetings: list[dict[str, Any]], days: int,
                         tz: Any) -> None:
    """One message per family with a live meeting that evening: the new date and its first meeting's time."""
    first: dict[int, dt.datetime] = {}
    for m in meetings:
        if m["status"] in LIVE:
            first.setdefault(m["family"], _shift(m["starts_at"], days, tz))
    if not first:
        return
    old, new = evening["starts_at"], _shift(evening["starts_at"], days, tz)
    for f in await Family.select(Family.id, Family.email, Family.language).where(
            Family.id.is_in(sorted(first))).order_by(Family.id).run():
        if not f["email"]:
            continue  # the school phones families with no e-mail address (the review lists them)
        await notify(POSTPONED, f"{POSTPONED}:{evening['id']}:{f['id']}:{int(old.timestamp())}:{int(new.timestamp())}",
                     f["email"], f["language"] or "en", school=window["school"], family=f["id"],
                     event=evening["event"], payload={"old": old.isoformat(), "first": first[f["id"]].isoformat(),
                                                      "window": window["id"]})
