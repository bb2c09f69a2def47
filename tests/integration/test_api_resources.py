"""Create, read, update, list and delete every resource through the real app and database."""

from __future__ import annotations

from tests.integration.helpers import family_user, make_family, make_school, make_user, ok


async def test_health_and_openapi_list_every_route(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    api = [r for r in client.app.routes  # the web pages and static files are not API operations
           if any(h.resolve_include_in_schema() for h in getattr(r, "route_handlers", []))]
    served = {(m, r.path_format) for r in api for m in getattr(r, "methods", ()) if m not in ("HEAD", "OPTIONS")}
    served = {(m, p) for m, p in served if not p.startswith("/schema")}
    assert served <= routes, served - routes
    assert ("POST", "/schools/{slug}/events") in routes and ("PUT", "/families/{family_id}/availability") in routes
    # the offline docs UI is only as good as what each operation says about itself
    undocumented = [(m, p) for p, ops in paths.items() for m, op in ops.items()
                    if isinstance(op, dict) and not (op.get("summary") and op.get("description") and op.get("tags"))]
    assert undocumented == []


async def test_school_crud_and_pagination(client):
    district = await make_user(client)
    for i in range(3):
        await make_school(client, district, slug=f"school-{i}")
    page = await ok(await client.get("/schools?limit=2&offset=1", headers=district))
    assert page["total"] == 3 and [s["slug"] for s in page["items"]] == ["school-1", "school-2"]
    updated = await ok(await client.put("/schools/school-0", json={
        "name": "Renamed", "slug": "school-0", "timezone": "Europe/Berlin", "languages": ["de", "en"]}, headers=district))
    assert updated["name"] == "Renamed" and updated["timezone"] == "Europe/Berlin"
    assert (await ok(await client.get("/schools/school-0", headers=district)))["languages"] == ["de", "en"]


async def test_rooms_with_availability_and_tag_filter(client):
    district = await make_user(client)
    await make_school(client, district)
    gym = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Gym", "capacity": 300,
                                                                    "tags": ["stage", "accessible"]}, headers=district), 201)
    await ok(await client.post("/schools/lincoln/rooms", json={"name": "Room 4", "capacity": 25}, headers=district), 201)
    staged = await ok(await client.get("/schools/lincoln/rooms?tag=stage", headers=district))
    assert [r["name"] for r in staged["items"]] == ["Gym"] and staged["items"][0]["tags"] == ["accessible", "stage"]
    windows = [{"weekday": 1, "start": "17:00", "end": "21:00"}, {"weekday": 0, "start": "15:30", "end": "24:00"}]
    got = await ok(await client.put(f"/rooms/{gym['id']}/availability", json=windows, headers=district))
    assert got == sorted(windows, key=lambda w: w["weekday"])
    await ok(await client.put(f"/rooms/{gym['id']}", json={"name": "Big Gym", "capacity": 280, "tags": []}, headers=district))
    assert (await ok(await client.get(f"/rooms/{gym['id']}", headers=district)))["capacity"] == 280
    assert (await client.delete(f"/rooms/{gym['id']}", headers=district)).status_code == 204
    assert (await client.get(f"/rooms/{gym['id']}", headers=district)).status_code == 404


async def test_interpreters_and_childcare(client):
    district = await make_user(client)
    await make_school(client, district)
    ana = await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Ana", "email": "ana@example.org", "languages": ["pt", "es"], "max_events_per_day": 2},
        headers=district), 201)
    assert ana["languages"] == ["es", "pt"]
    listed = await ok(await client.get("/schools/lincoln/interpreters?language=pt", headers=district))
    assert [i["name"] for i in listed["items"]] == ["Ana"]
    assert (await ok(await client.get("/schools/lincoln/interpreters?language=so", headers=district)))["total"] == 0
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Kids", "capacity": 20}, headers=district), 201)
    care = await ok(await client.post("/schools/lincoln/childcare", json={"name": "Kids' Corner", "capacity": 20,
                                                                         "room_id": room["id"]}, headers=district), 201)
    ratios = await ok(await client.get(f"/childcare/{care['id']}/ratios", headers=district))
    assert {r["age_band"]: r["children_per_staff"] for r in ratios} == {"infant": 4, "toddler": 6, "preschool": 10,
                                                                        "school-age": 15}
    await ok(await client.put(f"/childcare/{care['id']}/ratios", json=[{"age_band": "infant", "children_per_staff": 3}],
                              headers=district))
    staffing = [{"weekday": 2, "start": "17:00", "end": "20:00", "staff": 3}]
    assert await ok(await client.put(f"/childcare/{care['id']}/staffing", json=staffing, headers=district)) == staffing


async def test_family_children_availability_interests(client):
    district = await make_user(client)
    await make_school(client, district)
    fam = await make_family(client, district)
    kid = await ok(await client.post(f"/families/{fam['id']}/children", json={
        "first_name": "Leo", "grade": "3", "age_band": "school-age"}, headers=district), 201)
    await ok(await client.put(f"/children/{kid['id']}", json={"first_name": "Leo", "grade": "4",
                                                            "age_band": "school-age"}, headers=district))
    assert [c["grade"] for c in await ok(await client.get(f"/families/{fam['id']}/children", headers=district))] == ["4"]
    avail = {"weekly": [{"weekday": 3, "start": "18:00", "end": "20:30"}],
             "dated": [{"start": "2027-03-15T18:00", "end": "2027-03-15T20:00", "busy": False}]}
    got = await ok(await client.put(f"/families/{fam['id']}/availability", json=avail, headers=district))
    assert got["weekly"] == avail["weekly"]
    # 15 March 2027 is after the spring change: Chicago is UTC-5 then
    assert got["dated"] == [{"start": "2027-03-15T18:00:00-05:00", "end": "2027-03-15T20:00:00-05:00", "busy": False}]
    ev = await ok(await client.post("/schools/lincoln/events", json={
        "title": "Math Night", "kind": "workshop", "duration_minutes": 90, "earliest_date": "2027-03-01",
        "latest_date": "2027-03-12"}, headers=district), 201)
    assert await ok(await client.put(f"/families/{fam['id']}/interests", json={"event_ids": [ev["id"]]},
                                     headers=district)) == {"event_ids": [ev["id"]], "not_for_us": []}


async def test_events_filter_update_cancel(client):
    district = await make_user(client)
    await make_school(client, district)
    base = {"duration_minutes": 60, "earliest_date": "2027-03-01", "latest_date": "2027-03-05"}
    math = await ok(await client.post("/schools/lincoln/events", json={"title": "Math", "kind": "workshop", **base},
                                      headers=district), 201)
    await ok(await client.post("/schools/lincoln/events", json={
        "title": "Potluck", "kind": "cultural", **base, "earliest_date": "2027-04-01", "latest_date": "2027-04-02"},
        headers=district), 201)
    assert [e["title"] for e in (await ok(await client.get("/schools/lincoln/events?kind=cultural",
                                                           headers=district)))["items"]] == ["Potluck"]
    assert [e["title"] for e in (await ok(await client.get("/schools/lincoln/events?from=2027-03-20",
                                                           headers=district)))["items"]] == ["Potluck"]
    assert (await ok(await client.get("/schools/lincoln/events?status=draft", headers=district)))["total"] == 2
    pinned = await ok(await client.put(f"/events/{math['id']}", json={
        "title": "Math", "kind": "workshop", **base, "fixed_start": "2027-03-02T18:00"}, headers=district))
    assert pinned["fixed_start"] == "2027-03-02T18:00:00-06:00"
    cancelled = await ok(await client.post(f"/events/{math['id']}/cancel", headers=district))
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 1 and cancelled["cancelled_at"]
    assert (await client.delete(f"/events/{math['id']}", headers=district)).status_code == 409


async def test_roles_are_enforced(client):
    district = await make_user(client)
    await make_school(client, district)
    await make_school(client, district, slug="other")
    fam = await make_family(client, district)
    other_fam = await make_family(client, district, slug="other")
    family = await family_user(client, district, fam["id"])
    assert (await client.get("/families/1", headers={})).status_code == 401
    assert (await client.get("/families/1", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await ok(await client.get(f"/families/{fam['id']}", headers=family)))["name"] == "García family"
    r = await client.get(f"/families/{other_fam['id']}", headers=family)
    assert r.status_code == 403 and "your own family" in r.json()["detail"]
    assert (await client.post("/schools/lincoln/rooms", json={"name": "x", "capacity": 1}, headers=family)).status_code == 403
    assert (await client.get("/schools/lincoln/families", headers=family)).status_code == 403
    school_admin = await ok(await client.post("/schools/lincoln/users", json={
        "role": "admin", "name": "Principal", "email": "p@example.org"}, headers=district), 201)
    principal = {"Authorization": f"Bearer {school_admin['token']}"}
    assert (await client.post("/schools/other/rooms", json={"name": "x", "capacity": 1}, headers=principal)).status_code == 403
    assert (await client.post("/schools", json={"name": "n", "slug": "new-one", "timezone": "UTC"},
                              headers=principal)).status_code == 403
    me = await ok(await client.get("/users/me", headers=family))
    assert me["role"] == "family" and me["family_id"] == fam["id"]
    # families see published events only
    ev = await ok(await client.post("/schools/lincoln/events", json={
        "title": "Draft", "kind": "meeting", "duration_minutes": 30, "earliest_date": "2027-03-01",
        "latest_date": "2027-03-01"}, headers=district), 201)
    assert (await client.get(f"/events/{ev['id']}", headers=family)).status_code == 404
    assert (await ok(await client.get("/schools/lincoln/events", headers=family)))["total"] == 0


async def test_interpreter_edits_only_own_profile(client):
    district = await make_user(client)
    await make_school(client, district)
    a = await ok(await client.post("/schools/lincoln/interpreters", json={"name": "A", "email": "a@example.org",
                                                                         "languages": ["es"]}, headers=district), 201)
    b = await ok(await client.post("/schools/lincoln/interpreters", json={"name": "B", "email": "b@example.org",
                                                                         "languages": ["vi"]}, headers=district), 201)
    tok = await ok(await client.post("/schools/lincoln/users", json={"role": "interpreter", "name": "A",
                                                                     "email": "a@example.org", "interpreter_id": a["id"]},
                                     headers=district), 201)
    me = {"Authorization": f"Bearer {tok['token']}"}
    windows = [{"weekday": 0, "start": "16:00", "end": "20:00"}]
    assert await ok(await client.put(f"/interpreters/{a['id']}/availability", json=windows, headers=me)) == windows
    assert (await client.put(f"/interpreters/{b['id']}/availability", json=windows, headers=me)).status_code == 403
