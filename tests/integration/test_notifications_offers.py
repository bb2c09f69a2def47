"""Waitlist offers (a school with ``waitlist_offer_hours``): a freed seat is held for the waitlist head,
who accepts it or lets it pass to the next family; messages say so in the family's language."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from scheduler.bookings.tables import Registration
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox
from tests.integration.helpers import family_user, in_app, make_event, make_school, make_user, ok, publish, rows
from tests.integration.test_notifications import text_of

UTC = dt.timezone.utc
START = "2027-03-15T23:00:00+00:00"


async def one_seat_event(client, offer_hours: int) -> dict:
    admin = await make_user(client)
    await make_school(client, admin)
    settings = await ok(await client.put("/schools/lincoln/notification-settings", headers=admin,
                                         json={"reminder_hours": [48, 2], "waitlist_offer_hours": offer_hours}))
    assert settings == {"reminder_hours": [48, 2], "waitlist_offer_hours": offer_hours}
    event = await make_event(client, admin, earliest_date="2027-03-15", latest_date="2027-03-15")
    publish(client, event["id"], start_utc=START, seats=1)
    families, regs = [], []
    for i, lang in enumerate(["en", "es", "ar"]):
        fam = await ok(await client.post("/schools/lincoln/families", headers=admin, json={
            "name": f"F{i}", "language": lang, "email": f"f{i}@example.org"}), 201)
        families.append({"family": fam, "auth": await family_user(client, admin, fam["id"])})
        regs.append(await ok(await client.post(f"/events/{event['id']}/registrations", json={},
                                               headers=families[-1]["auth"]), 201))
    assert [r["status"] for r in regs] == ["confirmed", "waitlisted", "waitlisted"]
    return {"admin": admin, "event": event, "families": families, "regs": regs}


def status(client, reg_id: int) -> str:
    return rows(client, Registration, Registration.id == reg_id)[0]["status"]


async def test_offer_accept_and_expiry_pass_the_seat_along(client, settings, smtp):
    mail = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port)
    b = await one_seat_event(client, offer_hours=24)
    event_id, (first, second, third) = b["event"]["id"], b["regs"]
    f = b["families"]
    await ok(await client.delete(f"/events/{event_id}/registrations/{first['id']}", headers=f[0]["auth"]))
    assert status(client, second["id"]) == "offered"
    offered_until = rows(client, Registration, Registration.id == second["id"])[0]["offered_until"]
    # the held seat counts: a newcomer is waitlisted, not confirmed
    newcomer = await ok(await client.post(f"/events/{event_id}/registrations", json={"family_id": f[0]["family"]["id"]},
                                          headers=b["admin"]), 201)
    assert newcomer["status"] == "waitlisted"
    in_app(client, sweeps.deliver, mail, dt.datetime.now(UTC))
    offer = next(m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Tiene un lugar reservado"))
    local = offered_until.astimezone(ZoneInfo("America/Chicago"))  # the deadline, in the school's zone
    assert f"a las {local.hour}:{local:%M}:" in text_of(offer).split("reservamos hasta")[1]
    # nobody accepts: a day later the offer passes to the next family (once, however often the sweep runs)
    later = offered_until + dt.timedelta(minutes=1)

    async def twice():
        return await asyncio.gather(sweeps.expired_offers(later), sweeps.expired_offers(later))

    assert sorted(in_app(client, twice)) == [0, 1]
    assert (status(client, second["id"]), status(client, third["id"])) == ("cancelled", "offered")
    late = await client.post(f"/events/{event_id}/registrations/{second['id']}/accept", headers=f[1]["auth"])
    assert late.status_code == 409
    assert in_app(client, sweeps.expired_offers, later) == 0
    # the Arabic family accepts in time
    other = await client.post(f"/events/{event_id}/registrations/{third['id']}/accept", headers=f[1]["auth"])
    assert other.status_code == 403
    accepted = await ok(await client.post(f"/events/{event_id}/registrations/{third['id']}/accept",
                                          headers=f[2]["auth"]))
    assert accepted["status"] == "confirmed"
    kinds = [(r["kind"], r["family"]) for r in rows(client, Outbox) if r["kind"].startswith("waitlist")]
    assert kinds == [("waitlist_offered", f[1]["family"]["id"]), ("waitlist_offered", f[2]["family"]["id"]),
                     ("waitlist_promoted", f[2]["family"]["id"])]


async def test_without_offer_hours_the_seat_is_confirmed_at_once(client):
    b = await one_seat_event(client, offer_hours=0)
    event_id, (first, second, _) = b["event"]["id"], b["regs"]
    await ok(await client.delete(f"/events/{event_id}/registrations/{first['id']}", headers=b["families"][0]["auth"]))
    assert status(client, second["id"]) == "confirmed"
    bad = await client.put("/schools/lincoln/notification-settings", headers=b["admin"],
                           json={"reminder_hours": [0], "waitlist_offer_hours": 1})
    assert bad.status_code == 400
