"""Races through the real server process on each engine: never oversold, never double-claimed.

Each scenario fires all its requests at once from many connections and
then audits the database; each runs several times, because one lucky
interleaving proves little.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from fractions import Fraction

import httpx
import pytest

from resources.tables import (
    ChildcareRatio,
    ChildcareResource,
    ChildcareStaffing,
    Interpreter,
    InterpreterAvailability,
    School,
)
from scheduler.accounts.tables import User
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.core.auth import hash_api_token, new_api_token
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family
from tests.integration.helpers import BoundDatabase

START = dt.datetime(2027, 3, 3, 0, 0, tzinfo=dt.timezone.utc)  # Tue 2 March 2027, 18:00 Chicago
REPEATS = 3


async def _school(slug: str) -> int:
    return (await School.insert(School(name=slug, slug=slug, timezone="America/Chicago", languages=["en"]))
            .returning(School.id).run())[0]["id"]


async def _users(role: str, school: int, n: int, **links) -> list[str]:
    tokens = [new_api_token() for _ in range(n)]
    await User.insert(*[User(role=role, name=role, email=f"{role}@example.org", school=school,
                             token_hash=hash_api_token(t), **{k: v[i] for k, v in links.items()})
                        for i, t in enumerate(tokens)]).run()
    return tokens


@pytest.mark.parametrize("attempt", range(REPEATS))
async def test_200_families_race_for_10_seats_and_8_childcare_places(server, attempt):
    async with BoundDatabase(server.database_url):
        school = await _school(f"race-{uuid.uuid4().hex[:8]}")
        care = (await ChildcareResource.insert(ChildcareResource(school=school, name="Kids", capacity=8))
                .returning(ChildcareResource.id).run())[0]["id"]
        await ChildcareStaffing.insert(ChildcareStaffing(childcare=care, weekday=1, start_minute=16 * 60,
                                                         end_minute=21 * 60, staff=1)).run()
        await ChildcareRatio.insert(ChildcareRatio(childcare=care, age_band="school-age", children_per_staff=15)).run()
        event = (await Event.insert(Event(school=school, kind="workshop", title="Race", duration_minutes=90,
                                          earliest_date=START.date(), latest_date=START.date(), status="published",
                                          starts_at=START, ends_at=START + dt.timedelta(minutes=90), seats=10,
                                          childcare=care)).returning(Event.id).run())[0]["id"]
        fams = [r["id"] for r in await Family.insert(*[
            Family(school=school, name=f"F{i}", language="en", email=f"f{i}@example.org", guardians=[])
            for i in range(200)]).returning(Family.id).run()]
        kids = {r["family"]: r["id"] for r in await Child.insert(*[
            Child(family=f, first_name="K", grade="2", age_band="school-age") for f in fams[::2]]
        ).returning(Child.id, Child.family).run()}
        tokens = await _users("family", school, 200, family=fams)
    path = f"/events/{event}/registrations"
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
        answers = await asyncio.gather(*[
            client.post(path, json={"child_ids": [kids[f]]} if f in kids else {},
                        headers={"Authorization": f"Bearer {tok}"}) for f, tok in zip(fams, tokens)])
    assert Counter(r.status_code for r in answers) == {201: 200}, server.output()[-3000:]
    async with BoundDatabase(server.database_url):
        regs = await Registration.select().where(Registration.event == event).run()
        care_rows = await ChildcareBooking.select().where((ChildcareBooking.event == event)
                                                          & (ChildcareBooking.status == "confirmed")).run()
    confirmed = [r for r in regs if r["status"] == "confirmed"]
    waiting = sorted((r for r in regs if r["status"] == "waitlisted"), key=lambda r: r["waitlist_seq"])
    assert len(confirmed) == 10 and len(waiting) == 190
    assert len(care_rows) <= 8 and Fraction(len(care_rows), 15) <= 1
    assert [r["waitlist_seq"] for r in waiting] == list(range(1, 191))
    positions = sorted(r.json()["waitlist_position"] for r in answers if r.json()["status"] == "waitlisted")
    assert positions[0] == 1 and len(set(positions)) == len(positions)  # each family was told a distinct place


@pytest.mark.parametrize("attempt", range(REPEATS))
async def test_50_interpreters_claim_one_assignment(server, attempt):
    async with BoundDatabase(server.database_url):
        school = await _school(f"claim-{uuid.uuid4().hex[:8]}")
        event = (await Event.insert(Event(school=school, kind="meeting", title="IEP", duration_minutes=60,
                                          earliest_date=START.date(), latest_date=START.date(), status="published",
                                          starts_at=START, ends_at=START + dt.timedelta(hours=1), seats=5))
                 .returning(Event.id).run())[0]["id"]
        assignment = (await InterpreterAssignment.insert(InterpreterAssignment(
            event=event, school=school, language="es", status="open", starts_at=START,
            ends_at=START + dt.timedelta(hours=1))).returning(InterpreterAssignment.id).run())[0]["id"]
        people = [r["id"] for r in await Interpreter.insert(*[
            Interpreter(school=school, name=f"I{i}", email=f"i{i}@example.org", languages=["es"]) for i in range(50)]
        ).returning(Interpreter.id).run()]
        await InterpreterAvailability.insert(*[InterpreterAvailability(interpreter=p, weekday=1, start_minute=0,
                                                                       end_minute=24 * 60) for p in people]).run()
        tokens = await _users("interpreter", school, 50, interpreter=people)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
        answers = await asyncio.gather(*[client.post(f"/assignments/{assignment}/claim",
                                                     headers={"Authorization": f"Bearer {t}"}) for t in tokens])
    assert Counter(r.status_code for r in answers) == {200: 1, 409: 49}
    winner = next(r.json() for r in answers if r.status_code == 200)
    async with BoundDatabase(server.database_url):
        row = await InterpreterAssignment.select().where(InterpreterAssignment.id == assignment).first().run()
    assert row["status"] == "claimed" and row["interpreter"] == winner["interpreter_id"]


@pytest.mark.parametrize("attempt", range(REPEATS))
async def test_one_interpreter_claims_two_overlapping_assignments_at_once(server, attempt):
    async with BoundDatabase(server.database_url):
        school = await _school(f"twice-{uuid.uuid4().hex[:8]}")
        ids = []
        for offset in (0, 30):
            start = START + dt.timedelta(minutes=offset)
            event = (await Event.insert(Event(school=school, kind="meeting", title="E", duration_minutes=60,
                                              earliest_date=START.date(), latest_date=START.date(), status="published",
                                              starts_at=start, ends_at=start + dt.timedelta(hours=1), seats=5))
                     .returning(Event.id).run())[0]["id"]
            ids.append((await InterpreterAssignment.insert(InterpreterAssignment(
                event=event, school=school, language="vi", status="open", starts_at=start,
                ends_at=start + dt.timedelta(hours=1))).returning(InterpreterAssignment.id).run())[0]["id"])
        person = (await Interpreter.insert(Interpreter(school=school, name="T", email="t@example.org", languages=["vi"]))
                  .returning(Interpreter.id).run())[0]["id"]
        await InterpreterAvailability.insert(InterpreterAvailability(interpreter=person, weekday=1, start_minute=0,
                                                                     end_minute=24 * 60)).run()
        (token,) = await _users("interpreter", school, 1, interpreter=[person])
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        answers = await asyncio.gather(*[client.post(f"/assignments/{a}/claim",
                                                     headers={"Authorization": f"Bearer {token}"}) for a in ids])
    assert sorted(r.status_code for r in answers) == [200, 409]
    async with BoundDatabase(server.database_url):
        taken = await InterpreterAssignment.count().where((InterpreterAssignment.interpreter == person)
                                                          & (InterpreterAssignment.status == "claimed")).run()
    assert taken == 1
