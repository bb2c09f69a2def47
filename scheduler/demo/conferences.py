"""The demo school's conference week: two evenings, 24 teachers, solved and published.

Riverside Elementary's 2,700 K–5 children would need about 110 teachers;
the demo keeps the conference week readable and its solve short by giving
24 teachers (four per grade) classes of 22, filled family by family in id
order so that siblings land in their own grades' classes (and families with
several children get several meetings). It goes through the same services
the API calls — build the problem from the database, solve, publish — so
what the demo shows is what a school gets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections import defaultdict

from resources.tables import Room, School
from scheduler.conferences import publishing, solving
from scheduler.conferences.schemas import SolveIn
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceEvening,
    ConferenceSplitHousehold,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.db import writing
from scheduler.core.timeutil import parse_local
from scheduler.families.tables import Child, Family

EVENINGS = [("2027-03-16T16:00", "2027-03-16T20:00"), ("2027-03-17T16:00", "2027-03-17T20:00")]
GRADES = ["K", "1", "2", "3", "4", "5"]
PER_GRADE = 4
CLASS_SIZE = 22
SPLIT_SHARE = 0.06  # of the families with two guardians
TIME_LIMIT = 8.0
NAMES = ["Ms Lee", "Mr Kim", "Ms Diaz", "Mr Okafor", "Ms Patel", "Mr Novak", "Ms Haddad", "Mr Brown",
         "Ms Romero", "Mr Chen", "Ms Walker", "Mr Silva", "Ms Nguyen", "Mr Adams", "Ms Rossi", "Mr Jensen",
         "Ms Ahmed", "Mr Murphy", "Ms Costa", "Mr Baker", "Ms Moreau", "Mr Ito", "Ms Kowalski", "Mr Reyes"]


@dataclasses.dataclass
class ConferenceWeekLoaded:
    window_id: int
    summary: str


async def load_conference_week(seed: int = 2027, time_limit: float = TIME_LIMIT, slug: str = "riverside",
                               effort: float | None = None) -> ConferenceWeekLoaded | None:
    """Add, solve and publish the demo conference week of a school, unless there is no such school or it has one.

    ``slug`` lets a demo district give each of its schools a week of its own;
    ``effort`` bounds the solve by deterministic time, for a reproducible week.
    """
    started = time.perf_counter()
    school = await School.select().where(School.slug == slug).first().run()
    if school is None or await ConferenceWindow.exists().where(ConferenceWindow.school == school["id"]).run():
        return None
    rng = random.Random(seed)
    tz = school["timezone"]
    async with writing():
        window = (await ConferenceWindow.insert(ConferenceWindow(
            school=school["id"], name="Spring parent-teacher conferences", slot_minutes=10,
            interpreted_slot_minutes=20, passing_minutes=5)).returning(ConferenceWindow.id).run())[0]["id"]
        evenings = [(parse_local(a, tz), parse_local(b, tz)) for a, b in EVENINGS]
        await ConferenceEvening.insert(*[ConferenceEvening(window=window, starts_at=a, ends_at=b)
                                         for a, b in evenings]).run()
        rooms = [r["id"] for r in await Room.insert(*[
            Room(school=school["id"], name=f"Classroom {g}{'ABCD'[k]}", capacity=28, tags=["classroom"])
            for g in GRADES for k in range(PER_GRADE)]).returning(Room.id).run()]
        teachers = [r["id"] for r in await ConferenceTeacher.insert(*[
            ConferenceTeacher(window=window, name=NAMES[i], email=f"{NAMES[i].split()[1].lower()}@{slug}.example.org",
                              room=rooms[i]) for i in range(len(rooms))]).returning(ConferenceTeacher.id).run()]
        breaks = []
        for i, t in enumerate(teachers):
            for a, _ in evenings:  # 15-minute breaks staggered 17:30–18:30 so the hallway never empties
                start = a + dt.timedelta(minutes=90 + 15 * (i % 5))
                breaks.append(ConferenceTeacherTime(teacher=t, kind="break", starts_at=start,
                                                    ends_at=start + dt.timedelta(minutes=15)))
        await ConferenceTeacherTime.insert(*breaks).run()
        children = await Child.select(Child.id, Child.family, Child.grade).where(
            Child.family.school == school["id"]).order_by(Child.family).order_by(Child.id).run()
        seats: dict[str, list[int]] = defaultdict(list)  # grade -> teacher ids, one entry per free place
        for gi, g in enumerate(GRADES):
            for k in range(PER_GRADE):
                seats[g] += [teachers[gi * PER_GRADE + k]] * CLASS_SIZE
            rng.shuffle(seats[g])
        classes, families = [], set()
        for c in children:
            if seats.get(c["grade"]):
                classes.append(ConferenceClass(teacher=seats[c["grade"]].pop(), child=c["id"]))
                families.add(c["family"])
        await ConferenceClass.insert(*classes).run()
        two = await Family.select(Family.id, Family.guardians).where(Family.id.is_in(sorted(families))).run()
        split = [f["id"] for f in two if len(f["guardians"] or []) >= 2 and rng.random() < SPLIT_SHARE]
        if split:
            await ConferenceSplitHousehold.insert(*[ConferenceSplitHousehold(window=window, family=f)
                                                    for f in split]).run()
    admin = Principal(user_id=0, role="admin")
    solved = await solving.solve_window(admin, window, SolveIn(time_limit=time_limit, seed=seed), effort=effort)
    published = await publishing.publish(admin, window)
    s = solved.summary
    summary = (f"conference week {EVENINGS[0][0][:10]}/{EVENINGS[1][0][8:10]}: {len(teachers)} teachers, "
               f"{len(families)} families ({len(split)} split), {int(s['placed'])}/{int(s['requested'])} meetings "
               f"placed, median span {s['median_family_span_minutes']:.0f} min, one-visit share "
               f"{s['one_visit_share']:.0%}, {published.assignments} interpreter blocks open; "
               f"{time.perf_counter() - started:.1f} s (GET /conference-windows/{window})")
    return ConferenceWeekLoaded(window_id=window, summary=summary)
