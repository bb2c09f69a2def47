"""Small builders for integration tests: real rows through the real API."""

from __future__ import annotations

from typing import Any

from scheduler.auth import hash_api_token, new_api_token


def in_app(client, fn, *args):
    """Run database work on the app's own event loop (the test client runs the app in a portal).

    A PostgreSQL pool belongs to the loop that opened it, so direct table
    access from a test must go through the same loop as the app.
    """
    return client.blocking_portal.call(fn, *args)


async def make_user(client, role: str = "admin", school_id: int | None = None) -> dict[str, str]:
    """Insert a user straight into the database (bootstrap only) and return auth headers."""
    from scheduler.tables import User

    token = new_api_token()

    async def insert() -> None:
        await User.insert(User(role=role, name=f"test {role}", email=f"{role}@example.org", school=school_id,
                               token_hash=hash_api_token(token))).run()

    in_app(client, insert)
    return {"Authorization": f"Bearer {token}"}


async def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def make_school(client, admin: dict[str, str], slug: str = "lincoln", tz: str = "America/Chicago") -> dict:
    r = await client.post("/schools", json={"name": f"{slug.title()} Elementary", "slug": slug, "timezone": tz,
                                            "languages": ["en", "es"]}, headers=admin)
    return await ok(r, 201)


async def make_family(client, admin, slug: str = "lincoln", language: str = "es") -> dict:
    r = await client.post(f"/schools/{slug}/families", json={
        "name": "García family", "language": language, "email": "garcia@example.org", "guardians": ["Ana García"]},
        headers=admin)
    return await ok(r, 201)


async def family_user(client, admin, family_id: int, slug: str = "lincoln") -> dict[str, str]:
    r = await client.post(f"/schools/{slug}/users", json={"role": "family", "name": "Ana", "email": "ana@example.org",
                                                          "family_id": family_id}, headers=admin)
    body = await ok(r, 201)
    return {"Authorization": f"Bearer {body['token']}"}


async def make_event(client, admin, slug: str = "lincoln", title: str = "Math Night", **fields) -> dict:
    body = {"title": title, "kind": "workshop", "duration_minutes": 90, "earliest_date": "2027-03-01",
            "latest_date": "2027-03-12", **fields}
    return await ok(await client.post(f"/schools/{slug}/events", json=body, headers=admin), 201)


def publish(client, event_id: int, start_utc: str = "2027-03-03T00:00:00+00:00", minutes: int = 90,
            seats: int = 10, room_id: int | None = None, childcare_id: int | None = None) -> None:
    """Mark an event published at a start (bookings tests do not depend on the planner)."""
    import datetime as dt

    from scheduler.tables import Event

    start = dt.datetime.fromisoformat(start_utc)

    async def update() -> None:
        await Event.update({Event.status: "published", Event.starts_at: start,
                            Event.ends_at: start + dt.timedelta(minutes=minutes), Event.seats: seats,
                            Event.room: room_id, Event.childcare: childcare_id}).where(Event.id == event_id).run()

    in_app(client, update)


def rows(client, table, *where) -> list[dict]:
    async def select():
        query = table.select()
        for w in where:
            query = query.where(w)
        return await query.run()

    return in_app(client, select)
