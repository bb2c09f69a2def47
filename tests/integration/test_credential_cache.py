"""Bearer tokens remembered in memory (PostgreSQL only) and forgotten the moment they are revoked.

``scheduler/core/credential_cache.py``: its invalidation rule is that a
revocation's NOTIFY evicts the entry. These tests change a user behind the
triggers' back (``session_replication_role = replica`` turns triggers off
for one connection) to prove the answer really comes from memory, then
revoke through paths that fire the triggers and wait for the 401 -- far
sooner than the 30 s backstop, so a lost notice fails them.
"""

from __future__ import annotations

import asyncio

import asyncpg

from scheduler.accounts.tables import User
from scheduler.core.auth import hash_api_token
from scheduler.events.tables import Event
from tests.conftest import run_async
from tests.integration.helpers import in_app, make_event, make_school, make_user, ok

WAIT_SECONDS = 5.0  # a notice arrives in milliseconds; the backstop TTL is 30 s


def is_postgres(client) -> bool:
    return client.app.state.settings.database_url.startswith("postgres")


async def until(check, seconds: float = WAIT_SECONDS) -> bool:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


def behind_the_triggers(url: str, sql: str, *args) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    run_async(run())


async def retitle(token_hash: str) -> None:
    await User.update({User.role: "interpreter"}).where(User.token_hash == token_hash).run()


async def forbidden(client, path: str, headers: dict) -> bool:
    return (await client.get(path, headers=headers)).status_code == 403


async def test_a_revoked_token_stops_working_at_once(client):
    admin = await make_user(client)
    await make_school(client, admin)
    staff = await ok(await client.post("/schools/lincoln/users", json={"role": "admin", "name": "Office",
                                                                       "email": "office@example.org"},
                                       headers=admin), 201)
    headers = {"Authorization": f"Bearer {staff['token']}"}
    token_hash = hash_api_token(staff["token"])
    event = await make_event(client, admin)
    admins_only = f"/events/{event['id']}/registrations"  # a school's admins (and families), never its teachers
    await ok(await client.get(admins_only, headers=headers))

    if is_postgres(client):
        cache = client.app.state.credentials
        assert await until(lambda: asyncio.sleep(0, cache.enabled)), "the listener never connected"
        await ok(await client.get(admins_only, headers=headers))  # remembered now
        # the role changes without a notice: the remembered admin is still let in -- the cache is in use
        behind_the_triggers(client.app.state.settings.database_url,
                            "UPDATE app_user SET role = 'teacher' WHERE token_hash = $1", token_hash)
        await ok(await client.get(admins_only, headers=headers))
        # the same change with its notice: forgotten, refused
        in_app(client, retitle, token_hash)
        assert await until(lambda: forbidden(client, admins_only, headers))
        behind_the_triggers(client.app.state.settings.database_url,
                            "UPDATE app_user SET role = 'admin' WHERE token_hash = $1", token_hash)
    else:
        assert getattr(client.app.state, "credentials", None) is None  # SQLite: nothing remembered

    async def revoke() -> None:  # what deactivation does: the stored hash no longer matches the token
        await User.update({User.token_hash: hash_api_token("replaced")}).where(User.token_hash == token_hash).run()

    in_app(client, revoke)

    async def refused() -> bool:
        return (await client.get("/users/me", headers=headers)).status_code == 401

    assert await until(refused)


async def test_a_deleted_user_and_a_deleted_event_are_forgotten(client):
    admin = await make_user(client)
    await make_school(client, admin)
    staff = await ok(await client.post("/schools/lincoln/users", json={"role": "admin", "name": "Office",
                                                                       "email": "office@example.org"},
                                       headers=admin), 201)
    headers = {"Authorization": f"Bearer {staff['token']}"}
    event = await make_event(client, admin)
    if is_postgres(client):
        cache = client.app.state.credentials
        assert await until(lambda: asyncio.sleep(0, cache.enabled))
    # the event's owner is looked up (and, on PostgreSQL, remembered) by its registrations route
    await ok(await client.get(f"/events/{event['id']}/registrations", headers=headers))

    async def delete_event() -> None:
        await Event.delete().where(Event.id == event["id"]).run()

    in_app(client, delete_event)

    async def gone() -> bool:
        return (await client.get(f"/events/{event['id']}/registrations", headers=headers)).status_code == 404

    assert await until(gone)

    async def delete_user() -> None:
        await User.delete().where(User.id == staff["user"]["id"]).run()

    in_app(client, delete_user)

    async def refused() -> bool:
        return (await client.get("/users/me", headers=headers)).status_code == 401

    assert await until(refused)
