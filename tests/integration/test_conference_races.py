"""Conference moves racing through the real server process on each engine.

Twenty families each hold a meeting with one teacher and all ask, at the
same moment, for the teacher's one free slot: exactly one wins, the rest
get 409, and the database shows the teacher never double-booked. Each
scenario runs several times, because one lucky interleaving proves little.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter

import httpx
import pytest

from resources.tables import Room, School
from scheduler.accounts.tables import User
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceEvening,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceWindow,
)
from scheduler.core.auth import hash_api_token, new_api_token
from scheduler.families.tables import Child, Family
from tests.integration.helpers import BoundDatabase

EVENING = dt.datetime(2027, 3, 16, 21, 0, tzinfo=dt.timezone.utc)  # Tue 16 March 2027, 16:00 in Chicago (CDT)
FAMILIES = 20
REPEATS = 3
FREE_SLOT = "2027-03-16T19:30"


async def _one_teacher_full_but_one_slot() -> tuple[int, list[int], list[str]]:
    """A published window: one teacher, twenty families each with a 10-minute meeting, 19:30 free."""
    slug = f"race-{uuid.uuid4().hex[:8]}"
    school = (await School.insert(School(name=slug, slug=slug, timezone="America/Chicago", languages=["en"]))
              .returning(School.id).run())[0]["id"]
    room = (await Room.insert(Room(school=school, name="Room 12", capacity=20, tags=[])).returning(Room.id).run())[0]["id"]
    window = (await ConferenceWindow.insert(ConferenceWindow(school=school, name="Spring", status="published"))
              .returning(ConferenceWindow.id).run())[0]["id"]
    await ConferenceEvening.insert(ConferenceEvening(window=window, starts_at=EVENING,
                                                     ends_at=EVENING + dt.timedelta(hours=4))).run()
    teacher = (await ConferenceTeacher.insert(ConferenceTeacher(window=window, name="Ms Lee", email="lee@example.org",
                                                                room=room)).returning(ConferenceTeacher.id).run())[0]["id"]
    fams = [r["id"] for r in await Family.insert(*[
        Family(school=school, name=f"F{i}", language="en", email=f"f{i}@example.org", guardians=[f"P{i}"])
        for i in range(FAMILIES)]).returning(Family.id).run()]
    kids = [r["id"] for r in await Child.insert(*[
        Child(family=f, first_name="K", grade="2", age_band="school-age") for f in fams]).returning(Child.id).run()]
    await ConferenceClass.insert(*[ConferenceClass(teacher=teacher, child=k) for k in kids]).run()
    meetings = [r["id"] for r in await ConferenceMeeting.insert(*[
        ConferenceMeeting(window=window, teacher=teacher, family=f, child_ids=[k],
                          starts_at=EVENING + dt.timedelta(minutes=10 * i),
                          ends_at=EVENING + dt.timedelta(minutes=10 * i + 10), status="proposed")
        for i, (f, k) in enumerate(zip(fams, kids))]).returning(ConferenceMeeting.id).run()]
    tokens = [new_api_token() for _ in fams]
    await User.insert(*[User(role="family", name="P", email="p@example.org", school=school, family=f,
                             token_hash=hash_api_token(t)) for f, t in zip(fams, tokens)]).run()
    return teacher, meetings, tokens


@pytest.mark.parametrize("attempt", range(REPEATS))
async def test_20_families_move_into_one_free_slot(server, attempt):
    async with BoundDatabase(server.database_url):
        teacher, meetings, tokens = await _one_teacher_full_but_one_slot()
    limits = httpx.Limits(max_connections=FAMILIES, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
        answers = await asyncio.gather(*[
            client.post(f"/conference-meetings/{m}/move", json={"start": FREE_SLOT},
                        headers={"Authorization": f"Bearer {t}"}) for m, t in zip(meetings, tokens)])
    assert Counter(r.status_code for r in answers) == {200: 1, 409: FAMILIES - 1}, \
        [r.text for r in answers if r.status_code not in (200, 409)][:3]
    async with BoundDatabase(server.database_url):
        live = await ConferenceMeeting.select().where((ConferenceMeeting.teacher == teacher)
                                                      & (ConferenceMeeting.status != "cancelled")).run()
    live.sort(key=lambda r: r["starts_at"])
    assert len(live) == FAMILIES
    assert all(b["starts_at"] >= a["ends_at"] for a, b in zip(live, live[1:]))  # never double-booked
    winner = next(r.json() for r in answers if r.status_code == 200)
    assert [r["id"] for r in live if r["moved"]] == [winner["id"]] and winner["start"].startswith(FREE_SLOT)


@pytest.mark.parametrize("attempt", range(REPEATS))
async def test_one_family_moves_two_meetings_to_the_same_time_at_once(server, attempt):
    """Different teachers, so only the family row stands between the two moves: one wins."""
    async with BoundDatabase(server.database_url):
        slug = f"pair-{uuid.uuid4().hex[:8]}"
        school = (await School.insert(School(name=slug, slug=slug, timezone="America/Chicago", languages=["en"]))
                  .returning(School.id).run())[0]["id"]
        rooms = [r["id"] for r in await Room.insert(*[Room(school=school, name=f"Room {n}", capacity=20, tags=[])
                                                      for n in (11, 12)]).returning(Room.id).run()]
        window = (await ConferenceWindow.insert(ConferenceWindow(school=school, name="Spring", status="published"))
                  .returning(ConferenceWindow.id).run())[0]["id"]
        await ConferenceEvening.insert(ConferenceEvening(window=window, starts_at=EVENING,
                                                         ends_at=EVENING + dt.timedelta(hours=4))).run()
        teachers = [r["id"] for r in await ConferenceTeacher.insert(*[
            ConferenceTeacher(window=window, name=n, email="t@example.org", room=room)
            for n, room in zip(("Ms Lee", "Mr Kim"), rooms)]).returning(ConferenceTeacher.id).run()]
        family = (await Family.insert(Family(school=school, name="F", language="en", email="f@example.org",
                                             guardians=["P"])).returning(Family.id).run())[0]["id"]
        kids = [r["id"] for r in await Child.insert(*[Child(family=family, first_name=f"K{i}", grade=str(i),
                                                            age_band="school-age") for i in (1, 2)])
                .returning(Child.id).run()]
        meetings = [r["id"] for r in await ConferenceMeeting.insert(*[
            ConferenceMeeting(window=window, teacher=t, family=family, child_ids=[k],
                              starts_at=EVENING + dt.timedelta(minutes=15 * i),
                              ends_at=EVENING + dt.timedelta(minutes=15 * i + 10), status="proposed")
            for i, (t, k) in enumerate(zip(teachers, kids))]).returning(ConferenceMeeting.id).run()]
        token = new_api_token()
        await User.insert(User(role="family", name="P", email="p@example.org", school=school, family=family,
                               token_hash=hash_api_token(token))).run()
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        answers = await asyncio.gather(*[client.post(f"/conference-meetings/{m}/move", json={"start": FREE_SLOT},
                                                     headers={"Authorization": f"Bearer {token}"}) for m in meetings])
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    async with BoundDatabase(server.database_url):
        live = await ConferenceMeeting.select().where(ConferenceMeeting.family == family).run()
    live.sort(key=lambda r: r["starts_at"])
    assert live[1]["starts_at"] >= live[0]["ends_at"] + dt.timedelta(minutes=5)  # passing time kept
