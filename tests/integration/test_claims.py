"""Interpreter claims through the real app: fit, one person per assignment, one place per person."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.assignments.tables import InterpreterAssignment
from tests.integration.helpers import in_app, make_event, make_school, make_user, ok, publish

TUESDAY = dt.datetime(2027, 3, 3, 0, 0, tzinfo=dt.timezone.utc)  # Tue 2 March 2027, 18:00 Chicago


@pytest.fixture
async def school(client):
    admin = await make_user(client)
    await make_school(client, admin)
    await make_school(client, admin, slug="maple")
    return admin


async def interpreter(client, admin, languages, max_per_day=None, slug="lincoln", windows=None) -> tuple[dict, dict]:
    person = await ok(await client.post(f"/schools/{slug}/interpreters", json={
        "name": "I", "email": "i@example.org", "languages": languages, "max_events_per_day": max_per_day},
        headers=admin), 201)
    windows = windows or [{"weekday": 1, "start": "16:00", "end": "22:00"}]
    await ok(await client.put(f"/interpreters/{person['id']}/availability", json=windows, headers=admin))
    user = await ok(await client.post(f"/schools/{slug}/users", json={
        "role": "interpreter", "name": "I", "email": "i@example.org", "interpreter_id": person["id"]}, headers=admin), 201)
    return person, {"Authorization": f"Bearer {user['token']}"}


async def assignment(client, admin, language: str, start: dt.datetime, minutes: int = 90, slug="lincoln") -> int:
    event = await make_event(client, admin, slug=slug, duration_minutes=minutes)
    publish(client, event["id"], start.isoformat(), minutes=minutes)

    async def insert() -> int:
        rows = await InterpreterAssignment.insert(InterpreterAssignment(
            event=event["id"], school=event["school_id"], language=language, status="open", starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes))).returning(InterpreterAssignment.id).run()
        return rows[0]["id"]

    return in_app(client, insert)


async def test_claim_release_confirm(client, school):
    a = await assignment(client, school, "es", TUESDAY)
    _, ana = await interpreter(client, school, ["es"])
    _, luis = await interpreter(client, school, ["es"])
    assert [x["id"] for x in await ok(await client.get("/interpreters/me/open-assignments", headers=ana))] == [a]
    claimed = await ok(await client.post(f"/assignments/{a}/claim", headers=ana))
    assert claimed["status"] == "claimed" and claimed["starts_at"] == "2027-03-02T18:00:00-06:00"
    second = await client.post(f"/assignments/{a}/claim", headers=luis)
    assert second.status_code == 409 and "already claimed" in second.json()["detail"]
    assert await ok(await client.get("/interpreters/me/open-assignments", headers=luis)) == []
    assert (await client.post(f"/assignments/{a}/confirm", headers=ana)).status_code == 403
    confirmed = await ok(await client.post(f"/assignments/{a}/confirm", headers=school))
    assert confirmed["status"] == "confirmed"
    assert [x["id"] for x in await ok(await client.get("/interpreters/me/assignments", headers=ana))] == [a]
    released = await ok(await client.post(f"/assignments/{a}/release", headers=ana))
    assert released["status"] == "open" and released["interpreter_id"] is None
    assert (await client.post(f"/assignments/{a}/release", headers=ana)).status_code == 409


async def test_claim_rules(client, school):
    somali = await assignment(client, school, "so", TUESDAY)
    first = await assignment(client, school, "es", TUESDAY)
    overlapping = await assignment(client, school, "es", TUESDAY + dt.timedelta(minutes=60))
    later = await assignment(client, school, "es", TUESDAY + dt.timedelta(minutes=100))
    across_town = await assignment(client, school, "es", TUESDAY + dt.timedelta(minutes=100), slug="maple")
    too_late = await assignment(client, school, "es", TUESDAY + dt.timedelta(hours=4, minutes=30))
    _, ana = await interpreter(client, school, ["es"], max_per_day=2)
    r = await client.post(f"/assignments/{somali}/claim", headers=ana)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "language" and "Somali" in r.json()["detail"]
    await ok(await client.post(f"/assignments/{first}/claim", headers=ana))
    r = await client.post(f"/assignments/{overlapping}/claim", headers=ana)
    assert r.status_code == 409 and "overlaps" in r.json()["detail"]
    # 10 minutes after the first ends: fine at the same school, too tight across town (30 min travel)
    r = await client.post(f"/assignments/{across_town}/claim", headers=ana)
    assert r.status_code == 409 and "travel" in r.json()["detail"]
    r = await client.post(f"/assignments/{too_late}/claim", headers=ana)
    assert r.status_code == 409 and "availability" in r.json()["detail"]
    listed = {x["id"] for x in await ok(await client.get("/interpreters/me/open-assignments", headers=ana))}
    assert listed == {later}
    await ok(await client.post(f"/assignments/{later}/claim", headers=ana))
    _, bo = await interpreter(client, school, ["es"], max_per_day=1)
    await ok(await client.post(f"/assignments/{overlapping}/claim", headers=bo))
    r = await client.post(f"/assignments/{across_town}/claim", headers=bo)
    assert r.status_code == 409  # overlaps Bo's own; and Bo's limit is one a day anyway
    assert (await client.post(f"/assignments/{first}/claim", headers=school)).status_code == 403
