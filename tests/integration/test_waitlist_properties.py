"""Property: any sequence of book / cancel / add-staff keeps capacity and never skips a family that fits.

Hypothesis drives random sequences through the real app and database; after
every step the stored state is checked against an independent reading of
the rules (seats by adults, childcare by ratio).
"""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources.childcare_capacity import fits
from scheduler.bookings.tables import ChildcareBooking, Registration
from tests.integration.helpers import make_event, make_school, make_user, ok, publish, rows

SEATS = 4
RATIOS = {"infant": 4, "toddler": 6, "preschool": 10, "school-age": 15}
BANDS = ["infant", "toddler", "school-age"]
_slugs = itertools.count()

operation = st.one_of(
    st.tuples(st.just("book"), st.integers(0, 5), st.integers(1, 2), st.lists(st.sampled_from(BANDS), max_size=3)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("staff")),
)


async def _setup(client):
    admin = await make_user(client)
    slug = f"prop-{next(_slugs)}"
    await make_school(client, admin, slug=slug)
    care = await ok(await client.post(f"/schools/{slug}/childcare", json={"name": "Care", "capacity": 12},
                                      headers=admin), 201)
    event = await make_event(client, admin, slug=slug)
    publish(client, event["id"], "2027-03-03T00:00:00+00:00", seats=SEATS, childcare_id=care["id"])
    return admin, slug, care["id"], event["id"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=3, max_size=14))
async def test_waitlist_never_oversells_and_never_skips(client, ops):
    admin, slug, care, event = await _setup(client)
    staff = 1
    await ok(await client.put(f"/childcare/{care}/staffing", json=[
        {"weekday": 1, "start": "16:00", "end": "22:00", "staff": staff}], headers=admin))
    families: dict[int, tuple[dict, int | None]] = {}  # slot -> (headers, live registration id)
    for op in ops:
        if op[0] == "book":
            _, slot, adults, bands = op
            if slot in families and families[slot][1] is not None:
                continue
            fam = await ok(await client.post(f"/schools/{slug}/families", json={
                "name": "F", "language": "en", "email": "f@example.org"}, headers=admin), 201)
            kids = [(await ok(await client.post(f"/families/{fam['id']}/children", json={
                "first_name": "K", "grade": "pre-k", "age_band": b}, headers=admin), 201))["id"] for b in bands]
            user = await ok(await client.post(f"/schools/{slug}/users", json={
                "role": "family", "name": "F", "email": "f@example.org", "family_id": fam["id"]}, headers=admin), 201)
            headers = {"Authorization": f"Bearer {user['token']}"}
            reg = await ok(await client.post(f"/events/{event}/registrations",
                                             json={"adults": adults, "child_ids": kids}, headers=headers), 201)
            families[slot] = (headers, reg["id"])
        elif op[0] == "cancel":
            if op[1] in families and families[op[1]][1] is not None:
                headers, reg_id = families[op[1]]
                await ok(await client.delete(f"/events/{event}/registrations/{reg_id}", headers=headers))
                families[op[1]] = (headers, None)
        else:
            staff += 1
            await ok(await client.put(f"/childcare/{care}/staffing", json=[
                {"weekday": 1, "start": "16:00", "end": "22:00", "staff": staff}], headers=admin))
        _check(client, event, staff)


def _check(client, event: int, staff: int) -> None:
    regs = rows(client, Registration, Registration.event == event)
    bookings = rows(client, ChildcareBooking, ChildcareBooking.event == event)
    bands_of = {r["id"]: Counter(b["age_band"] for b in bookings if b["registration"] == r["id"]) for r in regs}
    confirmed = [r for r in regs if r["status"] == "confirmed"]
    seats_used = sum(r["adults"] for r in confirmed)
    care_used = sum((bands_of[r["id"]] for r in confirmed), Counter())
    assert seats_used <= SEATS
    assert fits(staff, RATIOS, 12, {}, care_used), (staff, care_used)
    for waiting in (r for r in regs if r["status"] == "waitlisted"):
        fits_now = seats_used + waiting["adults"] <= SEATS and fits(staff, RATIOS, 12, care_used, bands_of[waiting["id"]])
        assert not fits_now, f"registration {waiting['id']} waits although its needs fit"
