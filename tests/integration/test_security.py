"""The security and bad-input findings of issue 13, each reproduced through HTTP on both engines.

Each test failed before its fix: a school admin minting a district admin,
500s on deep JSON, NUL bytes and year 9999, fields not named, a draft dated
0001 blocking every plan, an Idempotency-Key race answering 409, page forms
skipping the API's bounds, a killed server leaving its plan "solving", and a
page promising an e-mail that could not be sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import re
import signal
import socket

import httpx
import pytest
from litestar.testing import AsyncTestClient

from scheduler.accounts.tables import User
from scheduler.app import create_app
from scheduler.bookings.tables import Registration
from scheduler.core.auth import hash_api_token, new_api_token
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family
from scheduler.planning.tables import Plan
from tests.conftest import run_async
from tests.integration.helpers import (
    BoundDatabase,
    ServerProcess,
    family_user,
    in_app,
    make_event,
    make_family,
    make_school,
    make_user,
    ok,
    publish,
    rows,
)

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


@pytest.fixture
async def district(client):
    admin = await make_user(client)
    await make_school(client, admin)
    return admin


# ---------------------------------------------------------------- 1. privilege escalation


async def test_a_school_admin_cannot_create_a_district_admin(client, district):
    await make_school(client, district, slug="oak")
    school_admin = await ok(await client.post("/schools/lincoln/users", json={
        "role": "admin", "name": "Head", "email": "head@example.org"}, headers=district), 201)
    head = {"Authorization": f"Bearer {school_admin['token']}"}
    assert school_admin["user"]["school_id"] is not None
    up = await client.post("/users", json={"role": "admin", "name": "Up", "email": "up@x.example"}, headers=head)
    assert up.status_code == 403, up.text
    other = await client.post("/schools/oak/users", json={"role": "admin", "name": "Side", "email": "s@x.example"},
                              headers=head)
    assert other.status_code == 403
    assert [u["email"] for u in rows(client, User, User.role == "admin") if u["school"] is None] == ["admin@example.org"]
    # what stays allowed: the school admin adds an admin to their own school; the district adds a district admin
    await ok(await client.post("/schools/lincoln/users", json={"role": "admin", "name": "Co", "email": "co@x.example"},
                               headers=head), 201)
    made = await ok(await client.post("/users", json={"role": "admin", "name": "D2", "email": "d2@x.example"},
                                      headers=district), 201)
    assert made["user"]["school_id"] is None


# ---------------------------------------------------------------- 2. deep JSON


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"title": ' + "[" * 40 + "]" * 40 + "}"])
async def test_deeply_nested_json_is_a_400_naming_the_body(client, district, body):
    r = await client.post("/schools/lincoln/events", content=body,
                          headers={**district, "content-type": "application/json"})
    assert r.status_code == 400 and fields(r) == ["body"] and "levels deep" in r.json()["detail"]
    assert rows(client, Event) == []


async def test_brackets_inside_strings_do_not_count_as_nesting(client, district):
    event = await make_event(client, district, description="[" * 500 + "{" * 500)
    assert event["description"].startswith("[[[")


# ---------------------------------------------------------------- 3. control characters


@pytest.mark.parametrize("field,value", [("name", "Bad\u0000Name"), ("email", "a\u0000b@example.org"),
                                         ("name", "Two\nlines"), ("name", "Tab\there"), ("email", "a b@example.org")])
async def test_control_characters_are_refused_naming_the_field(client, district, field, value):
    body = {"name": "Ok", "language": "es", "email": "ok@example.org", field: value}
    r = await client.post("/schools/lincoln/families", json=body, headers=district)
    assert r.status_code == 400 and fields(r) == [field], r.text
    assert "control characters" in r.json()["detail"] or "e-mail address" in r.json()["detail"]
    assert rows(client, Family) == []


async def test_multi_line_fields_take_line_breaks_but_not_nul(client, district):
    ok_event = await make_event(client, district, description="Line one\n\tLine two\r\n")
    assert ok_event["description"] == "Line one\n\tLine two\r\n"
    r = await client.post("/schools/lincoln/events", json={
        "title": "T", "kind": "workshop", "duration_minutes": 60, "earliest_date": "2027-03-01",
        "latest_date": "2027-03-02", "description": "nul\u0000"}, headers=district)
    assert r.status_code == 400 and fields(r) == ["description"]
    r = await client.post("/schools/lincoln/events", json={
        "title": "Two\nlines", "kind": "workshop", "duration_minutes": 60, "earliest_date": "2027-03-01",
        "latest_date": "2027-03-02"}, headers=district)
    assert r.status_code == 400 and fields(r) == ["title"]
    assert len(rows(client, Event)) == 1


@pytest.mark.parametrize("path,field", [("/schools/lin%00coln/rooms", "path"), ("/schools/lincoln/rooms?tag=a%00b", "query"),
                                        ("/schools/lincoln/families?language=e%0As", "query")])
async def test_control_characters_in_the_address_are_a_400(client, district, path, field):
    r = await client.get(path, headers=district)
    assert r.status_code == 400 and fields(r) == [field]


# ---------------------------------------------------------------- 4. the field is named


async def test_missing_and_unknown_keys_are_named_themselves(client, district):
    base = {"kind": "workshop", "duration_minutes": 60, "earliest_date": "2027-03-01", "latest_date": "2027-03-02"}
    missing = await client.post("/schools/lincoln/events", json=base, headers=district)
    assert missing.status_code == 400 and fields(missing) == ["title"]
    unknown = await client.post("/schools/lincoln/events", json={**base, "title": "T", "colour": 3}, headers=district)
    assert unknown.status_code == 400 and fields(unknown) == ["colour"]
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "R", "capacity": 5}, headers=district), 201)
    in_list = await client.put(f"/rooms/{room['id']}/availability",
                               json=[{"weekday": 1, "start": "10:00", "end": "11:00", "staff": 2}], headers=district)
    assert in_list.status_code == 400 and fields(in_list) == ["[0].staff"]
    fam = await make_family(client, district)
    nested = await client.put(f"/families/{fam['id']}/availability",
                              json={"weekly": [{"weekday": 1, "start": "10:00", "end": "11:00", "colour": "red"}]},
                              headers=district)
    assert nested.status_code == 400 and fields(nested) == ["weekly[0].colour"]
    deeper = await client.put(f"/families/{fam['id']}/availability", json={"dated": [{"start": "2027-03-01T10:00"}]},
                              headers=district)
    assert deeper.status_code == 400 and fields(deeper) == ["dated[0].end"]


# ---------------------------------------------------------------- 5. dates out of range


async def test_dates_out_of_range_are_refused_with_the_range(client, district):
    base = {"title": "T", "kind": "workshop", "duration_minutes": 60}
    far = await client.post("/schools/lincoln/events", json={
        **base, "earliest_date": "9999-12-30", "latest_date": "9999-12-31", "fixed_start": "9999-12-31T23:00"},
        headers=district)
    assert far.status_code == 422 and fields(far) == ["earliest_date", "latest_date", "fixed_start"]
    assert "three years ahead" in far.json()["detail"]
    old = await client.post("/schools/lincoln/events", json={**base, "earliest_date": "0001-01-01",
                                                             "latest_date": "0001-01-02"}, headers=district)
    assert old.status_code == 422 and fields(old) == ["earliest_date", "latest_date"]
    assert rows(client, Event) == []
    event = await make_event(client, district)
    publish(client, event["id"])
    for start in ("9999-12-31T23:00", "0001-01-01T10:00", "+99999-01-01T10:00"):
        moved = await client.post(f"/events/{event['id']}/move", json={"start": start}, headers=district)
        assert moved.status_code == 422 and fields(moved) == ["start"], moved.text
    fam = await make_family(client, district)
    dated = await client.put(f"/families/{fam['id']}/availability",
                             json={"dated": [{"start": "9999-12-31T10:00", "end": "9999-12-31T11:00"}]}, headers=district)
    assert dated.status_code == 422 and fields(dated) == ["dated[0].start", "dated[0].end"]


async def test_a_stored_draft_with_impossible_dates_never_blocks_a_plan(client, district):
    """Drafts stored before the bounds existed (or written by a tool): left out with the reason, the rest planned."""
    school_id = (await ok(await client.get("/schools/lincoln", headers=district)))["id"]
    room = await ok(await client.post("/schools/lincoln/rooms", json={"name": "Hall", "capacity": 50}, headers=district),
                    201)
    await ok(await client.put(f"/rooms/{room['id']}/availability", json=[
        {"weekday": d, "start": "08:00", "end": "21:00"} for d in range(7)], headers=district))
    good = await make_event(client, district, earliest_date="2027-03-01", latest_date="2027-03-05")

    async def store_bad() -> list[int]:
        ids = []
        for first, last in ((dt.date(1, 1, 1), dt.date(1, 1, 2)), (dt.date(2020, 1, 1), dt.date(2020, 1, 2))):
            ids.append((await Event.insert(Event(school=school_id, title="Typo", kind="workshop", duration_minutes=60,
                                                 earliest_date=first, latest_date=last)).returning(Event.id).run())[0]["id"])
        return ids

    bad_ids = in_app(client, store_bad)
    made = await ok(await client.post("/schools/lincoln/plans", json={"time_limit": 5}, headers=district), 202)
    plan = await ok(await client.get(f"/plans/{made['id']}?wait=60", headers=district))
    assert plan["status"] == "ready", plan
    outcome = {e["event_id"]: e for e in plan["events"]}
    assert outcome[good["id"]]["outcome"] == "placed"
    assert outcome[bad_ids[0]]["outcome"] == "unscheduled" and "outside the dates" in outcome[bad_ids[0]]["reason"]
    assert outcome[bad_ids[1]]["outcome"] == "unscheduled" and "2020-01-02" in outcome[bad_ids[1]]["reason"]


# ---------------------------------------------------------------- 6. Idempotency-Key


async def _one_family(database_url: str, seats: int = 5) -> tuple[int, str]:
    async with BoundDatabase(database_url):
        from resources.tables import School

        school = (await School.insert(School(name="Idem", slug=f"idem-{os.urandom(4).hex()}", timezone="America/Chicago",
                                             languages=["en"])).returning(School.id).run())[0]["id"]
        start = dt.datetime(2027, 3, 3, tzinfo=dt.timezone.utc)
        event = (await Event.insert(Event(school=school, kind="workshop", title="E", duration_minutes=60,
                                          earliest_date=start.date(), latest_date=start.date(), status="published",
                                          starts_at=start, ends_at=start + dt.timedelta(hours=1), seats=seats)
                                    ).returning(Event.id).run())[0]["id"]
        family = (await Family.insert(Family(school=school, name="F", language="en", email="f@example.org",
                                             guardians=[])).returning(Family.id).run())[0]["id"]
        token = new_api_token()
        await User.insert(User(role="family", name="F", email="f@example.org", school=school, family=family,
                               token_hash=hash_api_token(token))).run()
    return event, token


@pytest.mark.parametrize("attempt", range(4))
async def test_the_same_key_sent_twice_at_once_answers_the_first_answer_twice(server, attempt):
    event, token = await _one_family(server.database_url)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"double-tap-{attempt}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        answers = await asyncio.gather(*[http.post(f"/events/{event}/registrations", json={"adults": 2}, headers=headers)
                                         for _ in range(6)])
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    async with BoundDatabase(server.database_url):
        assert len(await Registration.select().where(Registration.event == event).run()) == 1


async def test_the_same_key_with_another_body_is_a_422(server):
    event, token = await _one_family(server.database_url)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "reused"}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        first = await http.post(f"/events/{event}/registrations", json={"adults": 1}, headers=headers)
        again = await http.post(f"/events/{event}/registrations", json={"adults": 1}, headers=headers)
        other = await http.post(f"/events/{event}/registrations", json={"adults": 3}, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    async with BoundDatabase(server.database_url):
        regs = await Registration.select().where(Registration.event == event).run()
    assert [r["adults"] for r in regs] == [1]


# ---------------------------------------------------------------- 7. pages validate like the API


@pytest.fixture
async def web(settings):
    async with AsyncTestClient(app=create_app(settings)) as c:
        c.follow_redirects = False
        yield c


async def _family_signed_in(web) -> tuple[dict, dict, str]:
    admin = await make_user(web)
    await make_school(web, admin)
    family = await make_family(web, admin)
    token = (await family_user(web, admin, family["id"]))["Authorization"].removeprefix("Bearer ")
    answer = await web.post("/signin/token", data={"token": token, "next": "/family"})
    page = await web.get(answer.headers["location"])
    return admin, family, CSRF.search(page.text).group(1)


@pytest.mark.parametrize("form,field", [({"first_name": "x" * 5000, "grade": "2"}, "first_name"),
                                        ({"first_name": "Leo", "grade": "99"}, "grade"),
                                        ({"first_name": "Le\u0000o", "grade": "2"}, "first_name")])
async def test_the_children_form_has_the_apis_bounds(web, form, field):
    admin, family, csrf = await _family_signed_in(web)
    r = await web.post("/family/children", data={"csrf": csrf, "age_band": "school-age", **form})
    assert r.status_code in (400, 422) and field in r.text
    api = await web.post(f"/families/{family['id']}/children", json={"age_band": "school-age", **form}, headers=admin)
    assert api.status_code in (400, 422) and fields(api) == [field]
    assert rows(web, Child) == []
    good = await web.post("/family/children", data={"csrf": csrf, "first_name": "Leo", "grade": "kg",
                                                    "age_band": "school-age"})
    assert good.status_code == 303
    assert [(c["first_name"], c["grade"]) for c in rows(web, Child)] == [("Leo", "K")]


# ---------------------------------------------------------------- 8. a server killed mid-solve


def test_a_plan_whose_server_was_killed_mid_solve_fails_at_once_and_planning_starts_again(database_url):
    """Kill -9 the server right after it started a solve; the next server says so at once and plans again."""
    with ServerProcess(database_url) as first:
        admin = _seed_small_school(first.url, database_url)
        made = httpx.post(f"{first.url}/schools/lincoln/plans", json={"time_limit": 120}, headers=admin)
        assert made.status_code == 202 and made.json()["status"] == "solving"
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
    with ServerProcess(database_url) as second:
        seen = httpx.get(f"{second.url}/plans/{made.json()['id']}", headers=admin).json()
        assert seen["status"] == "failed" and "interrupted" in seen["error"], seen
        again = httpx.post(f"{second.url}/schools/lincoln/plans", json={"time_limit": 2}, headers=admin)
        assert again.status_code == 202, again.text
        done = httpx.get(f"{second.url}/plans/{again.json()['id']}?wait=60", headers=admin, timeout=90).json()
        assert done["status"] == "ready"


def _seed_small_school(url: str, database_url: str) -> dict[str, str]:
    token = new_api_token()

    async def insert() -> None:
        async with BoundDatabase(database_url):
            await User.insert(User(role="admin", name="d", email="d@example.org", token_hash=hash_api_token(token))).run()

    run_async(insert())
    admin = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{url}/schools", json={"name": "L", "slug": "lincoln", "timezone": "America/Chicago"},
                      headers=admin).status_code == 201
    room = httpx.post(f"{url}/schools/lincoln/rooms", json={"name": "Hall", "capacity": 50}, headers=admin).json()
    httpx.put(f"{url}/rooms/{room['id']}/availability", headers=admin,
              json=[{"weekday": d, "start": "08:00", "end": "21:00"} for d in range(7)])
    for i in range(3):
        httpx.post(f"{url}/schools/lincoln/events", headers=admin, json={
            "title": f"E{i}", "kind": "workshop", "duration_minutes": 60, "earliest_date": "2027-03-01",
            "latest_date": "2027-03-05"})
    return admin


async def test_a_solve_owned_by_a_silent_process_on_another_host_is_retired_after_its_heartbeat(client, district):
    school_id = (await ok(await client.get("/schools/lincoln", headers=district)))["id"]
    now = dt.datetime.now(dt.timezone.utc)

    async def solving(beat: dt.datetime) -> int:
        return (await Plan.insert(Plan(school=school_id, status="solving", instance="{}", time_limit=300, created_at=now,
                                       owner="another-host:4242:99", heartbeat_at=beat)).returning(Plan.id).run())[0]["id"]

    alive = in_app(client, solving, now)
    busy = await client.post("/schools/lincoln/plans", json={}, headers=district)
    assert busy.status_code == 409 and f"plan {alive}" in busy.json()["detail"]  # its process still beats
    assert (await ok(await client.get(f"/plans/{alive}", headers=district)))["status"] == "solving"
    silent = in_app(client, solving, now - dt.timedelta(seconds=30))
    assert socket.gethostname() != "another-host"
    got = await ok(await client.get(f"/plans/{silent}", headers=district))
    assert got["status"] == "failed" and "interrupted" in got["error"]


# ---------------------------------------------------------------- 9. say what is true of e-mail


async def test_with_smtp_down_the_family_page_says_the_email_did_not_go_out(settings, client):
    from scheduler.notifications import sweeps
    from tests.integration.helpers import free_port

    down = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port())  # nobody listens there
    async with AsyncTestClient(app=create_app(down)) as web:
        web.follow_redirects = False
        admin, family, csrf = await _family_signed_in(web)
        event = await make_event(web, admin)
        publish(web, event["id"], start_utc="2027-03-03T00:00:00+00:00")
        done = await web.post(f"/family/events/{event['id']}/register", data={"csrf": csrf, "adults": "1"})
        page = (await web.get(done.headers["location"] + "&lang=en")).text
        assert "e-mail is on its way" not in page and "waiting to be sent" in page
        in_app(web, sweeps.deliver, down, dt.datetime.now(dt.timezone.utc))
        page = (await web.get("/family?lang=en")).text
        assert "has not gone out yet; we keep trying" in page
        failed = await ok(await web.get("/schools/lincoln/outbox?status=pending", headers=admin))
        assert failed["items"][0]["attempts"] == 1 and failed["items"][0]["reason"]


@pytest.mark.parametrize("path,form", [("/signin/email", {"email": "a\u0000b@example.org"}),
                                       ("/signin/token", {"token": "x\u0001y"}),
                                       ("/language", {"lang": "e\u0000s", "next": "/"})])
async def test_control_characters_in_any_form_field_are_a_400_naming_it(web, path, form):
    r = await web.post(path, data=form)
    assert r.status_code == 400 and next(iter(form)) in r.text
