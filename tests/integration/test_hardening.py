"""scheduler/http/middleware.py: headers, request ids, log lines without personal data, body and rate limits, /ready."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import re
import shutil
import socket
import time

import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from scheduler.app import create_app
from scheduler.core.settings import Settings
from scheduler.http.logs import JsonFormatter, RequestIdFilter
from scheduler.http.middleware import CONTENT_SECURITY_POLICY, RATE_LIMITED_PREFIXES, TokenBuckets, redact_path
from tests.conftest import TEST_SECRET, run_async, run_cli
from tests.integration.helpers import (
    BoundDatabase,
    ServerProcess,
    family_user,
    in_app,
    make_family,
    make_school,
    make_user,
    ok,
    rows,
)

BOGUS_TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"


@pytest.fixture
def json_log():
    """The ``family_bridge`` loggers' records as the JSON lines production writes (FB_LOG_FORMAT=json)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("family_bridge")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    lines.text = buffer.getvalue  # type: ignore[attr-defined]
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def app_client(settings: Settings, **changes) -> AsyncTestClient:
    return AsyncTestClient(app=create_app(dataclasses.replace(settings, **changes)))


# ---------------------------------------------------------------- headers


def assert_security_headers(response, csp: bool = True) -> None:
    h = response.headers
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    assert "camera=()" in h["permissions-policy"]
    assert (h.get("content-security-policy") == CONTENT_SECURITY_POLICY) is csp
    assert h["x-request-id"]


async def test_security_headers_on_every_kind_of_response(client):
    admin = await make_user(client)
    await make_school(client, admin)
    responses = [
        await client.get("/health"),
        await client.get("/no/such/page"),  # 404 from the router: no route middleware would see it
        await client.delete("/health"),  # 405
        await client.get("/schools/lincoln/families"),  # 401
        await client.post("/schools", json={"name": ""}, headers=admin),  # 4xx from validation
        await client.get("/calendars/schools/lincoln.ics"),  # a feed
        await client.get(f"/calendars/private/{BOGUS_TOKEN}.ics"),  # a dead private link
        await client.get("/schema/openapi.json"),
    ]
    assert [r.status_code for r in responses][:4] == [200, 404, 405, 401]
    for r in responses:
        assert_security_headers(r)
        assert "strict-transport-security" not in r.headers  # FB_BASE_URL is not https here
    # the OpenAPI viewer loads its scripts from a CDN: no CSP there, every other header still
    assert_security_headers(await client.get("/schema"), csp=False)


async def test_hsts_only_when_the_public_address_is_https(settings):
    async with app_client(settings, base_url="https://events.school.example") as c:
        r = await c.get("/health")
        assert r.headers["strict-transport-security"] == "max-age=31536000"
    async with app_client(settings, base_url="http://localhost:8000") as c:
        assert "strict-transport-security" not in (await c.get("/health")).headers


# ---------------------------------------------------------------- request ids


async def test_request_id_is_echoed_or_made_and_is_in_every_log_line(client, json_log):
    sane = "req-2027.03.01_abc:42"
    r = await client.get("/schools/lincoln/families", headers={"X-Request-ID": sane})
    assert r.headers["x-request-id"] == sane
    for bad in ("a" * 200, "two words", "<script>", "ünïcode".encode("latin-1"), ""):
        made = (await client.get("/health", headers={"X-Request-ID": bad})).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), bad
    ids = {(await client.get("/no/such/page")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    logged = json_log()
    access = {line["request_id"]: line for line in logged if line["logger"] == "family_bridge.access"}
    assert access[sane]["status"] == 401 and access[sane]["route"] == "/schools/{slug}/families"
    assert ids <= set(access)
    assert all(line["request_id"] for line in logged)  # every line logged inside a request carries one
    assert {"time", "level", "logger", "message", "request_id", "method", "path", "route", "status",
            "duration_ms"} <= set(access[sane])


# ---------------------------------------------------------------- logs without personal data


async def test_log_lines_carry_no_tokens_addresses_or_names(client, json_log):
    admin = await make_user(client)
    await make_school(client, admin)
    fam = await make_family(client, admin)  # "García family", garcia@example.org, guardian Ana García
    me = await family_user(client, admin, fam["id"])
    link = await ok(await client.post(f"/families/{fam['id']}/feed-token", headers=me), 201)
    token = link["token"]
    assert (await client.get(f"/calendars/private/{token}.ics?email=garcia@example.org")).status_code == 200
    assert (await client.get(f"/calendars/private/{token}.ics", headers={"If-None-Match": "x"})).status_code == 200
    await client.get(f"/preferences/{fam['id']}.not-a-signature")
    await client.get("/families/garcia@example.org")
    await client.post("/schools/lincoln/families", json={"name": "Ana García", "email": "not an address"},
                      headers=admin)
    text = json_log.text()
    lines = json_log()
    assert len(lines) >= 7
    for needle in (token, "example.org", "García", "Ana", "not-a-signature", "?"):
        assert needle not in text, needle
    feed = [line for line in lines if line.get("route") == "/calendars/private/{name}"]
    assert feed and {line["path"] for line in feed} == {"/calendars/private/<redacted>.ics"}


def test_logging_never_waits_for_a_reader_that_stopped_reading():
    """A pipe nobody drains fills after ~64 KB; the request path must not block on it."""
    import os
    import threading

    from scheduler.http.logs import BackgroundHandler

    read_end, write_end = os.pipe()
    handler = BackgroundHandler(stream=os.fdopen(write_end, "w"), capacity=100)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("family_bridge.test_background")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        started = time.monotonic()
        for i in range(5_000):  # ~1 MB of lines, far beyond the pipe's buffer
            logger.warning("line %d with some padding to fill the pipe %s", i, "x" * 100)
        assert time.monotonic() - started < 5
        assert handler.dropped > 0  # the surplus was dropped, not queued without bound
    finally:
        logger.removeHandler(handler)
        drain = threading.Thread(target=lambda: [None for _ in iter(lambda: os.read(read_end, 65536), b"")],
                                 daemon=True)
        drain.start()
        handler.close()
        os.close(read_end)


def test_redact_path():
    assert redact_path(f"/calendars/private/{BOGUS_TOKEN}.ics") == "/calendars/private/<redacted>.ics"
    assert redact_path("/calendars/teachers/whatever.ics") == "/calendars/teachers/<redacted>.ics"
    assert redact_path("/preferences/12.aBcD") == "/preferences/<redacted>"
    assert redact_path("/signin/anything/confirm") == "/signin/<redacted>/confirm"
    assert redact_path("/families/ana%40example.org") == "/families/<redacted>"
    assert redact_path(f"/unknown/{BOGUS_TOKEN}/x") == "/unknown/<redacted>/x"  # a route added later
    assert redact_path("/schools/lincoln-elementary-school-east/events") == \
        "/schools/lincoln-elementary-school-east/events"  # slugs are not tokens
    assert redact_path("/events/42/registrations") == "/events/42/registrations"


# ---------------------------------------------------------------- no stack traces


async def test_an_unhandled_error_is_the_json_shape_and_its_log_has_the_type_only(settings, json_log):
    @get("/test-only/boom")
    async def boom() -> None:
        raise RuntimeError("could not write ana@example.org")

    app = create_app(settings)
    app.register(boom)
    async with AsyncTestClient(app=app) as c:
        r = await c.get("/test-only/boom")
    assert r.status_code == 500
    assert r.json() == {"status_code": 500, "detail": "internal error", "errors": []}
    assert "Traceback" not in r.text and "ana@" not in r.text
    assert_security_headers(r)
    error = next(line for line in json_log() if line["level"] == "error")
    assert error["exc_type"] == "RuntimeError" and any("test_hardening.py" in frame for frame in error["stack"])
    assert error["request_id"] == r.headers["x-request-id"]
    assert "ana@example.org" not in json_log.text()


# ---------------------------------------------------------------- body size


@pytest.fixture
def sqlite_server(sqlite_template, tmp_path):
    """A real ``serve`` process (uvicorn parses the HTTP), with a district admin whose token is known."""
    from scheduler.accounts.tables import User
    from scheduler.core.auth import hash_api_token, new_api_token

    path = tmp_path / "server.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    token = new_api_token()

    async def insert() -> None:
        async with BoundDatabase(url):
            await User.insert(User(role="admin", name="limits", email="limits@example.org", school=None,
                                   token_hash=hash_api_token(token))).run()

    run_async(insert())
    with ServerProcess(url, FB_JOBS_IN_PROCESS="0") as server:
        server.admin_token = token
        yield server


def _raw_request(url: str, head: str, body: bytes, timeout: float = 20) -> tuple[int, dict, float]:
    """Send the head and part of a body on a socket; read the answer without sending the rest."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(head.encode() + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
                re.search(rb"content-length: (\d+)", data.lower()).group(1)):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    elapsed = time.monotonic() - started
    head_bytes, _, payload = data.partition(b"\r\n\r\n")
    status = int(head_bytes.split(b" ", 2)[1])
    return status, json.loads(payload), elapsed


def test_a_50_mb_upload_is_refused_at_once_by_its_declared_length(sqlite_server):
    fifty_mb = 50 * 1024 * 1024
    head = (f"PUT /families/1/busy.ics HTTP/1.1\r\nHost: test\r\nContent-Type: text/calendar\r\n"
            f"Authorization: Bearer whoever\r\nContent-Length: {fifty_mb}\r\n\r\n")
    status, body, elapsed = _raw_request(sqlite_server.url, head, b"BEGIN:VCALENDAR\r\n" + b"x" * 65_536)
    assert status == 413, body
    assert body["status_code"] == 413 and body["errors"][0]["field"] == "body"
    assert f"{fifty_mb} bytes" in body["detail"] and "5000000" in body["detail"]
    assert elapsed < 5, f"took {elapsed:.1f} s: the body was read"  # 64 KB of 50 MB was ever sent


def test_a_chunked_body_is_cut_off_at_the_limit(sqlite_server):
    """No Content-Length: the body is counted as it streams, and refused once past the limit.

    The final chunk is never sent, so a server that waited for the whole body would never answer.
    """
    limit = Settings().max_body_bytes
    head = (f"POST /schools HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {sqlite_server.admin_token}\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"x" * 65_536
    chunks = b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for _ in range(limit // len(piece) + 4))
    opening = b'{"name": "'
    status, body, _ = _raw_request(sqlite_server.url, head, f"{len(opening):x}\r\n".encode() + opening + b"\r\n"
                                   + chunks)
    assert status == 413, body
    assert body["status_code"] == 413 and body["errors"][0]["field"] == "body"


# ---------------------------------------------------------------- rate limits


async def test_token_routes_answer_429_after_the_limit(settings):
    async with app_client(settings, rate_limit_feeds_per_minute=3, rate_limit_signin_per_minute=2) as c:
        feed = f"/calendars/private/{BOGUS_TOKEN}.ics"
        assert [(await c.get(feed)).status_code for _ in range(3)] == [404, 404, 404]
        limited = await c.get(feed)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 20
        body = limited.json()
        assert body["status_code"] == 429 and body["errors"] == [] and "try again" in body["detail"]
        assert_security_headers(limited)
        assert (await c.get("/calendars/teachers/whatever.ics")).status_code == 429  # same group
        # other groups and unlimited routes keep their own budgets
        assert [(await c.get("/preferences/1.x")).status_code for _ in range(3)][-1] == 429
        assert (await c.get("/calendars/schools/lincoln.ics")).status_code == 404  # public feed: no limit
        assert (await c.get("/health")).status_code == 200
    async with app_client(settings, rate_limit_feeds_per_minute=0) as c:  # 0 switches the limit off
        assert {(await c.get(f"/calendars/private/{BOGUS_TOKEN}.ics")).status_code for _ in range(30)} == {404}


async def test_token_buckets_refill_keep_clients_apart_and_are_shared(client):
    """Two bucket sets (two server processes) on one database spend one budget."""
    from scheduler.http.tables import RateLimitBucket

    now = [1_000_000.0]
    one, other = (TokenBuckets(6, clock=lambda: now[0], sweep_every=3) for _ in range(2))  # 6 a minute: 1 per 10 s

    async def takes(buckets: TokenBuckets, key: str, n: int) -> list[float]:
        return [await buckets.take(key) for _ in range(n)]

    assert in_app(client, takes, one, "feeds 10.0.0.1", 3) + in_app(client, takes, other, "feeds 10.0.0.1", 3) \
        == [0.0] * 6
    assert in_app(client, takes, one, "feeds 10.0.0.1", 1)[0] == pytest.approx(10.0)
    assert in_app(client, takes, other, "feeds 10.0.0.1", 1)[0] == pytest.approx(10.0)  # refused: not taken
    assert in_app(client, takes, other, "feeds 10.0.0.2", 1) == [0.0]  # another address has its own budget
    now[0] += 10.0
    assert in_app(client, takes, other, "feeds 10.0.0.1", 2)[0] == 0.0
    now[0] += 7200.0  # an idle hour: the next sweep forgets both (full) buckets
    in_app(client, takes, one, "feeds 10.0.0.3", 2)
    assert {r["key"] for r in rows(client, RateLimitBucket)} == {"feeds 10.0.0.3"}


def test_two_workers_spend_one_budget(sqlite_template, tmp_path):
    """``serve --workers 2``: a client gets the limit, not twice it (the buckets are in the database)."""
    import httpx

    path = tmp_path / "limits.sqlite"
    shutil.copy(sqlite_template, path)
    with ServerProcess(f"sqlite:///{path}", workers=2, FB_JOBS_IN_PROCESS="0",
                       FB_RATE_LIMIT_FEEDS_PER_MINUTE="10") as server:
        # a new connection each time: both workers answer some
        codes = [httpx.get(f"{server.url}/calendars/private/{BOGUS_TOKEN}.ics").status_code for _ in range(24)]
    assert codes.count(404) == 10 and codes.count(429) == 14, codes


def test_ipv6_clients_share_a_budget_per_64():
    from scheduler.http.middleware import client_key

    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("203.0.113.7") == "203.0.113.7"


def test_signin_paths_are_rate_limited_for_the_web_pages():
    from scheduler.http.middleware import rate_limit_group

    assert "/signin" in RATE_LIMITED_PREFIXES["signin"]
    assert rate_limit_group("/signin/request") == rate_limit_group("/signin") == "signin"
    assert rate_limit_group("/schools/lincoln") is None


# ---------------------------------------------------------------- readiness


async def test_ready_on_a_migrated_database(client):
    r = await client.get("/ready")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
    assert r.headers["cache-control"] == "no-store"


async def test_ready_is_503_until_the_database_is_migrated(empty_database):
    settings = Settings(database_url=empty_database, secret_key=TEST_SECRET)
    async with AsyncTestClient(app=create_app(settings)) as c:
        r = await c.get("/ready")
        assert r.status_code == 503
        body = r.json()
        assert body["status_code"] == 503 and "family-bridge migrate" in body["detail"]
        assert body["errors"][0]["field"] == "database"
        assert (await c.get("/health")).status_code == 200  # liveness does not depend on the database
        migrated = await asyncio.to_thread(run_cli, empty_database, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert (await c.get("/ready")).status_code == 200  # the same process turns ready
