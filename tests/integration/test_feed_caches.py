"""Every cache on the hot paths, made to go stale: the next answer must already be the new one.

The school feed, a school's rows and the private feeds are cached in each
server process (``calendars/feed_rows.py``: keyed by the school's
``feed_version``, which database triggers replace on any write, and by the
owner's own rows); API tokens are remembered on PostgreSQL until a
revocation's NOTIFY (``scheduler/core/credential_cache.py``), so a
revoked token is refused once the notice has arrived (milliseconds) and
from then on by every worker. These tests warm the caches
of a real two-worker server, change rows behind its back with plain SQL
(no service code, so no code path can "remember" to invalidate), and
require every following answer, from either worker, to be the new one.
The clock-only expiry is checked in-process with a moved clock.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time

import httpx
import pytest

from calendars import tokens
from scheduler.core.auth import hash_api_token, new_api_token
from tests.conftest import ENGINES, TEST_SECRET, _pg_url, create_pg_database, drop_pg_database, run_async, run_cli
from tests.integration.helpers import BoundDatabase, ServerProcess
from tests.integration.test_feeds_http import FEED, NOW, parse_both, school_with_events, set_rows, text, uid

UTC = dt.timezone.utc
POLLS = 16  # per check: with two workers, both answer some of them


@pytest.fixture(scope="module", params=ENGINES)
def two_workers(request, tmp_path_factory):
    """``family-bridge serve --workers 2`` on a fresh database; yields (server, database URL)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("caches") / "caches.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url, name = f"sqlite:///{path}", None
    else:
        name = create_pg_database()
        url = _pg_url(name)
        assert run_cli(url, "migrate").returncode == 0
    with ServerProcess(url, workers=2, FB_RATE_LIMIT_FEEDS_PER_MINUTE="0") as proc:
        yield proc, url
    if name:
        drop_pg_database(name)


def sql(url: str, statement: str, *args) -> list[dict]:
    """Plain SQL from outside the server (``{}`` placeholders)."""
    from scheduler.core.db import fetch

    async def run() -> list[dict]:
        async with BoundDatabase(url):
            return await fetch(statement, *args)

    return run_async(run())


def seed(url: str, slug: str) -> dict:
    """A school with a room and two published events, two families with API and feed tokens."""
    start = dt.datetime(2030, 5, 6, 23, tzinfo=UTC)
    now = dt.datetime.now(UTC)
    school = sql(url, "INSERT INTO school (name, slug, timezone, languages, created_at, updated_at, reminder_hours, "
                      "waitlist_offer_hours) VALUES ({}, {}, 'America/Chicago', {}, {}, {}, {}, 0) RETURNING id",
                 f"{slug} school", slug, ["en"], now, now, [48])[0]["id"]
    room = sql(url, "INSERT INTO room (school, name, capacity, tags, updated_at) VALUES ({}, 'Library', 30, {}, {}) "
                    "RETURNING id", school, [], now)[0]["id"]
    events = [sql(url, "INSERT INTO event (school, kind, title, description, duration_minutes, earliest_date, "
                       "latest_date, min_capacity, room_tags, audience, interpreter_languages, childcare_children, "
                       "status, starts_at, ends_at, room, seats, sequence, created_at, updated_at) VALUES ({}, "
                       "'workshop', {}, '', 60, {}, {}, 0, {}, {}, {}, 0, 'published', {}, {}, {}, 1, 0, {}, {}) "
                       "RETURNING id", school, f"Workshop {i}", start.date(), start.date(), [], [], [],
                  start + dt.timedelta(days=i), start + dt.timedelta(days=i, hours=1), room, now, now)[0]["id"]
              for i in range(2)]
    out = {"school": school, "room": room, "events": events, "families": []}
    for i in range(2):
        family = sql(url, "INSERT INTO family (school, name, language, email, guardians, created_at, updated_at, "
                          "notification_prefs) VALUES ({}, {}, 'en', 'f@example.org', {}, {}, {}, '{{}}') RETURNING id",
                     school, f"Family {i}", [], now, now)[0]["id"]
        api, feed = new_api_token(), tokens.new_token()
        sql(url, "INSERT INTO app_user (role, name, email, school, family, token_hash, created_at) "
                 "VALUES ('family', 'F', 'f@example.org', {}, {}, {}, {})", school, family, hash_api_token(api), now)
        sql(url, "INSERT INTO feed_token (owner_kind, owner_id, token_hash, created_at) VALUES ('family', {}, {}, {})",
            family, tokens.hash_token(feed, TEST_SECRET), now)
        out["families"].append({"id": family, "api": api, "feed": f"/calendars/private/{feed}.ics"})
    return out


def polls(base: str, path: str, **headers: str) -> list[httpx.Response]:
    with httpx.Client(base_url=base, timeout=30) as client:
        return [client.get(path, headers=headers) for _ in range(POLLS)]


def test_school_feed_cache_follows_any_write_in_every_worker(two_workers):
    server, url = two_workers
    world = seed(url, "cache-school")
    path = "/calendars/schools/cache-school.ics"
    warm = polls(server.url, path)
    assert {r.headers["etag"] for r in warm} == {warm[0].headers["etag"]}
    for statement, args, expected in (
        ("UPDATE event SET title = {} WHERE id = {}", ("Renamed behind its back", world["events"][0]),
         "Renamed behind its back"),
        ("UPDATE room SET name = {} WHERE id = {}", ("Gym", world["room"]), "Gym\\, cache-school school"),
        ("UPDATE school SET name = {} WHERE id = {}", ("Riverside", world["school"]), "X-WR-CALNAME:Riverside"),
        ("DELETE FROM event WHERE id = {}", (world["events"][1],), None),
    ):
        before = polls(server.url, path)[0].headers["etag"]
        sql(url, statement, *args)
        for r in polls(server.url, path, **{"If-None-Match": before}):
            assert r.status_code == 200, statement  # never a 304 for the old copy
            if expected:
                assert expected in text(r.content), statement
            else:
                assert "Workshop 1" not in r.text
        parse_both(r.content)


def test_private_feed_cache_follows_the_familys_rows_in_every_worker(two_workers):
    server, url = two_workers
    world = seed(url, "cache-private")
    first, second = world["families"]
    event = world["events"][0]
    assert all("Waitlist" not in r.text for r in polls(server.url, second["feed"]))
    now = dt.datetime.now(UTC)
    ids = [sql(url, "INSERT INTO registration (event, family, adults, language, status, waitlist_seq, created_at, "
                    "updated_at) VALUES ({}, {}, 1, 'en', 'waitlisted', {}, {}, {}) RETURNING id",
               event, family["id"], seq, now, now)[0]["id"] for seq, family in enumerate((first, second), 1)]
    assert all("Waitlist #2: Workshop 0" in text(r.content) for r in polls(server.url, second["feed"]))
    # another family's row moves this family up: the key holds the waitlist places, not only its own rows
    sql(url, "UPDATE registration SET status = 'cancelled' WHERE id = {}", ids[0])
    assert all("Waitlist #1: Workshop 0" in text(r.content) for r in polls(server.url, second["feed"]))
    sql(url, "UPDATE child SET grade = '4' WHERE family = {}", second["id"])  # no child: nothing may break
    sql(url, "UPDATE event SET title = 'Moved on' WHERE id = {}", event)
    assert all("Waitlist #1: Moved on" in text(r.content) for r in polls(server.url, second["feed"]))


def test_revoked_api_token_is_refused_at_once_in_every_worker(two_workers):
    server, url = two_workers
    family = seed(url, "cache-auth")["families"][0]
    path, auth = f"/families/{family['id']}", {"Authorization": f"Bearer {family['api']}"}
    assert {r.status_code for r in polls(server.url, path, **auth)} == {200}
    sql(url, "DELETE FROM app_user WHERE token_hash = {}", hash_api_token(family["api"]))
    with httpx.Client(base_url=server.url, timeout=30) as client:  # the notice takes milliseconds to arrive
        assert any(client.get(path, headers=auth).status_code == 401 or time.sleep(0.05) for _ in range(100))
    assert {r.status_code for r in polls(server.url, path, **auth)} == {401}


@pytest.fixture
def clock(monkeypatch):
    """The services' clock, movable by the test."""
    from calendars import feed_rows, private_feeds, school_feed
    from scheduler.events import services as events

    now = {"t": NOW}
    for module in (feed_rows, private_feeds, school_feed, events):
        if hasattr(module, "utcnow"):
            monkeypatch.setattr(module, "utcnow", lambda: now["t"])
    return now


async def test_the_clock_alone_ends_a_cached_feed(client, clock):
    """No row changes, so the version stays: the entry's own expiry must drop the event on time."""
    from scheduler.events.tables import Event

    _, _, (before, after, other, _) = await school_with_events(client)
    ended = NOW - dt.timedelta(days=59, hours=23)
    set_rows(client, Event, before["id"], starts_at=ended - dt.timedelta(hours=1), ends_at=ended)
    first = await client.get(FEED)
    assert uid(before["id"]) in parse_both(first.content)[0]
    clock["t"] = NOW + dt.timedelta(hours=2)  # 60 days and an hour after it ended
    later = await client.get(FEED, headers={"If-None-Match": first.headers["etag"]})
    assert later.status_code == 200 and uid(before["id"]) not in parse_both(later.content)[0]
