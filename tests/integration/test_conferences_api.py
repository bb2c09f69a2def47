"""Parent-teacher conferences through HTTP on each engine: set up, solve, publish, accept, move, refuse.

One small school: three teachers in three rooms, six families — one with
three children in three classes, two Spanish-speaking (an interpreter),
one split household — on one evening, Tuesday 16 March 2027 in Chicago.
"""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.tables import ConferenceMeeting, ConferenceTeacher, ConferenceWindow
from scheduler.core.db import fetch
from scheduler.events.tables import Event
from tests.integration.helpers import family_user, in_app, make_school, make_user, ok, rows

EVENING = {"start": "2027-03-16T16:00", "end": "2027-03-16T18:00"}
PASSING = 5


async def _family(client, admin, name: str, language: str, kids: int, guardians: list[str] | None = None):
    fam = await ok(await client.post("/schools/lincoln/families", json={
        "name": name, "language": language, "email": f"{name.split()[0].lower()}@example.org",
        "guardians": guardians or [f"{name.split()[0]} parent"]}, headers=admin), 201)
    ids = [(await ok(await client.post(f"/families/{fam['id']}/children", json={
        "first_name": f"{name.split()[0]}{i}", "grade": str(i + 1), "age_band": "school-age"}, headers=admin), 201))["id"]
        for i in range(kids)]
    return fam["id"], ids


@pytest.fixture
async def week(client):
    """The school, a solved and published window, and who is who."""
    admin = await make_user(client)
    await make_school(client, admin)
    rooms = [(await ok(await client.post("/schools/lincoln/rooms", json={"name": f"Room {n}", "capacity": 25},
                                         headers=admin), 201))["id"] for n in (11, 12, 13)]
    rosa = await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Rosa Vega", "email": "rosa@example.org", "languages": ["es"]}, headers=admin), 201)
    await ok(await client.put(f"/interpreters/{rosa['id']}/availability", json=[
        {"weekday": 1, "start": "16:00", "end": "20:00"}], headers=admin))
    trio, trio_kids = await _family(client, admin, "Nguyen family", "en", 3)
    garcia, (garcia_kid,) = await _family(client, admin, "Garcia family", "es", 1)
    lopez, (lopez_kid,) = await _family(client, admin, "Lopez family", "es", 1)
    baker, (baker_kid,) = await _family(client, admin, "Baker family", "en", 1, ["Ana Baker", "Ben Baker"])
    miller, (miller_kid,) = await _family(client, admin, "Miller family", "en", 1)
    davis, (davis_kid,) = await _family(client, admin, "Davis family", "en", 1)
    window = await ok(await client.post("/schools/lincoln/conference-windows", json={
        "name": "Spring conferences", "evenings": [EVENING], "slot_minutes": 10, "interpreted_slot_minutes": 20,
        "passing_minutes": PASSING}, headers=admin), 201)
    classes = [[trio_kids[0], garcia_kid, miller_kid], [trio_kids[1], baker_kid, davis_kid],
               [trio_kids[2], lopez_kid]]
    teachers = []
    for name, room, kids in zip(("Ms Lee", "Mr Kim", "Ms Diaz"), rooms, classes):
        teachers.append(await ok(await client.post(f"/conference-windows/{window['id']}/teachers", json={
            "name": name, "email": f"{name.split()[1].lower()}@example.org", "room_id": room, "child_ids": kids,
            "breaks": [{"start": "2027-03-16T17:00", "end": "2027-03-16T17:15"}] if name == "Mr Kim" else []},
            headers=admin), 201))
    await ok(await client.put(f"/conference-windows/{window['id']}/split-households", json={"family_ids": [baker]},
                              headers=admin))
    solved = await ok(await client.post(f"/conference-windows/{window['id']}/solve", json={"time_limit": 5, "seed": 1},
                                        headers=admin))
    published = await ok(await client.post(f"/conference-windows/{window['id']}/publish", headers=admin))
    return {"admin": admin, "window": window, "solved": solved, "published": published, "teachers": teachers,
            "rooms": rooms, "rosa": rosa["id"], "trio": trio, "garcia": garcia, "lopez": lopez, "baker": baker,
            "miller": miller, "davis": davis}


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


async def test_solve_places_everyone_with_siblings_back_to_back(client, week):
    solved = week["solved"]
    assert solved["status"] == "solved" and solved["summary"]["placed"] == solved["summary"]["requested"] == 9
    assert solved["unplaced"] == [] and solved["summary"]["one_visit_share"] == 1.0
    assert week["published"]["window"]["status"] == "published"

    trio_user = await family_user(client, week["admin"], week["trio"])
    mine = await ok(await client.get(f"/families/{week['trio']}/conferences", headers=trio_user))
    meetings = mine["meetings"]
    assert len(meetings) == 3 and {m["teacher"] for m in meetings} == {"Ms Lee", "Mr Kim", "Ms Diaz"}
    assert {m["room"] for m in meetings} == {"Room 11", "Room 12", "Room 13"}
    assert all(m["minutes"] == 10 and m["status"] == "proposed" and m["language"] is None for m in meetings)
    for a, b in zip(meetings, meetings[1:]):
        gap = (_t(b["start"]) - _t(a["end"])) / dt.timedelta(minutes=1)
        assert PASSING <= gap <= PASSING + 5, (a, b)  # passing time, and one visit
    assert meetings[0]["start"].endswith("-05:00")  # local time with the school's offset (CDT)


async def test_interpreted_conferences_are_longer_and_the_interpreter_is_never_in_two_places(client, week):
    meetings = await ok(await client.get(f"/conference-windows/{week['window']['id']}/meetings",
                                         headers=week["admin"]))
    spanish = sorted((m for m in meetings if m["language"] == "es"), key=lambda m: m["start"])
    assert {m["family_id"] for m in spanish} == {week["garcia"], week["lopez"]}
    assert all(m["minutes"] == 20 and m["interpreter_id"] == week["rosa"] for m in spanish)
    assert all(m["minutes"] == 10 for m in meetings if m["language"] is None)
    for a, b in zip(spanish, spanish[1:]):
        assert _t(b["start"]) >= _t(a["end"]) + dt.timedelta(minutes=PASSING)
    # publishing opened the interpreting as open assignments on a "conference" event of that evening
    assignments = rows(client, InterpreterAssignment)
    assert assignments and all(a["status"] == "open" and a["language"] == "es" for a in assignments)
    events = rows(client, Event, Event.kind == "conference")
    assert {a["event"] for a in assignments} <= {e["id"] for e in events}
    assert all(e["status"] == "published" for e in events)
    covered = [(a["starts_at"], a["ends_at"]) for a in assignments]
    for m in spanish:
        assert any(s <= _t(m["start"]) and _t(m["end"]) <= e for s, e in covered)


async def test_split_household_gets_separate_meetings(client, week):
    baker = await ok(await client.get(f"/families/{week['baker']}/conferences", headers=week["admin"]))
    assert sorted(m["guardian"] for m in baker["meetings"]) == ["Ana Baker", "Ben Baker"]
    assert {m["teacher"] for m in baker["meetings"]} == {"Mr Kim"}
    day = await ok(await client.get(f"/teachers/{week['teachers'][1]['id']}/day?date=2027-03-16", headers=week["admin"]))
    assert day["room"] == "Room 12" and len(day["meetings"]) == 4
    starts = [_t(m["start"]) for m in day["meetings"]]
    assert all(not (_t("2027-03-16T17:00:00-05:00") <= s < _t("2027-03-16T17:15:00-05:00")) for s in starts)


async def test_accept_and_move_to_a_free_slot_then_a_taken_slot_is_409(client, week):
    trio_user = await family_user(client, week["admin"], week["trio"])
    miller_user = await family_user(client, week["admin"], week["miller"])
    accepted = await ok(await client.post(f"/families/{week['trio']}/conferences/accept", headers=trio_user))
    assert {m["status"] for m in accepted["meetings"]} == {"accepted"}

    lee = week["teachers"][0]["id"]
    trio_lee = next(m for m in accepted["meetings"] if m["teacher_id"] == lee)
    free = await ok(await client.get(f"/conference-meetings/{trio_lee['id']}/free-slots", headers=trio_user))
    assert free and all(f["start"] != trio_lee["start"][:16] for f in free)
    target = free[-1]["start"]
    key = {"Idempotency-Key": "move-1", **trio_user}
    moved = await ok(await client.post(f"/conference-meetings/{trio_lee['id']}/move", json={"start": target},
                                       headers=key))
    assert moved["start"].startswith(target) and moved["status"] == "accepted"
    again = await ok(await client.post(f"/conference-meetings/{trio_lee['id']}/move", json={"start": target},
                                       headers=key))
    assert again == moved  # replayed, not re-done

    miller = await ok(await client.get(f"/families/{week['miller']}/conferences", headers=miller_user))
    (miller_lee,) = miller["meetings"]
    taken = await client.post(f"/conference-meetings/{miller_lee['id']}/move", json={"start": target},
                              headers=miller_user)
    assert taken.status_code == 409, taken.text
    after = rows(client, ConferenceMeeting, ConferenceMeeting.teacher == lee)
    live = [(r["starts_at"], r["ends_at"]) for r in after if r["status"] != "cancelled"]
    for i, (a, b) in enumerate(sorted(live)[1:]):
        assert a >= sorted(live)[i][1]  # the teacher is never double-booked


async def test_an_interpreted_meeting_moves_only_inside_its_interpreter_block(client, week):
    garcia_user = await family_user(client, week["admin"], week["garcia"])
    (meeting,) = (await ok(await client.get(f"/families/{week['garcia']}/conferences", headers=garcia_user)))["meetings"]
    (block,) = [a for a in rows(client, InterpreterAssignment)
                if a["starts_at"] <= _t(meeting["start"]) < a["ends_at"]]
    free = await ok(await client.get(f"/conference-meetings/{meeting['id']}/free-slots", headers=garcia_user))
    assert all(block["starts_at"] <= _t(f["starts_at"]) and _t(f["starts_at"]) + dt.timedelta(minutes=20)
               <= block["ends_at"] for f in free)
    lee = await ok(await client.get(f"/teachers/{meeting['teacher_id']}/day?date=2027-03-16", headers=week["admin"]))
    late = next(t for t in (f"2027-03-16T17:{m:02d}" for m in range(40, 15, -5))  # Ms Lee is free then ...
                if all(_t(f"{t}:00-05:00") + dt.timedelta(minutes=20 + PASSING) <= _t(x["start"])
                       or _t(x["end"]) + dt.timedelta(minutes=PASSING) <= _t(f"{t}:00-05:00") for x in lee["meetings"]))
    assert _t(f"{late}:00-05:00") >= block["ends_at"]  # ... but the interpreter's block is over by then
    refused = await client.post(f"/conference-meetings/{meeting['id']}/move", json={"start": late},
                                headers=garcia_user)
    assert refused.status_code == 409 and "interpreter" in refused.json()["detail"], refused.text


async def test_bad_input_names_the_field_and_writes_nothing(client, week):
    admin, wid = week["admin"], week["window"]["id"]
    miller_user = await family_user(client, admin, week["miller"])
    (meeting,) = (await ok(await client.get(f"/families/{week['miller']}/conferences", headers=miller_user)))["meetings"]
    before = rows(client, ConferenceMeeting)
    for start, field in (("2027-03-16T21:00", "start"), ("2027-03-14T02:30", "start"), ("16 March", "start"),
                         ("2027-03-16T16:03", "start")):
        r = await client.post(f"/conference-meetings/{meeting['id']}/move", json={"start": start}, headers=miller_user)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    assert rows(client, ConferenceMeeting) == before

    r = await client.post("/schools/lincoln/conference-windows", json={
        "name": "Bad", "evenings": [{"start": "2027-03-14T02:30", "end": "2027-03-14T05:00"}]}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "evenings[0].start", r.text
    r = await client.post("/schools/lincoln/conference-windows", json={"name": "Bad", "evenings": [EVENING],
                                                                       "slot_minuts": 10}, headers=admin)
    assert r.status_code == 400 and "slot_minuts" in r.text
    assert len(rows(client, ConferenceWindow)) == 1

    teachers_before = len(rows(client, ConferenceTeacher))
    second = await ok(await client.post("/schools/lincoln/conference-windows", json={
        "name": "Autumn", "evenings": [{"start": "2027-10-12T16:00", "end": "2027-10-12T19:00"}]}, headers=admin), 201)
    for body, field in (({"room_id": 999999}, "room_id"),
                        ({"availability": [{"start": "2027-10-12T20:00", "end": "2027-10-12T21:00"}]},
                         "availability[0].start"),
                        ({"child_ids": [999999]}, "child_ids[0]")):
        r = await client.post(f"/conference-windows/{second['id']}/teachers", json={
            "name": "Mr X", "email": "x@example.org", "room_id": week["rooms"][0], **body}, headers=admin)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    assert len(rows(client, ConferenceTeacher)) == teachers_before

    r = await client.get("/teachers/999999/day?date=2027-03-16", headers=admin)
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "teacher_id"
    r = await client.put("/conference-teachers/999999/class-list", json={"child_ids": []}, headers=admin)
    assert r.status_code == 404
    r = await client.post(f"/conference-windows/{wid}/teachers", json={
        "name": "Late", "email": "late@example.org", "room_id": week["rooms"][0]}, headers=admin)
    assert r.status_code == 409  # published windows are frozen


async def test_a_family_cannot_see_or_move_another_familys_meeting(client, week):
    admin = week["admin"]
    trio_user = await family_user(client, admin, week["trio"])
    miller_user = await family_user(client, admin, week["miller"])
    (meeting,) = (await ok(await client.get(f"/families/{week['miller']}/conferences", headers=miller_user)))["meetings"]
    assert (await client.get(f"/families/{week['miller']}/conferences", headers=trio_user)).status_code == 403
    assert (await client.get(f"/conference-meetings/{meeting['id']}/free-slots", headers=trio_user)).status_code == 403
    r = await client.post(f"/conference-meetings/{meeting['id']}/move", json={"start": "2027-03-16T17:50"},
                          headers=trio_user)
    assert r.status_code == 403
    assert (await client.post(f"/families/{week['miller']}/conferences/accept", headers=trio_user)).status_code == 403
    assert (await client.get(f"/conference-windows/{week['window']['id']}", headers=trio_user)).status_code == 403


async def test_feed_items_name_teacher_and_room_not_children(client, week):
    from scheduler.conferences.calendar import conference_feed_items, teacher_day_items
    from tests.integration.helpers import in_app

    items = in_app(client, conference_feed_items, week["trio"])
    assert len(items) == 3 and all(i.title.startswith("Conference with ") and "(Room 1" in i.title for i in items)
    assert all("Nguyen" not in i.title and i.status == "tentative" for i in items)
    day = in_app(client, teacher_day_items, week["teachers"][0]["id"], dt.date(2027, 3, 16))
    assert len(day) == 3 and len({i.uid_seed for i in day}) == 3


async def test_demo_includes_a_solved_published_conference_week(client, database_url):
    import re

    from tests.conftest import run_cli

    loaded = run_cli(database_url, "demo", "--no-serve", timeout=180)
    assert loaded.returncode == 0, loaded.stderr
    assert "conference week 2027-03-16/17: 24 teachers" in loaded.stdout
    tokens = dict(re.findall(r"^(\w+)\s+token: (\S+)$", loaded.stdout, re.M))
    admin, family = ({"Authorization": f"Bearer {tokens[k]}"} for k in ("admin", "family"))
    (window,) = await ok(await client.get("/schools/riverside/conference-windows", headers=admin))
    assert window["status"] == "published" and window["teachers"] == 24 and len(window["evenings"]) == 2
    assert 0 < window["summary"]["placed"] <= window["summary"]["requested"]
    assert len(window["unplaced"]) == window["summary"]["requested"] - window["summary"]["placed"]
    assert all(u["reason"] for u in window["unplaced"])
    events = await ok(await client.get("/schools/riverside/events?kind=conference", headers=admin))
    assert events["total"] >= 2 and {e["status"] for e in events["items"]} == {"published"}
    me = await ok(await client.get("/users/me", headers=family))
    mine = await ok(await client.get(f"/families/{me['family_id']}/conferences", headers=family))
    assert len(mine["meetings"]) + len(mine["unplaced"]) >= 1


async def test_teacher_feed_lists_the_teachers_meetings_by_private_link(client, week):
    teacher = week["teachers"][1]["id"]
    link = await ok(await client.post(f"/conference-teachers/{teacher}/feed-token", headers=week["admin"]), 201)
    r = await client.get(f"/calendars/teachers/{link['token']}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar"), r.text
    assert r.text.count("BEGIN:VEVENT") == 4 and "Conference: Ana Baker" in r.text and "Room 12" in r.text
    assert (await client.get(f"/calendars/teachers/{link['token']}.ics",
                             headers={"If-None-Match": r.headers["etag"]})).status_code == 304
    # the built feed is cached: a change to a row it shows, made behind the services' back, must end the copy
    in_app(client, fetch, "UPDATE family SET guardians = {} WHERE id IN (SELECT family FROM conference_meeting "
                          "WHERE teacher = {})", ["Ana Cortez"], teacher)
    changed = await client.get(f"/calendars/teachers/{link['token']}.ics", headers={"If-None-Match": r.headers["etag"]})
    assert changed.status_code == 200 and "Conference: Ana Cortez" in changed.text and "Ana Baker" not in changed.text
    newer = await ok(await client.post(f"/conference-teachers/{teacher}/feed-token", headers=week["admin"]), 201)
    assert (await client.get(f"/calendars/teachers/{link['token']}.ics")).status_code == 404  # rotated away
    assert (await client.get(f"/calendars/teachers/{newer['token']}.ics")).status_code == 200
    family = await family_user(client, week["admin"], week["trio"])
    assert (await client.post(f"/conference-teachers/{teacher}/feed-token", headers=family)).status_code == 403
