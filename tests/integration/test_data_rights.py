"""Data rights through the real app on each engine: a family exports everything, or deletes its account.

The set-up is one school evening: Math Night with two seats and one
childcare adult (four infants). The Nguyens (Vietnamese, two infants) hold
a seat, the Smiths hold the other, and the Bakers (three infants) wait:
when the Nguyens leave, their seat and childcare places go to the Bakers.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from calendars.tables import FeedToken
from calendars.tokens import hash_token
from scheduler.accounts.tables import IdempotencyKey, User
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.conferences.tables import ConferenceClass, ConferenceMeeting, ConferenceTeacher, ConferenceWindow
from scheduler.core.auth import hash_api_token
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.notifications.tables import Outbox
from scheduler.piccolo_app import TABLES
from scheduler.planning.tables import Plan
from scheduler.privacy.erase import ERASED_REASON
from tests.conftest import TEST_SECRET
from tests.integration.helpers import in_app, make_event, make_school, make_user, ok, publish, rows
from tests.integration.test_feed_tokens import path_of
from tests.integration.test_registrations import TUESDAY_EVENING, childcare

# tables that point at a family by id but not by foreign key (checked by hand, listed here)
BY_ID_NOT_BY_KEY = {"feed_token": "owner_kind/owner_id", "plan": "instance JSON (family-<id>)",
                    "conference_window": "unplaced JSON (family_id)"}


def tables_about_a_family() -> list:
    """Every table whose rows belong to a family: those referencing it, its children, users,
    registrations ... (the closure over foreign keys), read from the Piccolo metadata."""
    about = [Family]
    grew = True
    while grew:
        grew = False
        for table in TABLES:
            refs = {fk._foreign_key_meta.resolved_references for fk in table._meta.foreign_key_columns}
            if table not in about and refs & set(about):
                about.append(table)
                grew = True
    return about


async def make_family(client, admin, name: str, language: str, email: str) -> dict:
    return await ok(await client.post("/schools/lincoln/families", json={
        "name": name, "language": language, "email": email, "guardians": [f"{name} parent"]}, headers=admin), 201)


async def user_for(client, admin, family_id: int, email: str) -> tuple[dict[str, str], str]:
    body = await ok(await client.post("/schools/lincoln/users", json={
        "role": "family", "name": "parent", "email": email, "family_id": family_id}, headers=admin), 201)
    return {"Authorization": f"Bearer {body['token']}"}, body["token"]


async def add_child(client, headers, family_id: int, name: str, band: str) -> int:
    return (await ok(await client.post(f"/families/{family_id}/children", json={
        "first_name": name, "grade": "pre-k", "age_band": band}, headers=headers), 201))["id"]


@pytest.fixture
async def evening(client):
    """The school, Math Night, the three families and their places (see the module docstring)."""
    admin = await make_user(client)
    school = await make_school(client, admin)
    await ok(await client.post("/schools/lincoln/interpreters", json={
        "name": "Thanh", "email": "thanh@example.org", "languages": ["vi"]}, headers=admin), 201)
    care = await childcare(client, admin, staff=1)
    event = await make_event(client, admin)
    publish(client, event["id"], TUESDAY_EVENING, seats=2, childcare_id=care)

    nguyen = await make_family(client, admin, "Nguyen", "vi", "nguyen@example.org")
    nguyen_h, nguyen_token = await user_for(client, admin, nguyen["id"], "nguyen.parent@example.org")
    nguyen_kids = [await add_child(client, nguyen_h, nguyen["id"], n, "infant") for n in ("Lan", "Minh")]
    await ok(await client.put(f"/families/{nguyen['id']}/availability", headers=nguyen_h, json={
        "weekly": [{"weekday": 1, "start": "17:00", "end": "21:00"}],
        "dated": [{"start": "2027-03-09T18:00", "end": "2027-03-09T20:00", "busy": True}]}))
    await ok(await client.put(f"/families/{nguyen['id']}/interests", json={"event_ids": [event["id"]]},
                              headers=nguyen_h))
    link = await ok(await client.post(f"/families/{nguyen['id']}/feed-token", headers=nguyen_h), 201)
    smith = await make_family(client, admin, "Smith", "en", "smith@example.org")
    smith_h, _ = await user_for(client, admin, smith["id"], "smith.parent@example.org")
    baker = await make_family(client, admin, "Baker", "en", "baker@example.org")
    baker_h, _ = await user_for(client, admin, baker["id"], "baker.parent@example.org")
    baker_kids = [await add_child(client, baker_h, baker["id"], n, "infant") for n in ("Ava", "Ben", "Cy")]

    url = f"/events/{event['id']}/registrations"
    n_reg = await ok(await client.post(url, json={"child_ids": nguyen_kids}, headers=nguyen_h), 201)
    s_reg = await ok(await client.post(url, json={}, headers=smith_h), 201)
    b_reg = await ok(await client.post(url, json={"child_ids": baker_kids}, headers=baker_h), 201)
    assert (n_reg["status"], s_reg["status"], b_reg["status"]) == ("confirmed", "confirmed", "waitlisted")
    return {"admin": admin, "school": school, "event": event, "care": care, "link": link,
            "nguyen": nguyen, "nguyen_h": nguyen_h, "nguyen_token": nguyen_token, "nguyen_kids": nguyen_kids,
            "nguyen_reg": n_reg, "smith": smith, "smith_h": smith_h, "smith_reg": s_reg,
            "baker": baker, "baker_h": baker_h, "baker_kids": baker_kids, "baker_reg": b_reg}


def seed_conferences_and_plan(client, w: dict) -> dict:
    """A published conference window with an interpreted meeting of the Nguyens (alone in its
    interpreter block) and one of the Smiths, reasons naming both, and a plan holding both families."""
    room = in_app(client, _insert_room, w["school"]["id"])
    return in_app(client, _insert_conferences, w, room)


async def _insert_room(school_id: int) -> int:
    from resources.tables import Room

    return (await Room.insert(Room(school=school_id, name="Room 11", capacity=25, tags=[]))
            .returning(Room.id).run())[0]["id"]


async def _insert_conferences(w: dict, room: int) -> dict:
    sid, nguyen, smith = w["school"]["id"], w["nguyen"]["id"], w["smith"]["id"]
    start = dt.datetime(2027, 3, 16, 22, 0, tzinfo=dt.timezone.utc)
    unplaced = [{"family_id": nguyen, "guardian": "Nguyen parent", "teacher_id": 1, "reason": "no slot"},
                {"family_id": smith, "guardian": None, "teacher_id": 1, "reason": "no slot"}]
    window = (await ConferenceWindow.insert(ConferenceWindow(
        school=sid, name="Spring", status="published", unplaced=json.dumps(unplaced),
        updated_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))).returning(ConferenceWindow.id).run())[0]["id"]
    teacher = (await ConferenceTeacher.insert(ConferenceTeacher(
        window=window, name="Ms Lee", email="lee@example.org", room=room)).returning(ConferenceTeacher.id).run())[0]["id"]
    await ConferenceClass.insert(ConferenceClass(teacher=teacher, child=w["nguyen_kids"][0])).run()
    evening = (await Event.insert(Event(
        school=sid, kind="conference", title="Parent-teacher conferences", status="published", starts_at=start,
        ends_at=start + dt.timedelta(hours=2), duration_minutes=120, earliest_date=start.date(),
        latest_date=start.date(), seats=0, room_tags=[], audience=[], interpreter_languages=["vi"]))
        .returning(Event.id).run())[0]["id"]
    block = (await InterpreterAssignment.insert(InterpreterAssignment(
        event=evening, school=sid, language="vi", status="open", starts_at=start,
        ends_at=start + dt.timedelta(minutes=20))).returning(InterpreterAssignment.id).run())[0]["id"]
    meetings = await ConferenceMeeting.insert(
        ConferenceMeeting(window=window, teacher=teacher, family=nguyen, child_ids=[w["nguyen_kids"][0]],
                          starts_at=start, ends_at=start + dt.timedelta(minutes=20), language="vi",
                          assignment=block, status="accepted"),
        ConferenceMeeting(window=window, teacher=teacher, family=smith, child_ids=[], status="proposed",
                          starts_at=start + dt.timedelta(minutes=25), ends_at=start + dt.timedelta(minutes=35)),
    ).returning(ConferenceMeeting.id).run()
    instance = {"version": 1, "events": [], "families": [
        {"id": f"family-{nguyen}", "language": "vi", "interests": ["event-1"], "available": []},
        {"id": f"family-{smith}", "language": "en", "interests": ["event-1"], "available": []}]}
    plan = (await Plan.insert(Plan(school=sid, status="ready", instance=json.dumps(instance)))
            .returning(Plan.id).run())[0]["id"]
    return {"window": window, "block": block, "meetings": [m["id"] for m in meetings], "plan": plan}


# ---------------------------------------------------------------- export


async def test_export_holds_everything_about_the_family_and_no_secret(client, evening):
    w = evening
    seed_conferences_and_plan(client, w)
    fid = w["nguyen"]["id"]
    r = await client.get(f"/families/{fid}/export", headers=w["nguyen_h"])
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="family-{fid}-export.json"'
    assert r.headers["content-type"].startswith("application/json") and r.headers["cache-control"] == "no-store"
    doc = r.json()
    assert doc["format_version"] == 2 and doc["exported_at"]
    assert doc["profile"]["name"] == "Nguyen" and doc["profile"]["email"] == "nguyen@example.org"
    assert doc["profile"]["language"] == "vi" and doc["profile"]["preferences"] == {"email": {}}
    assert [(c["first_name"], c["age_band"]) for c in doc["children"]] == [("Lan", "infant"), ("Minh", "infant")]
    assert doc["children"][0]["childcare"][0]["event"]["title"] == "Math Night"
    assert doc["availability"]["weekly"] == [{"weekday": 1, "start": "17:00", "end": "21:00"}]
    assert doc["availability"]["dated"] == [{"start": "2027-03-09T18:00:00-06:00", "end": "2027-03-09T20:00:00-06:00",
                                             "busy": True}]
    assert [(i["event"]["title"], i["choice"]) for i in doc["interests"]] == [("Math Night", "yes")]
    (reg,) = doc["registrations"]
    assert reg["event"]["title"] == "Math Night" and reg["event"]["starts_at"] == "2027-03-02T18:00:00-06:00"
    assert (reg["status"], reg["waitlist_position"], reg["interpreter_needed"]) == ("confirmed", None, "vi")
    assert sorted(c["child_id"] for c in reg["childcare"]) == sorted(w["nguyen_kids"])
    (link,) = doc["feed_tokens"]
    assert link["created_at"] and link["revoked_at"] is None
    assert [u["email"] for u in doc["users"]] == ["nguyen.parent@example.org"]
    assert {n["kind"] for n in doc["notifications"]} == {"registration_confirmed"}
    meetings = doc["conferences"]["meetings"]
    assert [(m["teacher"], m["interpreter_language"], m["status"]) for m in meetings] == [("Ms Lee", "vi", "accepted")]
    assert [u["reason"] for u in doc["conferences"]["unplaced"]] == ["no slot"]
    assert [c["teacher"] for c in doc["conferences"]["class_lists"]] == ["Ms Lee"]
    assert [s["entry"]["language"] for s in doc["planning_snapshots"]] == ["vi"]
    # nothing of the other families, and no credential in any form
    assert "smith" not in r.text.lower() and "baker" not in r.text.lower()
    for secret in (w["link"]["token"], hash_token(w["link"]["token"], TEST_SECRET),
                   w["nguyen_token"], hash_api_token(w["nguyen_token"])):
        assert secret not in r.text
    assert "token_hash" not in r.text
    # the school's admin may export too
    assert (await ok(await client.get(f"/families/{fid}/export", headers=w["admin"])))["profile"]["id"] == fid


async def test_export_has_a_section_for_every_table_about_a_family(client, evening):
    """A new table that references a family (or its children, users, registrations) fails here until
    ``data_rights.SOURCES`` says where the export carries it (and the export does)."""
    doc = await ok(await client.get(f"/families/{evening['nguyen']['id']}/export", headers=evening["nguyen_h"]))
    names = {t._meta.tablename for t in tables_about_a_family()} | set(BY_ID_NOT_BY_KEY)
    assert {"family", "child", "registration", "childcare_booking", "app_user", "idempotency_key", "outbox",
            "conference_meeting", "conference_class", "family_dated_availability"} <= names
    missing = sorted(n for n in names if n not in doc["sources"])
    assert not missing, f"tables about a family with no place in the export: {missing}"
    assert all(doc["sources"][n] in doc for n in names)


async def test_who_may_export(client, evening):
    w = evening
    fid = w["nguyen"]["id"]
    other = await client.get(f"/families/{fid}/export", headers=w["smith_h"])
    assert other.status_code == 403 and "your own family" in other.json()["detail"]
    oak = await make_school(client, w["admin"], slug="oak")
    oak_admin = await make_user(client, school_id=oak["id"])
    assert (await client.get(f"/families/{fid}/export", headers=oak_admin)).status_code == 403
    missing = await client.get("/families/9999/export", headers=w["admin"])
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "family_id"
    assert (await client.get(f"/families/{fid}/export")).status_code == 401


# ---------------------------------------------------------------- delete


async def test_delete_hands_on_the_seat_and_erases_the_family(client, evening):
    w = evening
    seeded = seed_conferences_and_plan(client, w)
    fid, event_id = w["nguyen"]["id"], w["event"]["id"]
    admin_key = {**w["admin"], "Idempotency-Key": "on-behalf-1"}  # an admin's stored answer about the family
    other = await make_event(client, w["admin"], title="Potluck")
    publish(client, other["id"], TUESDAY_EVENING, seats=5)
    await ok(await client.post(f"/events/{other['id']}/registrations", json={"family_id": fid}, headers=admin_key), 201)
    gone = {"family": {fid}, "child": set(w["nguyen_kids"]),
            "app_user": {u["id"] for u in rows(client, User, User.family == fid)},
            "registration": {r["id"] for r in rows(client, Registration, Registration.family == fid)}}
    own_messages = [o["id"] for o in rows(client, Outbox, Outbox.family == fid)]
    assert any(o["status"] == "pending" for o in rows(client, Outbox, Outbox.family == fid))
    assert (await client.get(path_of(w["link"]["https"]))).status_code == 200
    before_window = rows(client, ConferenceWindow, ConferenceWindow.id == seeded["window"])[0]
    smith_before = rows(client, Family, Family.id == w["smith"]["id"])

    r = await client.delete(f"/families/{fid}?confirm={fid}", headers=w["nguyen_h"])
    summary = await ok(r)
    assert {k: v for k, v in summary.items() if k != "deleted_at"} == {
        "family_id": fid, "registrations_cancelled": 2, "seats_released": 2, "childcare_places_released": 2,
        "waitlist_promoted": 1, "interpreter_assignments_withdrawn": 3, "conference_meetings_cancelled": 1,
        "feed_tokens_revoked": 1, "api_tokens_revoked": 1, "messages_withheld": len(own_messages)}

    # the Bakers, first on the waitlist, now have the seat and the childcare places, and are told so
    regs = {r["id"]: r["status"] for r in rows(client, Registration, Registration.event == event_id)}
    assert regs == {w["smith_reg"]["id"]: "confirmed", w["baker_reg"]["id"]: "confirmed"}
    held = rows(client, ChildcareBooking, ChildcareBooking.event == event_id, ChildcareBooking.status == "confirmed")
    assert sorted(b["child"] for b in held) == sorted(w["baker_kids"])
    promoted = rows(client, Outbox, Outbox.kind == "waitlist_promoted")
    assert [(o["family"], o["to_email"], o["status"]) for o in promoted] == [
        (w["baker"]["id"], "baker@example.org", "pending")]

    # interpreting only the Nguyens needed is withdrawn; the event no longer offers Vietnamese
    event = rows(client, Event, Event.id == event_id)[0]
    assert "vi" not in event["interpreter_languages"]
    assignments = rows(client, InterpreterAssignment, InterpreterAssignment.language == "vi")
    assert {a["status"] for a in assignments} == {"cancelled"}
    notices = rows(client, Outbox, Outbox.kind == "assignment_open")
    assert notices and {(o["status"], o["last_error"]) for o in notices} == {("skipped", "the assignment was withdrawn")}

    # links and tokens stop working
    assert (await client.get(path_of(w["link"]["https"]))).status_code == 404
    assert (await client.get("/users/me", headers=w["nguyen_h"])).status_code == 401
    links = rows(client, FeedToken, FeedToken.owner_kind == "family", FeedToken.owner_id == fid)
    assert links and all(t["revoked_at"] is not None for t in links)

    # nothing references the family, its children, users or registrations any more
    for table in tables_about_a_family():
        for fk in table._meta.foreign_key_columns:
            ids = gone.get(fk._foreign_key_meta.resolved_references._meta.tablename)
            if ids:
                assert rows(client, table, fk.is_in(sorted(ids))) == [], (table._meta.tablename, fk._meta.name)
    assert rows(client, Family, Family.id == fid) == []
    assert rows(client, IdempotencyKey) == []
    for table in (FamilyAvailability, FamilyDatedAvailability):
        assert rows(client, table) == []  # only the Nguyens had given any
    # messages to the family: never sent now, kept for the school without address, payload or family
    kept = rows(client, Outbox, Outbox.id.is_in(own_messages))
    assert {(o["status"], o["last_error"], o["to_email"], o["family"], o["payload"]) for o in kept} == {
        ("skipped", ERASED_REASON, "", None, "{}")}
    assert all(o["dedupe_key"] == f"erased:{o['id']}" for o in kept)
    everything = json.dumps([rows(client, t) for t in TABLES], default=str)
    for personal in ("nguyen@example.org", "nguyen.parent@example.org", "Lan", "Minh", "Nguyen"):
        assert personal not in everything, personal

    # conference slot freed, the interpreter block that was only theirs withdrawn, copies scrubbed
    meetings = rows(client, ConferenceMeeting, ConferenceMeeting.window == seeded["window"])
    assert [m["family"] for m in meetings] == [w["smith"]["id"]]
    assert rows(client, InterpreterAssignment, InterpreterAssignment.id == seeded["block"])[0]["status"] == "cancelled"
    window = rows(client, ConferenceWindow, ConferenceWindow.id == seeded["window"])[0]
    assert [u["family_id"] for u in json.loads(window["unplaced"])] == [w["smith"]["id"]]
    assert window["updated_at"] > before_window["updated_at"]  # the teacher's feed dates forward
    plan = json.loads(rows(client, Plan, Plan.id == seeded["plan"])[0]["instance"])
    assert [f["id"] for f in plan["families"]] == [f"family-{w['smith']['id']}"]

    # everyone else is untouched
    assert rows(client, Family, Family.id == w["smith"]["id"]) == smith_before
    assert len(rows(client, Child, Child.family == w["baker"]["id"])) == 3
    assert (await ok(await client.get("/users/me", headers=w["smith_h"])))["family_id"] == w["smith"]["id"]

    # a second deletion finds nothing
    again = await client.delete(f"/families/{fid}?confirm={fid}", headers=w["admin"])
    assert again.status_code == 404 and again.json()["errors"][0]["field"] == "family_id"
    assert (await client.get(f"/families/{fid}/export", headers=w["admin"])).status_code == 404


async def test_bad_deletions_are_refused_and_change_nothing(client, evening):
    w = evening
    fid = w["nguyen"]["id"]
    oak = await make_school(client, w["admin"], slug="oak")
    oak_admin = await make_user(client, school_id=oak["id"])

    def snapshot() -> str:
        return json.dumps([rows(client, t) for t in TABLES], default=str, sort_keys=True)

    async def refused(path: str, headers: dict, status: int, field: str | None) -> None:
        r = await client.delete(path, headers=headers)
        assert r.status_code == status, r.text
        if field is not None:
            assert field in [e["field"] for e in r.json()["errors"]], r.text

    before = snapshot()
    await refused("/families/9999?confirm=9999", w["admin"], 404, "family_id")
    await refused(f"/families/{fid}?confirm={fid + 1}", w["nguyen_h"], 422, "confirm")
    await refused(f"/families/{fid}", w["nguyen_h"], 422, "confirm")
    await refused(f"/families/{fid}?confirm=yes", w["admin"], 400, "confirm")
    await refused(f"/families/{fid}?confirm={fid}", w["smith_h"], 403, None)
    await refused(f"/families/{fid}?confirm={fid}", oak_admin, 403, None)
    await refused(f"/families/{fid}?confirm={fid}", {}, 401, "authorization")
    assert snapshot() == before
    assert (await client.get(path_of(w["link"]["https"]))).status_code == 200
    assert (await ok(await client.get(f"/families/{fid}", headers=w["nguyen_h"])))["name"] == "Nguyen"
