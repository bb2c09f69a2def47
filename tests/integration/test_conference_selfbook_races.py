"""Self-booking racing through the real server process on each engine.

Fifty families, each with a child in Ms Lee's class and no meeting yet, all ask at the same moment for
the same slot (a hold, then a booking): exactly one wins, the rest get 409, and the database shows one
meeting. A hold that expires frees the slot for the next family (expired by writing its expiry into the
past, not by waiting).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter

import httpx

from resources.tables import Room, School
from scheduler.accounts.tables import User
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceEvening,
    ConferenceHold,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceWindow,
)
from scheduler.core.auth import hash_api_token, new_api_token
from scheduler.families.tables import Child, Family
from tests.integration.helpers import BoundDatabase

EVENING = dt.datetime(2027, 3, 16, 21, 0, tzinfo=dt.timezone.utc)  # Tue 16 March 2027, 16:00 in Chicago (CDT)
FAMILIES = 50
SLOT = "2027-03-16T18:30"


async def _open_window(families: int) -> tuple[int, list[int], list[str]]:
    """A published window open for self-booking: one teacher, ``families`` families with no meeting yet."""
    slug = f"self-{uuid.uuid4().hex[:8]}"
    school = (await School.insert(School(name=slug, slug=slug, timezone="America/Chicago", languages=["en"]))
              .returning(School.id).run())[0]["id"]
    room = (await Room.insert(Room(school=school, name="Room 12", capacity=20, tags=[])).returning(Room.id).run())[0]["id"]
    window = (await ConferenceWindow.insert(ConferenceWindow(school=school, name="Spring", status="published",
                                                             self_booking=True))
              .returning(ConferenceWindow.id).run())[0]["id"]
    await ConferenceEvening.insert(ConferenceEvening(window=window, starts_at=EVENING,
                                                     ends_at=EVENING + dt.timedelta(hours=4))).run()
    teacher = (await ConferenceTeacher.insert(ConferenceTeacher(window=window, name="Ms Lee", email="lee@example.org",
                                                                room=room)).returning(ConferenceTeacher.id).run())[0]["id"]
    fams = [r["id"] for r in await Family.insert(*[
        Family(school=school, name=f"F{i}", language="en", email=f"f{i}@example.org", guardians=[f"P{i}"])
        for i in range(families)]).returning(Family.id).run()]
    kids = [r["id"] for r in await Child.insert(*[
        Child(family=f, first_name="K", grade="2", age_band="school-age") for f in fams]).returning(Child.id).run()]
    await ConferenceClass.insert(*[ConferenceClass(teacher=teacher, child=k) for k in kids]).run()
    tokens = [new_api_token() for _ in fams]
    await User.insert(*[User(role="family", name="P", email=f"p{i}@example.org", school=school, family=f,
                             token_hash=hash_api_token(t)) for i, (f, t) in enumerate(zip(fams, tokens))]).run()
    return teacher, fams, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_50_families_hold_and_book_one_slot_exactly_one_wins(server):
    async with BoundDatabase(server.database_url):
        teacher, fams, tokens = await _open_window(FAMILIES)
    body = {"teacher_id": teacher, "start": SLOT}
    limits = httpx.Limits(max_connections=FAMILIES, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
        holds = await asyncio.gather(*[client.post(f"/families/{f}/conference-holds", json=body, headers=_auth(t))
                                       for f, t in zip(fams, tokens)])
        assert Counter(r.status_code for r in holds) == {201: 1, 409: FAMILIES - 1}, \
            [r.text for r in holds if r.status_code not in (201, 409)][:3]
        holder = next(i for i, r in enumerate(holds) if r.status_code == 201)
        # everyone books at once: only the holder can have it
        books = await asyncio.gather(*[client.post(f"/families/{f}/conference-bookings", json=body, headers=_auth(t))
                                       for f, t in zip(fams, tokens)])
    assert Counter(r.status_code for r in books) == {201: 1, 409: FAMILIES - 1}, \
        [r.text for r in books if r.status_code not in (201, 409)][:3]
    assert books[holder].status_code == 201 and books[holder].json()["start"].startswith(SLOT)
    async with BoundDatabase(server.database_url):
        live = await ConferenceMeeting.select().where((ConferenceMeeting.teacher == teacher)
                                                      & (ConferenceMeeting.status != "cancelled")).run()
        left = await ConferenceHold.select().where(ConferenceHold.teacher == teacher).run()
    assert [m["family"] for m in live] == [fams[holder]] and live[0]["status"] == "accepted"
    assert left == []  # the booking let its hold go


async def test_50_families_book_one_free_slot_without_holding(server):
    async with BoundDatabase(server.database_url):
        teacher, fams, tokens = await _open_window(FAMILIES)
    body = {"teacher_id": teacher, "start": SLOT}
    limits = httpx.Limits(max_connections=FAMILIES, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
        books = await asyncio.gather(*[client.post(f"/families/{f}/conference-bookings", json=body, headers=_auth(t))
                                       for f, t in zip(fams, tokens)])
    assert Counter(r.status_code for r in books) == {201: 1, 409: FAMILIES - 1}, \
        [r.text for r in books if r.status_code not in (201, 409)][:3]
    async with BoundDatabase(server.database_url):
        live = await ConferenceMeeting.select().where(ConferenceMeeting.teacher == teacher).run()
    assert len(live) == 1


async def test_an_expired_hold_frees_the_slot(server):
    async with BoundDatabase(server.database_url):
        teacher, fams, tokens = await _open_window(2)
    body = {"teacher_id": teacher, "start": SLOT}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        first = await client.post(f"/families/{fams[0]}/conference-holds", json=body, headers=_auth(tokens[0]))
        assert first.status_code == 201, first.text
        assert dt.datetime.fromisoformat(first.json()["expires_at"]) > dt.datetime.now(dt.timezone.utc)
        refused = await client.post(f"/families/{fams[1]}/conference-holds", json=body, headers=_auth(tokens[1]))
        assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "start"
        async with BoundDatabase(server.database_url):  # the first family walked away: its hold runs out
            await ConferenceHold.update({ConferenceHold.expires_at: dt.datetime.now(dt.timezone.utc)
                                         - dt.timedelta(seconds=1)}).where(ConferenceHold.family == fams[0]).run()
        second = await client.post(f"/families/{fams[1]}/conference-holds", json=body, headers=_auth(tokens[1]))
        assert second.status_code == 201, second.text
        late = await client.post(f"/families/{fams[0]}/conference-bookings", json=body, headers=_auth(tokens[0]))
        assert late.status_code == 409
        won = await client.post(f"/families/{fams[1]}/conference-bookings", json=body, headers=_auth(tokens[1]))
        assert won.status_code == 201, won.text
    async with BoundDatabase(server.database_url):
        holds = await ConferenceHold.select().run()
    assert [h for h in holds if h["teacher"] == teacher] == []
