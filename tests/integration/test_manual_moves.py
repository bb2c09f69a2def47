"""A move by hand is checked by the engine's hard rules: each rule refuses on its own, an override is recorded
and shown, the families a move costs are counted; and a plan notices when its inputs change."""

from __future__ import annotations

from scheduler.events.tables import Event
from tests.integration.helpers import in_app, make_school, make_user, ok, publish, rows, sign_in
from tests.integration.test_plans import plan_and_wait, small_school

WINDOW = {"earliest_date": "2027-03-08", "latest_date": "2027-03-19"}


async def _post(client, url, body, headers, status=201):
    return await ok(await client.post(url, json=body, headers=headers), status)


async def school_with_published_events(client) -> dict:
    """Hall and Room 101 (weekdays 17-21), Rosa (Spanish, Tue and Thu), childcare staffed on Tuesdays only.

    Published: A "Family Math" (grade 3, Spanish, childcare) Tue 9 March 18:00 in the Hall; B "Reading"
    (grade 3) Wed 10 March 18:00 in Room 101; C "Concert" (everyone) Thu 11 March 18:00 in the Hall. Four
    Spanish-speaking families with a child in grade 3 are free on Tuesdays, two of them on Thursdays too.
    """
    admin = await make_user(client)
    await make_school(client, admin)
    s = "/schools/lincoln"
    rooms = {}
    for name in ("Hall", "Room 101"):
        rooms[name] = await _post(client, f"{s}/rooms", {"name": name, "capacity": 50}, admin)
        await ok(await client.put(f"/rooms/{rooms[name]['id']}/availability", headers=admin, json=[
            {"weekday": d, "start": "17:00", "end": "21:00"} for d in range(5)]))
    rosa = await _post(client, f"{s}/interpreters", {"name": "Rosa", "email": "rosa@example.org", "languages": ["es"]},
                       admin)
    await ok(await client.put(f"/interpreters/{rosa['id']}/availability", headers=admin, json=[
        {"weekday": d, "start": "17:00", "end": "21:00"} for d in (1, 3)]))
    care = await _post(client, f"{s}/childcare", {"name": "Kids' Corner", "capacity": 20}, admin)
    await ok(await client.put(f"/childcare/{care['id']}/staffing", headers=admin, json=[
        {"weekday": 1, "start": "17:00", "end": "21:00", "staff": 2}]))
    base = {"kind": "workshop", "duration_minutes": 60, "min_capacity": 10, **WINDOW}
    a = await _post(client, f"{s}/events", {**base, "title": "Family Math", "audience": ["grade-3"],
                                            "interpreter_languages": ["es"], "childcare_children": 5}, admin)
    b = await _post(client, f"{s}/events", {**base, "title": "Reading", "audience": ["grade-3"]}, admin)
    c = await _post(client, f"{s}/events", {**base, "title": "Concert"}, admin)
    publish(client, a["id"], "2027-03-10T00:00:00+00:00", 60, room_id=rooms["Hall"]["id"], childcare_id=care["id"])
    publish(client, b["id"], "2027-03-11T00:00:00+00:00", 60, room_id=rooms["Room 101"]["id"])
    publish(client, c["id"], "2027-03-12T00:00:00+00:00", 60, room_id=rooms["Hall"]["id"])
    for i in range(4):
        fam = await _post(client, f"{s}/families", {"name": f"Family {i}", "language": "es",
                                                    "email": f"f{i}@example.org"}, admin)
        await _post(client, f"/families/{fam['id']}/children", {"first_name": f"Kid {i}", "grade": "3",
                                                                 "age_band": "school-age"}, admin)
        weekly = [{"weekday": 1, "start": "17:00", "end": "21:00"}]
        if i < 2:
            weekly.append({"weekday": 3, "start": "17:00", "end": "21:00"})
        await ok(await client.put(f"/families/{fam['id']}/availability", headers=admin,
                                  json={"weekly": weekly, "dated": []}))
    return {"admin": admin, "a": a, "b": b, "c": c, "rooms": rooms}


async def _check(client, w, start: str) -> dict:
    return await ok(await client.get(f"/events/{w['a']['id']}/move-check", params={"start": start},
                                     headers=w["admin"]))


async def test_each_hard_rule_refuses_a_move_on_its_own_and_the_cost_is_counted(client):
    w = await school_with_published_events(client)
    # Thursday 19:30: the Hall is free after the concert and Rosa works Thursdays, but childcare is Tuesdays only
    thursday = await _check(client, w, "2027-03-11T19:30")
    assert thursday["rules"] == ["childcare"]
    assert "childcare" in thursday["problems"][0]
    assert (thursday["families_now"], thursday["families_then"]) == (4, 2)  # two families are not free Thursdays
    # Thursday 18:00: the concert has the Hall
    assert (await _check(client, w, "2027-03-11T18:00"))["rules"] == ["room", "childcare"]
    # Wednesday 18:00: no Spanish interpreter, no childcare, and Reading is on for the same grade
    wednesday = await _check(client, w, "2027-03-10T18:00")
    assert wednesday["rules"] == ["interpreter", "childcare", "audience"]
    assert any("Reading" in p for p in wednesday["problems"])
    # Saturday: the Hall is closed as well
    assert (await _check(client, w, "2027-03-13T18:00"))["rules"] == ["room", "interpreter", "childcare"]
    # the next Tuesday: everything fits
    fine = await _check(client, w, "2027-03-16T18:00")
    assert fine["rules"] == [] and fine["families_then"] == 4
    # a smaller Hall no longer fits the event's capacity
    await ok(await client.put(f"/rooms/{w['rooms']['Hall']['id']}", headers=w["admin"],
                              json={"name": "Hall", "capacity": 5}))
    assert (await _check(client, w, "2027-03-16T18:00"))["rules"] == ["room_fit"]


async def test_a_refused_move_changes_nothing_and_an_override_is_recorded_and_shown(client):
    w = await school_with_published_events(client)
    url, admin = f"/events/{w['a']['id']}/move", w["admin"]
    before = await ok(await client.get(f"/events/{w['a']['id']}", headers=admin))
    refused = await client.post(url, json={"start": "2027-03-11T19:30"}, headers=admin)
    assert refused.status_code == 409 and "childcare" in refused.json()["detail"]
    after = await ok(await client.get(f"/events/{w['a']['id']}", headers=admin))
    assert (after["starts_at"], after["sequence"], after["override"]) == (before["starts_at"], before["sequence"], None)

    moved = await ok(await client.post(url, json={"start": "2027-03-11T19:30", "override": True}, headers=admin))
    assert moved["starts_at"].startswith("2027-03-11T19:30") and moved["sequence"] == before["sequence"] + 1
    assert moved["override"]["rules"] == ["childcare"] and moved["override"]["by"] is not None

    # even overridden, a room is never double-booked
    taken = await client.post(url, json={"start": "2027-03-11T18:00", "override": True}, headers=admin)
    assert taken.status_code == 409

    # a move that breaks nothing clears the mark
    clean = await ok(await client.post(url, json={"start": "2027-03-16T18:00"}, headers=admin))
    assert clean["override"] is None


async def test_the_move_page_names_the_rules_and_needs_the_override_box(web):
    w = await school_with_published_events(web)
    csrf = await sign_in(web, w["admin"]["Authorization"].removeprefix("Bearer "))
    url = f"/planner/events/{w['a']['id']}/move"
    checked = await web.post(url, data={"csrf": csrf, "start": "2027-03-11T19:30", "step": "check"})
    assert checked.status_code == 200 and 'id="move-check"' in checked.text and "childcare" in checked.text
    assert 'name="override"' in checked.text and "The move costs 2 families." in checked.text
    refused = await web.post(url, data={"csrf": csrf, "start": "2027-03-11T19:30", "step": "do"})
    assert refused.status_code == 409 and "childcare" in refused.text
    assert rows(web, Event, Event.id == w["a"]["id"])[0]["sequence"] == 0
    moved = await web.post(url, data={"csrf": csrf, "start": "2027-03-11T19:30", "step": "do", "override": "yes"})
    assert moved.status_code == 303
    planner = await web.get("/planner")
    assert "Moved by hand against the planner" in planner.text


async def test_a_plan_notices_changed_rooms_and_interests_and_refuses_to_publish(client, monkeypatch):
    from scheduler.planning import services

    monkeypatch.setattr(services, "STALE_SECONDS", 0.0)  # every read digests afresh (the cache: test below)
    w = await small_school(client)
    admin = w["admin"]
    plan = await plan_and_wait(client, admin)
    assert plan["stale"] == []
    room = w["rooms"]["Room 101"]
    await ok(await client.put(f"/rooms/{room['id']}", headers=admin, json={"name": "Room 101A", "capacity": 30}))
    assert (await ok(await client.get(f"/plans/{plan['id']}", headers=admin)))["stale"] == []  # a new name only
    await ok(await client.put(f"/rooms/{room['id']}/availability", headers=admin,
                              json=[{"weekday": 0, "start": "15:00", "end": "21:00"}]))
    family = w["families"][0]
    await ok(await client.put(f"/families/{family['id']}/interests", headers=admin,
                              json={"event_ids": [], "not_for_us": [w["events"]["concert"]["id"]]}))
    again = await ok(await client.get(f"/plans/{plan['id']}", headers=admin))
    assert again["stale"] == ["rooms", "interests"]
    refused = await client.post(f"/plans/{plan['id']}/publish", headers=admin)
    assert refused.status_code == 409 and "rooms, interests changed" in refused.json()["detail"]
    assert in_app(client, _status, plan["id"]) == "ready"


async def _status(plan_id: int) -> str:
    from scheduler.planning.tables import Plan

    return (await Plan.select(Plan.status).where(Plan.id == plan_id).first().run())["status"]


async def test_showing_a_plan_digests_its_inputs_at_most_once_per_interval_but_publishing_always(client,
                                                                                                  monkeypatch):
    from scheduler.planning import services

    w = await small_school(client)
    admin = w["admin"]
    plan = await plan_and_wait(client, admin)
    digests = []
    real = services.stale_inputs

    async def counted(row, school):
        digests.append(row["id"])
        return await real(row, school)

    monkeypatch.setattr(services, "stale_inputs", counted)
    monkeypatch.setattr(services, "STALE_SECONDS", 3600.0)
    services._stale_seen.clear()
    for _ in range(3):
        assert (await ok(await client.get(f"/plans/{plan['id']}", headers=admin)))["stale"] == []
    assert digests == [plan["id"]]  # one digest for three reads
    await ok(await client.put(f"/rooms/{w['rooms']['Room 101']['id']}/availability", headers=admin,
                              json=[{"weekday": 0, "start": "15:00", "end": "21:00"}]))
    refused = await client.post(f"/plans/{plan['id']}/publish", headers=admin)  # publishing checks afresh
    assert refused.status_code == 409 and "rooms changed" in refused.json()["detail"]
    monkeypatch.setattr(services, "STALE_SECONDS", 0.0)  # the interval over: the next read sees it
    assert (await ok(await client.get(f"/plans/{plan['id']}", headers=admin)))["stale"] == ["rooms"]
