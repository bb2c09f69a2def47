"""The demo school's recent past: three evening events with registrations and check-ins, so the attendance page
and the planner's "expected vs actual" have something to show on a fresh install (and the next plan is
calibrated by them). Dates are counted back from the day of loading (they must lie in the past); every other
choice comes from the seeded ``rng``. The second event had nobody checking in at the door: it is listed, but
has no show-up rate and is no calibration history (scheduler/planning/calibration.py).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from scheduler.attendance.tables import CheckIn
from scheduler.bookings.tables import Registration
from scheduler.events.tables import Event
from scheduler.notifications.tables import AttendanceAnswer

PAST = [("Back-to-school picnic", 8), ("Curriculum night", 5), ("Reading together", 3)]  # (title, weeks ago)
REGISTERED = 40  # families registered for each


async def add_past_events(rng: random.Random, school_id: int, family_ids: Sequence[int], today: dt.date,
                          timezone: str) -> None:
    """Insert the past events, registrations, day-before answers and check-ins (the caller's transaction)."""
    tz = ZoneInfo(timezone)
    tuesday = today - dt.timedelta(days=(today.weekday() - 1) % 7 or 7)  # the last Tuesday before today
    for n, (title, weeks) in enumerate(PAST):
        start = dt.datetime.combine(tuesday - dt.timedelta(weeks=weeks), dt.time(18), tz).astimezone(dt.timezone.utc)
        day = start.date()
        event = (await Event.insert(Event(
            school=school_id, kind="workshop", title=title, duration_minutes=90, description=f"{title}.",
            earliest_date=day, latest_date=day, status="published", starts_at=start,
            ends_at=start + dt.timedelta(minutes=90), seats=REGISTERED)).returning(Event.id).run())[0]["id"]
        families = rng.sample(list(family_ids), min(REGISTERED, len(family_ids)))
        regs = await Registration.insert(*[Registration(event=event, family=f, status="confirmed")
                                           for f in families]).returning(Registration.id).run()
        answers, checks = [], []
        for reg, fid in zip((r["id"] for r in regs), families):
            said_yes = rng.random() < 0.6
            if said_yes:
                answers.append(AttendanceAnswer(registration=reg, answer="yes"))
            if n != 1 and rng.random() < (0.85 if said_yes else 0.45):
                checks.append(CheckIn(event=event, registration=reg, family=fid, adults=rng.choice([1, 1, 2]),
                                      children=rng.choice([0, 1, 2]), client_ref=f"demo-{event}-{fid}",
                                      checked_in_at=start + dt.timedelta(minutes=rng.randrange(20))))
        if n != 1:
            checks += [CheckIn(event=event, walk_in_name=f"Guest {i + 1}", client_ref=f"demo-{event}-walk-in-{i}",
                               checked_in_at=start + dt.timedelta(minutes=15)) for i in range(rng.choice([1, 2, 3]))]
        if answers:
            await AttendanceAnswer.insert(*answers).run()
        if checks:
            await CheckIn.insert(*checks).run()
