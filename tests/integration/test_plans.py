"""Plans end to end through HTTP: propose, long-poll, review, publish, re-plan; and the demo school."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from tests.integration.helpers import family_user, in_app, make_school, make_user, ok

WEEKDAYS = range(5)


async def _post(client, url, body, headers, status=201):
    return await ok(await client.post(url, json=body, headers=headers), status)


async def small_school(client) -> dict:
    """3 rooms, 2 interpreters (es, vi), 1 childcare, 10 families (6 es, 4 vi), 4 events (one needs Somali).

    The window 2027-03-08..19 straddles the DST change (Sunday 14 March);
    Rosa (es) is busy all Tuesday 9 March, so the Spanish evening must be on
    Tuesday 16 March, after the change, still at local 18:00-20:30.
    """
    admin = await make_user(client)
    school = await make_school(client, admin)
    s = "/schools/lincoln"
    rooms = {}
    for name, cap, tags in [("Library", 60, ["accessible"]), ("Room 101", 30, []), ("Gym", 200, ["stage"])]:
        rooms[name] = await _post(client, f"{s}/rooms", {"name": name, "capacity": cap, "tags": tags}, admin)
        await ok(await client.put(f"/rooms/{rooms[name]['id']}/availability", headers=admin, json=[
            {"weekday": d, "start": "15:00", "end": "21:00"} for d in WEEKDAYS]))
    rosa = await _post(client, f"{s}/interpreters", {"name": "Rosa", "email": "rosa@example.org", "languages": ["es"],
                                                      "max_events_per_day": 2}, admin)
    thanh = await _post(client, f"{s}/interpreters", {"name": "Thanh", "email": "thanh@example.org",
                                                       "languages": ["vi"]}, admin)
    await ok(await client.put(f"/interpreters/{rosa['id']}/availability", headers=admin, json=[
        {"weekday": d, "start": "17:00", "end": "21:00"} for d in WEEKDAYS]))
    await ok(await client.put(f"/interpreters/{thanh['id']}/availability", headers=admin, json=[
        {"weekday": d, "start": "17:00", "end": "20:00"} for d in (1, 3)]))
    care = await _post(client, f"{s}/childcare", {"name": "Kids' Corner", "capacity": 20}, admin)
    await ok(await client.put(f"/childcare/{care['id']}/staffing", headers=admin, json=[
        {"weekday": d, "start": "16:00", "end": "21:00", "staff": 2} for d in WEEKDAYS]))

    base = {"kind": "workshop", "earliest_date": "2027-03-08", "latest_date": "2027-03-19"}
    events = {
        "math": await _post(client, f"{s}/events", {**base, "title": "Family Math Night", "duration_minutes": 90,
                                                    "min_capacity": 40, "room_tags": ["accessible"],
                                                    "interpreter_languages": ["es"], "childcare_children": 10}, admin),
        "tet": await _post(client, f"{s}/events", {**base, "kind": "cultural", "title": "Tet Celebration",
                                                   "duration_minutes": 60, "min_capacity": 20,
                                                   "interpreter_languages": ["vi"]}, admin),
        "concert": await _post(client, f"{s}/events", {**base, "kind": "cultural", "title": "Spring Concert",
                                                       "duration_minutes": 60, "room_tags": ["stage"]}, admin),
        "somali": await _post(client, f"{s}/events", {**base, "kind": "meeting", "title": "Somali Family Welcome",
                                                      "duration_minutes": 60, "interpreter_languages": ["so"]}, admin),
    }
    families = []
    for i in range(10):
        lang = "es" if i < 6 else "vi"
        fam = await _post(client, f"{s}/families", {"name": f"Family {i}", "language": lang,
                                                    "email": f"f{i}@example.org"}, admin)
        window = {"weekday": 1, "start": "18:00", "end": "20:30"} if lang == "es" else \
            {"weekday": 3, "start": "18:00", "end": "20:00"}
        await ok(await client.put(f"/families/{fam['id']}/availability", headers=admin,
                                  json={"weekly": [window], "dated": []}))
        wants = [events["math" if lang == "es" else "tet"]["id"], events["concert"]["id"], events["somali"]["id"]]
        await ok(await client.put(f"/families/{fam['id']}/interests", headers=admin, json={"event_ids": wants}))
        families.append(fam)

    async def rosa_busy() -> None:
        from resources.tables import InterpreterBusy

        await InterpreterBusy.insert(InterpreterBusy(
            interpreter=rosa["id"], starts_at=dt.datetime(2027, 3, 9, 22, tzinfo=dt.timezone.utc),
            ends_at=dt.datetime(2027, 3, 10, 4, tzinfo=dt.timezone.utc))).run()  # 16:00-22:00 CST

    in_app(client, rosa_busy)
    return {"admin": admin, "school": school, "rooms": rooms, "rosa": rosa, "thanh": thanh, "care": care,
            "events": events, "families": families}


async def plan_and_wait(client, admin, body=None, slug="lincoln") -> dict:
    r = await client.post(f"/schools/{slug}/plans", json=body or {"time_limit": 2}, headers=admin)
    created = await ok(r, 202)
    assert r.headers["location"] == f"/plans/{created['id']}"
    assert created["status"] in ("solving", "ready")
    plan = await ok(await client.get(f"/plans/{created['id']}?wait=60", headers=admin))
    assert plan["status"] == "ready", plan
    return plan


def _rows(client, table, *where):
    async def fetch():
        q = table.select()
        for w in where:
            q = q.where(w)
        return await q.order_by(table.id).run()

    return in_app(client, fetch)


def _by_event(plan) -> dict[int, dict]:
    return {e["event_id"]: e for e in plan["events"]}


async def test_plan_review_publish_and_replan(client):
    from scheduler.assignments.tables import InterpreterAssignment
    from scheduler.engine import parse_instance, verify
    from scheduler.events.tables import Event
    from scheduler.planning.tables import Plan

    w = await small_school(client)
    admin, ev = w["admin"], w["events"]
    plan = await plan_and_wait(client, admin)
    got = _by_event(plan)
    # every family said "I'd come" to what it can attend: the engine counts each twice, the page shows families
    assert plan["objective"]["scheduled"] == 3 and plan["objective"]["attendance"] == 2 * (6 + 4 + 6)
    assert plan["turnout"]["weights"] == {"audience": 1, "interested": 2, "not_for_us": 0}
    assert plan["objective"]["bound"] >= plan["objective"]["attendance"]

    math = got[ev["math"]["id"]]
    assert math["outcome"] == "placed" and math["room"] == "Library" and math["childcare"] == "Kids' Corner"
    assert math["interpreters"] == {"es": {"id": w["rosa"]["id"], "name": "Rosa"}}
    # Rosa is busy on 9 March, so Tuesday 16 March: after the DST change, still 18:00-19:00 local
    assert math["start"][:10] == "2027-03-16" and math["start"].endswith("-05:00")
    assert "18:00" <= math["start"][11:16] <= "19:00" and math["expected_turnout"] == 6
    assert math["weighted_turnout"] == 12 and math["turnout_note"] is None
    # the Vietnamese-speaking families said nothing of it and it is interpreted into Spanish only
    assert math["audience"] == {"audience": 0, "interested": 6, "not_for_us": 0, "left_out_audience": 0,
                                "left_out_language": 4, "left_out_childcare": 0}

    tet = got[ev["tet"]["id"]]
    assert tet["outcome"] == "placed" and tet["interpreters"]["vi"]["name"] == "Thanh" and tet["childcare"] is None
    assert dt.date.fromisoformat(tet["start"][:10]).weekday() == 3 and tet["expected_turnout"] == 4
    assert got[ev["concert"]["id"]]["room"] == "Gym" and got[ev["concert"]["id"]]["expected_turnout"] == 6
    somali = got[ev["somali"]["id"]]
    assert somali["outcome"] == "unscheduled" and "Somali" in somali["reason"] and somali["start"] is None

    stored = _rows(client, Plan, Plan.id == plan["id"])[0]
    assert verify(parse_instance(json.loads(stored["instance"])), json.loads(stored["solution"])) == []

    listed = await ok(await client.get("/schools/lincoln/plans?limit=10", headers=admin))
    assert listed["total"] == 1 and listed["items"][0]["id"] == plan["id"] and listed["items"][0]["status"] == "ready"

    published = await ok(await client.post(f"/plans/{plan['id']}/publish", headers=admin))
    assert published["status"] == "published" and published["published_at"]
    events = {e["id"]: e for e in _rows(client, Event)}
    m = events[ev["math"]["id"]]
    assert m["status"] == "published" and m["room"] == w["rooms"]["Library"]["id"] and m["seats"] == 60
    assert m["childcare"] == w["care"]["id"] and m["sequence"] == 0
    assert m["starts_at"] == dt.datetime.fromisoformat(math["start"])
    assert m["ends_at"] - m["starts_at"] == dt.timedelta(minutes=90)
    assert events[ev["somali"]["id"]]["status"] == "draft" and events[ev["somali"]["id"]]["starts_at"] is None
    api_event = await ok(await client.get(f"/events/{ev['math']['id']}", headers=admin))
    assert api_event["starts_at"] == math["start"] and api_event["room_id"] == m["room"]
    assignments = _rows(client, InterpreterAssignment)
    assert sorted((a["event"], a["language"], a["status"], a["interpreter"]) for a in assignments) == [
        (ev["math"]["id"], "es", "open", None), (ev["tet"]["id"], "vi", "open", None)]
    assert all(a["starts_at"] == events[a["event"]]["starts_at"] and a["ends_at"] == events[a["event"]]["ends_at"]
               for a in assignments)

    again = await client.post(f"/plans/{plan['id']}/publish", headers=admin)
    assert again.status_code == 409 and "already published" in again.json()["detail"]

    # re-plan keeping published events: only the Somali evening is left, still with its reason
    kept = await plan_and_wait(client, admin)
    kg = _by_event(kept)
    assert kept["objective"]["scheduled"] == 0
    assert {kg[ev[k]["id"]]["outcome"] for k in ("math", "tet", "concert")} == {"kept"}
    assert kg[ev["math"]["id"]]["start"] == math["start"] and "Somali" in kg[ev["somali"]["id"]]["reason"]
    await ok(await client.post(f"/plans/{kept['id']}/publish", headers=admin))
    assert [e["sequence"] for e in _rows(client, Event)] == [0, 0, 0, 0]

    # re-plan everything: an event that moves gets sequence + 1 and fresh open assignments
    before = {e["id"]: e for e in _rows(client, Event)}
    full = await plan_and_wait(client, admin, {"time_limit": 2, "keep_published": False, "seed": 3})
    assert full["keep_published"] is False and full["seed"] == 3 and full["objective"]["scheduled"] == 3
    await ok(await client.post(f"/plans/{full['id']}/publish", headers=admin))
    after = {e["id"]: e for e in _rows(client, Event)}
    for eid in (ev["math"]["id"], ev["tet"]["id"], ev["concert"]["id"]):
        moved = (before[eid]["starts_at"], before[eid]["room"], before[eid]["childcare"]) != \
            (after[eid]["starts_at"], after[eid]["room"], after[eid]["childcare"])
        assert after[eid]["sequence"] == (1 if moved else 0) and after[eid]["status"] == "published"
    live = [a for a in _rows(client, InterpreterAssignment) if a["status"] != "cancelled"]
    assert sorted(a["event"] for a in live) == [ev["math"]["id"], ev["tet"]["id"]]
    assert all(a["starts_at"] == after[a["event"]]["starts_at"] for a in live)


async def test_stale_plan_and_status_conflicts(client):
    from scheduler.planning.tables import Plan

    w = await small_school(client)
    admin, ev = w["admin"], w["events"]
    plan = await plan_and_wait(client, admin)
    body = {"title": "Somali Family Welcome", "kind": "meeting", "duration_minutes": 45,
            "earliest_date": "2027-03-08", "latest_date": "2027-03-19", "interpreter_languages": ["so"]}
    await ok(await client.put(f"/events/{ev['somali']['id']}", json=body, headers=admin))
    stale = await client.post(f"/plans/{plan['id']}/publish", headers=admin)
    assert stale.status_code == 409, stale.text
    assert f"event {ev['somali']['id']}" in stale.json()["detail"] and "stale" in stale.json()["detail"]
    assert stale.json()["errors"][0]["field"] == f"events.{ev['somali']['id']}"
    assert (await ok(await client.get(f"/plans/{plan['id']}", headers=admin)))["status"] == "ready"  # rolled back

    fresh = await plan_and_wait(client, admin)
    await ok(await client.post(f"/events/{ev['tet']['id']}/cancel", headers=admin))
    cancelled = await client.post(f"/plans/{fresh['id']}/publish", headers=admin)
    assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["detail"]

    # two proposals made side by side: once one is published, the other is stale
    first, second = await plan_and_wait(client, admin), await plan_and_wait(client, admin)
    await ok(await client.post(f"/plans/{first['id']}/publish", headers=admin))
    late = await client.post(f"/plans/{second['id']}/publish", headers=admin)
    assert late.status_code == 409 and "was published after it was made" in late.json()["detail"]

    async def fail_it() -> None:
        await Plan.update({Plan.status: "failed", Plan.error: "boom"}).where(Plan.id == fresh["id"]).run()

    in_app(client, fail_it)
    failed = await client.post(f"/plans/{fresh['id']}/publish", headers=admin)
    assert failed.status_code == 409 and "failed" in failed.json()["detail"]


async def test_plan_input_errors_and_access(client):
    admin = await make_user(client)
    await make_school(client, admin)
    nothing = await client.post("/schools/lincoln/plans", json={}, headers=admin)
    assert nothing.status_code == 422 and "nothing to plan" in nothing.json()["detail"]
    assert nothing.json()["errors"][0]["field"] == "events"
    for body, field in [({"time_limit": 0}, "time_limit"), ({"time_limit": 301}, "time_limit"),
                        ({"time_limit": "fast"}, "time_limit"), ({"seed": -1}, "seed"), ({"colour": 1}, "colour")]:
        r = await client.post("/schools/lincoln/plans", json=body, headers=admin)
        assert r.status_code == 400 and field in r.text, (body, r.text)
    assert (await client.get("/plans/999", headers=admin)).status_code == 404
    assert (await client.post("/plans/999/publish", headers=admin)).status_code == 404
    assert (await client.get("/plans/999?wait=61", headers=admin)).status_code == 404  # the plan is looked up first
    assert (await client.post("/schools/nowhere/plans", json={}, headers=admin)).status_code == 404
    typo = await client.post("/schools/lincoln/events", json={
        "title": "Typo", "kind": "meeting", "duration_minutes": 60, "earliest_date": "2027-03-01",
        "latest_date": "2999-12-31"}, headers=admin)  # refused at once: no plan is ever blocked by it
    assert typo.status_code == 422 and [e["field"] for e in typo.json()["errors"]] == ["latest_date"]
    assert "outside the dates we plan for" in typo.json()["detail"]
    endless = await _post(client, "/schools/lincoln/events", {
        "title": "Two years", "kind": "meeting", "duration_minutes": 60, "earliest_date": "2027-03-01",
        "latest_date": "2028-12-31"}, admin)
    long = await client.post("/schools/lincoln/plans", json={"time_limit": 1}, headers=admin)
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == f"events.{endless['id']}"
    assert "narrow the window" in long.json()["detail"]
    fam = await _post(client, "/schools/lincoln/families", {"name": "F", "language": "es", "email": "f@example.org"}, admin)
    family = await family_user(client, admin, fam["id"])
    assert (await client.post("/schools/lincoln/plans", json={}, headers=family)).status_code == 403
    assert (await client.get("/schools/lincoln/plans", headers=family)).status_code == 403


async def test_empty_body_uses_defaults_and_list_is_newest_first(client):
    w = await small_school(client)
    admin = w["admin"]
    first = await plan_and_wait(client, admin, {"time_limit": 1})
    r = await client.post("/schools/lincoln/plans", headers=admin)  # no body: defaults (30 s), answers at once
    second = await ok(r, 202)
    assert second["time_limit"] == 30 and second["keep_published"] is True and second["seed"] == 0
    listed = await ok(await client.get("/schools/lincoln/plans?limit=1&offset=0", headers=admin))
    assert listed["total"] == 2 and [p["id"] for p in listed["items"]] == [second["id"]]
    page2 = await ok(await client.get("/schools/lincoln/plans?limit=1&offset=1", headers=admin))
    assert [p["id"] for p in page2["items"]] == [first["id"]]
    done = await ok(await client.get(f"/plans/{second['id']}?wait=60", headers=admin))
    assert done["status"] == "ready"
    too_long = await client.get(f"/plans/{second['id']}?wait=61", headers=admin)
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["field"] == "wait"


async def test_demo_school_plan_places_or_explains_every_event(client):
    from scheduler.demo.school import load_demo
    from scheduler.engine import parse_instance, verify
    from scheduler.events.tables import Event
    from scheduler.planning.tables import Plan

    loaded = in_app(client, load_demo)
    assert loaded is not None
    admin = await make_user(client)  # district admin
    started = time.perf_counter()
    plan = await plan_and_wait(client, admin, {"time_limit": 5}, slug="riverside")
    elapsed = time.perf_counter() - started
    events = plan["events"]
    drafts = _rows(client, Event, Event.status == "draft")
    assert len(events) == len(drafts) >= 40
    for e in events:
        assert (e["outcome"] == "placed" and e["start"] and e["room"]) or (e["outcome"] == "unscheduled" and e["reason"])
    placed = [e for e in events if e["outcome"] == "placed"]
    assert plan["objective"]["scheduled"] == len(placed) >= 30
    for e in placed:  # turnout drawn from the audience: 0 only with the reason said
        assert e["audience"] is not None and e["expected_turnout"] is not None, e
        assert e["expected_turnout"] > 0 or e["turnout_note"], e
        if e["turnout_note"] and "nobody" in e["turnout_note"]:
            assert e["audience"]["audience"] + e["audience"]["interested"] == 0, e
    assert sum(e["expected_turnout"] > 0 for e in placed) >= 0.9 * len(placed)
    assert plan["objective"]["bound"] >= plan["objective"]["attendance"] > 0
    row = _rows(client, Plan, Plan.id == plan["id"])[0]
    instance, solution = json.loads(row["instance"]), json.loads(row["solution"])
    assert verify(parse_instance(instance), solution) == []
    print(f"demo plan: scheduled {plan['objective']['scheduled']}/{len(events)}, attendance {plan['objective']['attendance']}, "
          f"bound {plan['objective']['bound']}, solver {plan['stats'].get('wall_seconds')} s, "
          f"request to ready {elapsed:.1f} s, families in instance {len(instance['families'])}, "
          f"turnout per placed draft {sorted(e['expected_turnout'] for e in placed)}")


SLOW_SOLVER = [sys.executable, "-c", "import runpy, sys, time; time.sleep(2); "
               "runpy.run_module('scheduler.planning.solver_process', run_name='__main__')"]
CRASHING_SOLVER = [sys.executable, "-c", "import sys; sys.stderr.write('solver boom'); sys.exit(3)"]


async def test_background_solve_crash_wait_one_at_a_time_and_interrupted_plans(client, monkeypatch):
    from scheduler.planning import solving as plans
    from scheduler.planning.tables import Plan

    w = await small_school(client)
    admin = w["admin"]
    monkeypatch.setattr(plans, "SOLVER_COMMAND", SLOW_SOLVER)
    created = await ok(await client.post("/schools/lincoln/plans", json={"time_limit": 1}, headers=admin), 202)
    waited = await ok(await client.get(f"/plans/{created['id']}?wait=0.3", headers=admin))
    assert waited["status"] == "solving" and waited["events"] == []
    busy = await client.post(f"/plans/{created['id']}/publish", headers=admin)
    assert busy.status_code == 409 and "still solving" in busy.json()["detail"]
    second = await client.post("/schools/lincoln/plans", json={"time_limit": 1}, headers=admin)
    assert second.status_code == 409 and f"plan {created['id']}" in second.json()["detail"]
    assert (await ok(await client.get(f"/plans/{created['id']}?wait=30", headers=admin)))["status"] == "ready"

    monkeypatch.setattr(plans, "SOLVER_COMMAND", CRASHING_SOLVER)
    created = await ok(await client.post("/schools/lincoln/plans", json={"time_limit": 1}, headers=admin), 202)
    failed = await ok(await client.get(f"/plans/{created['id']}?wait=30", headers=admin))
    assert failed["status"] == "failed" and "exit code 3" in failed["error"] and "solver boom" in failed["error"]
    assert failed["finished_at"]

    async def orphan() -> int:  # a plan whose server stopped while it was solving
        long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        rows = await Plan.insert(Plan(school=w["school"]["id"], status="solving", instance="{}", time_limit=30,
                                      created_at=long_ago)).returning(Plan.id).run()
        return rows[0]["id"]

    orphan_id = in_app(client, orphan)
    monkeypatch.undo()
    fresh = await plan_and_wait(client, admin)  # the orphan does not block planning: it is retired
    assert fresh["status"] == "ready"
    got = await ok(await client.get(f"/plans/{orphan_id}", headers=admin))
    assert got["status"] == "failed" and "interrupted" in got["error"]
