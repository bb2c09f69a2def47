"""Bad input: a 4xx naming the field and the problem, and nothing written."""

from __future__ import annotations

import pytest

from tests.integration.helpers import make_family, make_school, make_user, ok


def fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
async def school(client):
    admin = await make_user(client)
    await make_school(client, admin)
    return admin


async def test_unknown_time_zone(client, school):
    r = await client.post("/schools", json={"name": "X", "slug": "x-school", "timezone": "Mars/Olympus"}, headers=school)
    assert r.status_code == 422 and fields(r) == ["timezone"] and "unknown time zone" in r.json()["detail"]
    assert (await ok(await client.get("/schools", headers=school)))["total"] == 1


async def test_duplicate_slug(client, school):
    r = await client.post("/schools", json={"name": "Again", "slug": "lincoln", "timezone": "UTC"}, headers=school)
    assert r.status_code == 409 and fields(r) == ["slug"] and "already taken" in r.json()["detail"]


async def test_negative_capacity(client, school):
    r = await client.post("/schools/lincoln/rooms", json={"name": "Gym", "capacity": -5}, headers=school)
    assert r.status_code == 400 and fields(r) == ["capacity"] and ">= 0" in r.json()["detail"]
    assert (await ok(await client.get("/schools/lincoln/rooms", headers=school)))["total"] == 0


async def test_unknown_language_code(client, school):
    r = await client.post("/schools/lincoln/interpreters", json={
        "name": "A", "email": "a@example.org", "languages": ["es", "xx"]}, headers=school)
    assert r.status_code == 422 and fields(r) == ["languages[1]"] and "'xx'" in r.json()["detail"]
    assert (await ok(await client.get("/schools/lincoln/interpreters", headers=school)))["total"] == 0


async def test_end_before_start_keeps_old_availability(client, school):
    fam = await make_family(client, school)
    good = {"weekly": [{"weekday": 1, "start": "18:00", "end": "20:00"}], "dated": []}
    await ok(await client.put(f"/families/{fam['id']}/availability", json=good, headers=school))
    bad = {"weekly": [{"weekday": 2, "start": "18:00", "end": "19:00"}, {"weekday": 3, "start": "20:00", "end": "18:00"}],
           "dated": [{"start": "2027-03-02T19:00", "end": "2027-03-02T18:00"}]}
    r = await client.put(f"/families/{fam['id']}/availability", json=bad, headers=school)
    assert r.status_code == 422 and fields(r) == ["weekly[1].end", "dated[0].end"]
    assert (await ok(await client.get(f"/families/{fam['id']}/availability", headers=school)))["weekly"] == good["weekly"]


@pytest.mark.parametrize("value", ["25:00", "18:75", "6pm"])
async def test_time_outside_the_day(client, school, value):
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "R", "capacity": 5}, headers=school), 201)
    r = await client.put(f"/rooms/{room['id']}/availability", json=[{"weekday": 0, "start": value, "end": "23:00"}],
                         headers=school)
    assert r.status_code == 400 and fields(r) == ["[0].start"], r.text
    assert await ok(await client.get(f"/rooms/{room['id']}/availability", headers=school)) == []


async def test_unknown_reference(client, school):
    r = await client.post("/schools/lincoln/childcare", json={"name": "Kids", "capacity": 10, "room_id": 999},
                          headers=school)
    assert r.status_code == 422 and fields(r) == ["room_id"] and "no room 999" in r.json()["detail"]
    r = await client.post("/schools/lincoln/users", json={"role": "family", "name": "A", "email": "a@example.org",
                                                          "family_id": 4242}, headers=school)
    assert r.status_code == 422 and fields(r) == ["family_id"]
    r = await client.put("/families/1/interests", json={"event_ids": [77]}, headers=school)
    assert r.status_code in (404, 422)
    assert (await client.get("/schools/nowhere/rooms", headers=school)).status_code == 404
    assert (await ok(await client.get("/schools/lincoln/childcare", headers=school)))["total"] == 0


async def test_event_rules(client, school):
    base = {"title": "T", "kind": "workshop", "duration_minutes": 60}
    r = await client.post("/schools/lincoln/events", json={**base, "earliest_date": "2027-03-10",
                                                           "latest_date": "2027-03-01"}, headers=school)
    assert r.status_code == 422 and fields(r) == ["latest_date"]
    # 02:30 on 14 March 2027 does not exist in Chicago: clocks jump from 02:00 to 03:00
    r = await client.post("/schools/lincoln/events", json={**base, "earliest_date": "2027-03-10",
                                                           "latest_date": "2027-03-20",
                                                           "fixed_start": "2027-03-14T02:30"}, headers=school)
    assert r.status_code == 422 and fields(r) == ["fixed_start"] and "does not exist" in r.json()["detail"]
    r = await client.post("/schools/lincoln/events", json={**base, "kind": "party", "earliest_date": "2027-03-10",
                                                           "latest_date": "2027-03-20"}, headers=school)
    assert r.status_code == 400 and fields(r) == ["kind"]
    r = await client.post("/schools/lincoln/events", json={**base, "earliest_date": "2027-03-10",
                                                           "latest_date": "2027-03-20", "colour": "red"}, headers=school)
    assert r.status_code == 400 and "colour" in r.json()["detail"]
    assert (await ok(await client.get("/schools/lincoln/events", headers=school)))["total"] == 0


async def test_wrong_age_band_and_malformed_json(client, school):
    fam = await make_family(client, school)
    r = await client.post(f"/families/{fam['id']}/children", json={"first_name": "L", "grade": "2", "age_band": "teen"},
                          headers=school)
    assert r.status_code == 422 and fields(r) == ["age_band"]
    r = await client.post("/schools/lincoln/rooms", content=b"{not json", headers={**school, "content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert (await client.get("/rooms/99999999999999999999", headers=school)).status_code in (400, 404)


async def test_room_in_use_is_not_deleted(client, school):
    from tests.integration.helpers import make_event, publish

    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Library", "capacity": 80},
                                      headers=school), 201)
    event = await make_event(client, school)
    publish(client, event["id"], "2027-03-03T00:00:00+00:00", room_id=room["id"])
    r = await client.delete(f"/rooms/{room['id']}", headers=school)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "room_id" and "upcoming event" in r.json()["detail"]
    assert (await ok(await client.get(f"/rooms/{room['id']}", headers=school)))["name"] == "Library"
