"""Attendance against expected turnout through HTTP (both engines): a school's past events and months, one
event's figures, who may read them, the admin page and the planner's block, and a plan calibrated by them."""

from __future__ import annotations

import datetime as dt

from scheduler.attendance.tables import CheckIn
from scheduler.bookings.tables import Registration
from scheduler.events.tables import Event
from scheduler.notifications.tables import AttendanceAnswer
from tests.integration.helpers import (
    family_user,
    in_app,
    make_event,
    make_family,
    make_school,
    make_user,
    ok,
    publish,
    sign_in,
)
from tests.integration.test_plans import plan_and_wait, small_school

EVENING = "2026-10-06T23:00:00+00:00"  # a Tuesday, 18:00 in Chicago


def add(client, *rows) -> list[int]:
    """Insert rows straight into the tables (the check-in services are another feature's)."""
    async def insert() -> list[int]:
        return [(await type(r).insert(r).returning(type(r).id).run())[0]["id"] for r in rows]
    return in_app(client, insert)


async def past_event(client, admin, title: str, start: str = EVENING, status: str = "published") -> int:
    event = await make_event(client, admin, title=title)
    publish(client, event["id"], start)
    if status != "published":
        async def cancel() -> None:
            await Event.update({Event.status: status}).where(Event.id == event["id"]).run()
        in_app(client, cancel)
    return event["id"]


async def history(client, admin, families: list[int], came: list[int], walk_ins: int = 0, start: str = EVENING) -> int:
    """A past event the families registered for; those in ``came`` were checked in, with walk-ins beside."""
    eid = await past_event(client, admin, "Family Math Night", start)
    regs = add(client, *[Registration(event=eid, family=f, status="confirmed") for f in families])
    add(client, *[CheckIn(event=eid, registration=r, family=f, client_ref=f"c-{eid}-{f}")
                  for r, f in zip(regs, families) if f in came],
        *[CheckIn(event=eid, walk_in_name=f"Guest {i}", client_ref=f"w-{eid}-{i}") for i in range(walk_ins)])
    return eid


async def test_past_events_count_registered_confirmed_checked_in_and_walk_ins_and_leave_out_what_never_counts(client):
    admin = await make_user(client)
    await make_school(client, admin)
    fams = [(await make_family(client, admin))["id"] for _ in range(4)]
    counted = await history(client, admin, fams[:2], came=[fams[0]], walk_ins=1)
    regs = {r["family"]: r["id"] for r in in_app(client, lambda: Registration.select().where(
        Registration.event == counted).run())}
    add(client, Registration(event=counted, family=fams[2], status="waitlisted"),  # never promoted
        Registration(event=counted, family=fams[3], status="cancelled"),
        AttendanceAnswer(registration=regs[fams[0]], answer="yes"))
    no_door = await past_event(client, admin, "Open house", "2026-10-13T23:00:00+00:00")
    add(client, Registration(event=no_door, family=fams[0], status="confirmed"))
    cancelled = await past_event(client, admin, "Book fair", "2026-10-20T23:00:00+00:00", status="cancelled")
    add(client, Registration(event=cancelled, family=fams[1], status="confirmed"),
        CheckIn(event=cancelled, family=fams[1], client_ref="x-cancelled"))

    got = await ok(await client.get("/schools/lincoln/attendance?months=24", headers=admin))
    by_id = {e["event_id"]: e for e in got["events"]}
    assert set(by_id) == {counted, no_door}  # a cancelled event is never listed
    math = by_id[counted]
    figures = (math["registered"], math["confirmed"], math["checked_in"], math["walk_ins"], math["came"])
    assert figures == (2, 1, 2, 1, 1)
    assert math["show_up_rate"] == 0.5 and math["expected"] is None  # published by hand: no plan expected it
    assert math["start"].startswith("2026-10-06T18:00:00-05:00") and math["month"] == "2026-10"
    assert by_id[no_door]["checks_taken"] is False and by_id[no_door]["show_up_rate"] is None
    assert got["months"] == [{"month": "2026-10", "events": 2, "expected": None, "registered": 3, "confirmed": 1,
                              "checked_in": 2, "walk_ins": 1, "people": 2, "show_up_rate": 0.5}]
    assert got["calibration"]["history_events"] == 1 and got["calibration"]["history_registrations"] == 2
    assert got["calibration"]["school_rate"] == 0.5 and set(got["calibration"]["time_of_day"]) == {"weekday-evening"}

    one = await ok(await client.get(f"/events/{counted}/attendance", headers=admin))
    assert one == math
    assert (await client.get("/schools/lincoln/attendance?months=61", headers=admin)).status_code == 400


async def test_staff_of_the_school_may_read_and_families_and_other_schools_may_not(client):
    admin = await make_user(client)
    school = await make_school(client, admin)
    fam = await make_family(client, admin)
    eid = await history(client, admin, [fam["id"]], came=[fam["id"]])
    teacher = await make_user(client, "teacher", school["id"])
    assert (await ok(await client.get(f"/events/{eid}/attendance", headers=teacher)))["came"] == 1
    assert (await client.get("/schools/lincoln/attendance", headers=teacher)).status_code == 200
    family = await family_user(client, admin, fam["id"])
    assert (await client.get(f"/events/{eid}/attendance", headers=family)).status_code == 403
    assert (await client.get("/schools/lincoln/attendance", headers=family)).status_code == 403
    await make_school(client, admin, slug="other")
    other_admin = await make_user(client, "admin", (await ok(await client.get("/schools/other", headers=admin)))["id"])
    assert (await client.get(f"/events/{eid}/attendance", headers=other_admin)).status_code == 403
    assert (await client.get("/events/999999/attendance", headers=admin)).status_code == 404


async def test_the_admin_page_and_the_planner_show_expected_against_actual(client):
    admin = await make_user(client)
    await make_school(client, admin)
    fams = [(await make_family(client, admin))["id"] for _ in range(2)]
    await history(client, admin, fams, came=[fams[0]], walk_ins=2)
    client.follow_redirects = False
    mine = await make_user(client, "admin", (await ok(await client.get("/schools/lincoln", headers=admin)))["id"])
    await sign_in(client, mine["Authorization"].split()[1])
    page = await client.get("/admin/attendance")
    assert page.status_code == 200 and "Family Math Night" in page.text and "50%" in page.text
    assert 'id="month-2026-10"' in page.text
    planner = await client.get("/planner")
    assert planner.status_code == 200 and "Past events: expected vs actual" in planner.text
    assert 'class="rate">50%' in planner.text
    bad = await client.get("/admin/attendance?months=7")
    assert bad.status_code == 422 and "must be one of 3, 6, 12 or 24" in bad.text


async def test_a_plan_made_after_check_ins_is_calibrated_by_them(client):
    """Families that said "I'd come" and stayed away weigh less in the engine; the plan states its calibration
    and expects a figure at the door for each placed event; with no history it says nothing of one."""
    setup = await small_school(client)
    admin, fams = setup["admin"], [f["id"] for f in setup["families"]]
    plain = await plan_and_wait(client, admin)
    assert plain["turnout"]["calibration"] is None
    assert all(e.get("expected_at_door") is None for e in plain["events"])

    await history(client, admin, fams, came=fams[:3])  # three of ten came
    await history(client, admin, fams[:3], came=fams[:3], start="2026-10-13T23:00:00+00:00")
    plan = await plan_and_wait(client, admin)
    cal = plan["turnout"]["calibration"]
    assert cal["history_events"] == 2 and cal["history_registrations"] == 13 and cal["school_rate"] == round(6 / 13, 4)
    placed = [e for e in plan["events"] if e["outcome"] == "placed"]
    assert placed and all(e["expected_at_door"] is not None for e in placed)
    assert all(e["expected_at_door"] <= e["expected_turnout"] for e in placed)
    math = next(e for e in placed if e["title"] == "Family Math Night")
    assert 0 < math["expected_at_door"] < math["expected_turnout"]
    # every family said "I'd come" (weight 2); the seven that registered and stayed away now weigh 1
    assert plan["objective"]["attendance"] < plain["objective"]["attendance"]


async def test_the_demo_school_has_a_recent_past_to_show(client):
    from scheduler.demo.school import load_demo

    assert in_app(client, load_demo) is not None
    admin = await make_user(client)
    got = await ok(await client.get("/schools/riverside/attendance?months=6", headers=admin))
    assert [e["title"] for e in got["events"]] == ["Reading together", "Curriculum night", "Back-to-school picnic"]
    assert [e["checks_taken"] for e in got["events"]] == [True, False, True]  # nobody at the door one evening
    for e in got["events"]:
        assert e["registered"] == 40 and 0 < e["confirmed"] < 40
        assert (e["show_up_rate"] is None) == (not e["checks_taken"]) and e["checked_in"] >= e["walk_ins"]
    assert got["calibration"]["history_events"] == 2 and got["calibration"]["history_registrations"] == 80


async def test_a_published_plans_expectation_is_shown_beside_what_happened(client):
    setup = await small_school(client)
    admin, fams = setup["admin"], [f["id"] for f in setup["families"]]
    await history(client, admin, fams, came=fams[:5])
    plan = await plan_and_wait(client, admin)
    await ok(await client.post(f"/plans/{plan['id']}/publish", headers=admin))
    math = next(e for e in plan["events"] if e["title"] == "Family Math Night")
    start = dt.datetime(2026, 11, 3, 0, tzinfo=dt.timezone.utc)  # as if it had happened: moved into the past

    async def into_the_past() -> None:
        await Event.update({Event.starts_at: start, Event.ends_at: start + dt.timedelta(minutes=90)}).where(
            Event.id == math["event_id"]).run()
    in_app(client, into_the_past)
    got = await ok(await client.get(f"/events/{math['event_id']}/attendance", headers=admin))
    assert (got["expected"], got["expected_at_door"]) == (math["expected_turnout"], math["expected_at_door"])
    assert got["expected"] > 0 and got["checks_taken"] is False and got["show_up_rate"] is None
    months = (await ok(await client.get("/schools/lincoln/attendance?months=24", headers=admin)))["months"]
    assert {m["month"]: m["expected"] for m in months} == {"2026-10": None, "2026-11": math["expected_turnout"]}
