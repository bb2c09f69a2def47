"""Small builders for integration tests: real rows through the real API."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from typing import Any

from scheduler.core.auth import hash_api_token, new_api_token

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def sign_in(client, token: str) -> str:
    """Sign in with an API token through the form; returns the CSRF token of the page it lands on."""
    answer = await client.post("/signin/token", data={"token": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    page = await client.get(answer.headers["location"])
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def in_app(client, fn, *args):
    """Run database work on the app's own event loop (the test client runs the app in a portal).

    A PostgreSQL pool belongs to the loop that opened it, so direct table
    access from a test must go through the same loop as the app.
    """
    return client.blocking_portal.call(fn, *args)


async def make_user(client, role: str = "admin", school_id: int | None = None) -> dict[str, str]:
    """Insert a user straight into the database (bootstrap only) and return auth headers."""
    from scheduler.accounts.tables import User

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

    from scheduler.events.tables import Event

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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``family-bridge serve`` as a real process on a real database, for tests that need true concurrency."""

    def __init__(self, database_url: str, workers: int = 1, **env: str) -> None:
        self.database_url, self.env, self.workers = database_url, env, workers
        self.url = ""

    def __enter__(self) -> ServerProcess:
        import subprocess
        import sys
        import tempfile
        import time

        import httpx

        from tests.conftest import ROOT, cli_env

        port = free_port()
        self.log = tempfile.NamedTemporaryFile("w+", prefix="fb-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "serve", "--workers", str(self.workers)],
                                     cwd=ROOT,
                                     env=cli_env(self.database_url, FB_PORT=str(port), **self.env),
                                     stdout=self.log, stderr=subprocess.STDOUT, text=True)
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{self.url}/health").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.proc.kill()
        raise RuntimeError(f"server did not start: {self.output()}")

    def output(self) -> str:
        """What the server printed (its log file), for failure messages."""
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def __exit__(self, *exc) -> None:
        import subprocess

        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # never leave a server behind, but say so
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"server ignored SIGTERM for 15 s: {self.output()[-2000:]}")


class BoundDatabase:
    """The tables bound to a database from the test's own event loop (the server runs elsewhere)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def __aenter__(self):
        from scheduler.core.db import bind, engine_from_url, is_postgres
        from scheduler.piccolo_app import APP_CONFIG

        self.engine = engine_from_url(self.database_url)
        bind(self.engine, APP_CONFIG)
        if is_postgres(self.engine):
            await self.engine.start_connection_pool(min_size=1, max_size=4)
        return self.engine

    async def __aexit__(self, *exc) -> None:
        from scheduler.core.db import is_postgres

        if is_postgres(self.engine):
            await self.engine.close_connection_pool()


class ThrowawayDatabase:
    """A new, migrated database of one engine (a SQLite file or a PostgreSQL database), removed afterwards.

    For benchmarks, which must not share rows with anything else. With
    ``template`` (a PostgreSQL database name, or a SQLite file) the new
    database is a copy of that one instead: a load test loads its data once
    and starts every run from the same rows.
    """

    PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

    def __init__(self, engine: str, template: str | None = None) -> None:
        self.engine, self.template, self.name = engine, template, None

    def __enter__(self) -> ThrowawayDatabase:
        import shutil
        import tempfile
        import uuid
        from pathlib import Path

        from tests.conftest import PG_ADMIN_URL, _pg_admin, run_async, run_cli

        self.tmp = Path(tempfile.mkdtemp())
        if self.engine == "sqlite":
            path = self.tmp / "bench.sqlite"
            if self.template is not None:
                shutil.copy(self.template, path)
            self.url = f"sqlite:///{path}"
        else:
            self.name = f"fb_bench_{uuid.uuid4().hex[:8]}"
            copy = f' TEMPLATE "{self.template}"' if self.template else ""
            run_async(_pg_admin(f'CREATE DATABASE "{self.name}"{copy}'))
            self.url = f"{(PG_ADMIN_URL or self.PG_ADMIN).rpartition('/')[0]}/{self.name}"
        if self.template is None:
            migrated = run_cli(self.url, "migrate")
            if migrated.returncode != 0:
                self.__exit__()
                raise RuntimeError(f"migration failed: {migrated.stderr}")
        return self

    def __exit__(self, *exc) -> None:
        import shutil

        from tests.conftest import _pg_admin, run_async

        if self.name:
            run_async(_pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        shutil.rmtree(self.tmp, ignore_errors=True)


class Inbox:
    """Messages the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free port: mail is delivered, never mocked."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
