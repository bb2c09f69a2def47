"""Registrations through the real app: seats and childcare together, waitlists, promotion, bad input."""

from __future__ import annotations

import pytest

from scheduler.assignments.tables import InterpreterAssignment
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.events.tables import Event
from scheduler.notifications.tables import Outbox
from tests.integration.helpers import family_user, make_event, make_family, make_school, make_user, ok, publish, rows

TUESDAY_EVENING = "2027-03-03T00:00:00+00:00"  # Tue 2 March 2027, 18:00 in Chicago


@pytest.fixture
async def school(client):
    admin = await make_user(client)
    await make_school(client, admin)
    return admin


async def family_with_children(client, admin, bands: list[str], language: str = "en") -> tuple[dict, dict, list[int]]:
    fam = await make_family(client, admin, language=language)
    kids = []
    for i, band in enumerate(bands):
        kid = await ok(await client.post(f"/families/{fam['id']}/children", json={
            "first_name": f"Kid{i}", "grade": "pre-k", "age_band": band}, headers=admin), 201)
        kids.append(kid["id"])
    return fam, await family_user(client, admin, fam["id"]), kids


async def childcare(client, admin, staff: int, capacity: int = 30) -> int:
    care = await ok(await client.post("/schools/lincoln/childcare", json={"name": "Kids' Corner", "capacity": capacity},
                                      headers=admin), 201)
    await ok(await client.put(f"/childcare/{care['id']}/staffing", json=[
        {"weekday": 1, "start": "17:00", "end": "21:00", "staff": staff}], headers=admin))
    return care["id"]


async def test_seats_then_waitlist_in_order_then_promotion(client, school):
    event = await make_event(client, school)
    publish(client, event["id"], TUESDAY_EVENING, seats=2)
    people = [await family_with_children(client, school, []) for _ in range(4)]
    answers = [await ok(await client.post(f"/events/{event['id']}/registrations", json={"adults": 1}, headers=h), 201)
               for _, h, _ in people]
    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2]
    cancelled = await ok(await client.delete(f"/events/{event['id']}/registrations/{answers[0]['id']}",
                                             headers=people[0][1]))
    assert cancelled["status"] == "cancelled"
    mine = await ok(await client.get(f"/families/{people[2][0]['id']}/registrations", headers=people[2][1]))
    assert mine[0]["status"] == "confirmed"
    last = await ok(await client.get(f"/families/{people[3][0]['id']}/registrations", headers=people[3][1]))
    assert last[0]["status"] == "waitlisted" and last[0]["waitlist_position"] == 1
    promoted = rows(client, Outbox, Outbox.kind == "waitlist_promoted")
    assert [o["family"] for o in promoted] == [people[2][0]["id"]]


async def test_childcare_by_ratio_waitlists_and_staff_promotes(client, school):
    care = await childcare(client, school, staff=1)  # one adult: 4 infants
    event = await make_event(client, school)
    publish(client, event["id"], TUESDAY_EVENING, seats=20, childcare_id=care)
    _, a, kids_a = await family_with_children(client, school, ["infant", "infant", "infant"])
    _, b, kids_b = await family_with_children(client, school, ["infant", "infant"])
    _, c, _ = await family_with_children(client, school, [])
    ra = await ok(await client.post(f"/events/{event['id']}/registrations", json={"child_ids": kids_a}, headers=a), 201)
    rb = await ok(await client.post(f"/events/{event['id']}/registrations", json={"child_ids": kids_b}, headers=b), 201)
    rc = await ok(await client.post(f"/events/{event['id']}/registrations", json={}, headers=c), 201)
    assert (ra["status"], rb["status"], rc["status"]) == ("confirmed", "waitlisted", "confirmed")
    assert rb["child_ids"] == kids_b
    await ok(await client.put(f"/childcare/{care}/staffing", json=[
        {"weekday": 1, "start": "17:00", "end": "21:00", "staff": 2}], headers=school))
    regs = {r["id"]: r["status"] for r in rows(client, Registration, Registration.event == event["id"])}
    assert regs[rb["id"]] == "confirmed"
    booked = rows(client, ChildcareBooking, ChildcareBooking.event == event["id"], ChildcareBooking.status == "confirmed")
    assert len(booked) == 5


async def test_language_need_opens_an_assignment_and_bumps_the_event(client, school):
    await ok(await client.post("/schools/lincoln/interpreters", json={"name": "Thanh", "email": "thanh@example.org",
                                                                     "languages": ["vi"]}, headers=school), 201)
    event = await make_event(client, school)
    publish(client, event["id"], TUESDAY_EVENING, seats=5)
    _, fam, _ = await family_with_children(client, school, [], language="vi")
    await ok(await client.post(f"/events/{event['id']}/registrations", json={}, headers=fam), 201)
    opened = rows(client, InterpreterAssignment, InterpreterAssignment.event == event["id"])
    assert [(a["language"], a["status"]) for a in opened] == [("vi", "open")]
    stored = rows(client, Event, Event.id == event["id"])[0]
    assert stored["interpreter_languages"] == ["vi"] and stored["sequence"] == 1
    assert [o["kind"] for o in rows(client, Outbox, Outbox.kind == "assignment_open")] == ["assignment_open"]


async def test_idempotency_key_replays_the_first_answer(client, school):
    event = await make_event(client, school)
    publish(client, event["id"], TUESDAY_EVENING, seats=5)
    _, fam, _ = await family_with_children(client, school, [])
    headers = {**fam, "Idempotency-Key": "tap-1"}
    first = await client.post(f"/events/{event['id']}/registrations", json={}, headers=headers)
    second = await client.post(f"/events/{event['id']}/registrations", json={}, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert len(rows(client, Registration, Registration.event == event["id"])) == 1
    other = await make_event(client, school, title="Other")
    publish(client, other["id"], TUESDAY_EVENING, seats=5)
    reused = await client.post(f"/events/{other['id']}/registrations", json={}, headers=headers)
    assert reused.status_code == 422 and reused.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_bad_registrations_are_refused_and_write_nothing(client, school):
    care = await childcare(client, school, staff=2)
    await ok(await client.put(f"/childcare/{care}/ratios", json=[{"age_band": "school-age", "children_per_staff": 15}],
                              headers=school))
    draft = await make_event(client, school, title="Draft")
    past = await make_event(client, school, title="Past")
    publish(client, past["id"], "2020-01-01T00:00:00+00:00")
    cancelled = await make_event(client, school, title="Cancelled")
    publish(client, cancelled["id"], TUESDAY_EVENING)
    await ok(await client.post(f"/events/{cancelled['id']}/cancel", headers=school))
    event = await make_event(client, school)
    publish(client, event["id"], TUESDAY_EVENING, childcare_id=care)
    fam, fam_h, kids = await family_with_children(client, school, ["infant"])
    other, _, other_kids = await family_with_children(client, school, ["school-age"])

    async def refused(event_id, body, status, field, text, headers=fam_h):
        r = await client.post(f"/events/{event_id}/registrations", json=body, headers=headers)
        assert r.status_code == status, r.text
        assert field in [e["field"] for e in r.json()["errors"]] and text in r.json()["detail"], r.text

    await refused(draft["id"], {}, 409, "event_id", "not published")
    await refused(past["id"], {}, 409, "event_id", "already started")
    await refused(cancelled["id"], {}, 409, "event_id", "cancelled")
    await refused(event["id"], {"child_ids": [kids[0], other_kids[0]]}, 422, "child_ids[1]", "not in this family")
    await refused(event["id"], {"child_ids": kids * 3}, 422, "child_ids", "listed twice")
    await refused(event["id"], {"child_ids": kids}, 422, "child_ids[0]", "does not take infant")
    await refused(event["id"], {"family_id": other["id"]}, 403, "family_id", "only itself")
    await refused(event["id"], {"language": "zz"}, 422, "language", "unknown language")
    assert rows(client, Registration) == [] and rows(client, ChildcareBooking) == []
    await ok(await client.post(f"/events/{event['id']}/registrations", json={}, headers=fam_h), 201)
    await refused(event["id"], {}, 409, "event_id", "already confirmed")
