"""Attendance against expected turnout: a school's past events and months, and the planner's calibration.

Read only. A *past event* is a published event of the school that has ended (a cancelled one is never
listed and never counts); its *expected* turnout is what the plan that published it said (the latest
published plan placing it; none for an event placed by hand). How each figure is counted: ``tally.py``;
how history calibrates the next plan: ``scheduler/planning/calibration.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import msgspec

from resources.services import school_by_slug
from resources.tables import School
from scheduler.attendance import tally
from scheduler.attendance.figures_schemas import EventAttendance, HistoryOut, MonthAttendance, SchoolAttendance
from scheduler.attendance.tables import CheckIn
from scheduler.bookings.tables import Registration
from scheduler.core.auth import Principal, require_member
from scheduler.core.errors import Forbidden, NotFound
from scheduler.core.timeutil import format_local, utcnow, zone
from scheduler.events.tables import Event
from scheduler.notifications.tables import AttendanceAnswer
from scheduler.planning.calibration import Calibration, bucket, calibrate, history
from scheduler.planning.tables import Plan

HISTORY_DAYS = 730  # the calibration reads two years of past events: families and habits change
READERS = ("admin", "teacher")


def _require_reader(actor: Principal, school_id: int) -> None:
    """Administrators of the school (and the district) and its teachers; families and interpreters never."""
    require_member(actor, school_id)
    if actor.role not in READERS:
        raise Forbidden("attendance figures are for the school's staff")


async def _past(school_id: int, now: dt.datetime, since: dt.datetime, event_id: int | None = None
                ) -> tuple[list[dict[str, Any]], dict[int, list], dict[int, list], dict[int, list]]:
    """Past events ended in [since, now) (or the one event) with their registrations, answers and check-ins."""
    if event_id is None:
        where = ((Event.school == school_id) & (Event.status == "published") & (Event.ends_at < now)
                 & (Event.ends_at >= since))
    else:
        where = Event.id == event_id
    events = await Event.select(Event.id, Event.title, Event.status, Event.starts_at, Event.ends_at).where(
        where).order_by(Event.starts_at, ascending=False).run()
    regs, answers, checks = defaultdict(list), defaultdict(list), defaultdict(list)
    if not events:
        return events, regs, answers, checks
    ids = [e["id"] for e in events]
    on = (lambda col: col == event_id) if event_id is not None else (lambda col: col.is_in(ids))
    for r in await Registration.select(Registration.id, Registration.event, Registration.family,
                                       Registration.status).where(on(Registration.event)).run():
        regs[r["event"]].append(r)
    for a in await AttendanceAnswer.select(AttendanceAnswer.registration, AttendanceAnswer.answer,
                                           AttendanceAnswer.registration.event.as_alias("event")).where(
            on(AttendanceAnswer.registration.event)).run():
        answers[a["event"]].append(a)
    for c in await CheckIn.select(CheckIn.event, CheckIn.registration, CheckIn.family, CheckIn.adults,
                                  CheckIn.children).where(on(CheckIn.event)).run():
        checks[c["event"]].append(c)
    return events, regs, answers, checks


async def calibration_of(school: dict[str, Any], now: dt.datetime) -> Calibration:
    """The calibration a plan made ``now`` uses: the school's past events of the last ``HISTORY_DAYS``."""
    tz = zone(school["timezone"])
    events, regs, _answers, checks = await _past(school["id"], now, now - dt.timedelta(days=HISTORY_DAYS))
    buckets = {e["id"]: bucket(e["starts_at"].astimezone(tz)) for e in events}
    outcomes = history(events, [r for rs in regs.values() for r in rs], [c for cs in checks.values() for c in cs],
                       buckets)
    return calibrate(outcomes, events=sum(1 for e in events if checks.get(e["id"])))


async def _expected(school_id: int) -> dict[int, tuple[int | None, float | None]]:
    """Per event: (families, families expected at the door) from the latest published plan that placed it."""
    out: dict[int, tuple[int | None, float | None]] = {}
    for plan in await Plan.select(Plan.details).where((Plan.school == school_id) & (Plan.status == "published")
                                                      ).order_by(Plan.id).run():
        details = msgspec.json.decode(plan["details"]) if plan["details"] else {}
        for key, d in (details.get("events") or {}).items():
            if key.startswith("event-") and key[6:].isdigit() and isinstance(d, dict) and "families" in d:
                out[int(key[6:])] = (d["families"], d.get("expected_calibrated"))
    return out


def _event_out(e: dict[str, Any], tz: str, regs: dict, answers: dict, checks: dict,
               expected: dict[int, tuple[int | None, float | None]]) -> EventAttendance:
    figures = tally.event_figures(regs.get(e["id"], []), answers.get(e["id"], []), checks.get(e["id"], []))
    start = e["starts_at"]
    families, at_door = expected.get(e["id"], (None, None))
    return EventAttendance(event_id=e["id"], title=e["title"], start=format_local(start, tz),
                           month=start.astimezone(zone(tz)).strftime("%Y-%m") if start else "",
                           expected=families, expected_at_door=at_door, **figures)


async def school_attendance(actor: Principal, slug: str, months: int = 12) -> SchoolAttendance:
    """The school's past events of the last ``months`` months (newest first) and their months (oldest first)."""
    school = await school_by_slug(slug)
    _require_reader(actor, school["id"])
    now, tz = utcnow(), school["timezone"]
    local = now.astimezone(zone(tz))
    first_month = (local.year * 12 + local.month - 1) - (months - 1)
    since = dt.datetime(first_month // 12, first_month % 12 + 1, 1, tzinfo=zone(tz))
    events, regs, answers, checks = await _past(school["id"], now, since)
    expected = await _expected(school["id"])
    items = [_event_out(e, tz, regs, answers, checks, expected) for e in events]
    cal = await calibration_of(school, now)
    return SchoolAttendance(
        school_id=school["id"], events=items,
        months=[MonthAttendance(**m) for m in tally.by_month(msgspec.structs.asdict(i) for i in items)],
        calibration=HistoryOut(school_rate=round(cal.prior, 3), history_events=cal.events,
                               history_registrations=cal.registrations,
                               time_of_day={k: round(v, 3) for k, v in sorted(cal.factors.items())}))


async def event_attendance(actor: Principal, event_id: int) -> EventAttendance:
    """One event's figures (any event of the school: a coming one shows its registrations so far)."""
    row = await Event.select(Event.school).where(Event.id == event_id).first().run()
    if row is None:
        raise NotFound(f"no event {event_id}", "event_id")
    _require_reader(actor, row["school"])
    school = await School.select(School.timezone).where(School.id == row["school"]).first().run()
    events, regs, answers, checks = await _past(row["school"], utcnow(), utcnow(), event_id)
    return _event_out(events[0], school["timezone"], regs, answers, checks, await _expected(row["school"]))
