"""Fixtures: a real, migrated database per test, on SQLite and on PostgreSQL.

The suite runs on SQLite always and on PostgreSQL too when
TEST_DATABASE_URL points at a server (``.ci/run`` sets it and fails if
PostgreSQL is absent). Migrations are applied by the real CLI once per
session; each test then gets a fresh copy (SQLite file) or emptied tables
(PostgreSQL), so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgres"] if PG_ADMIN_URL else [])
TEST_SECRET = "test-secret-key-of-enough-length"


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FB_")}
    env.update({"DATABASE_URL": database_url, "FB_SECRET_KEY": TEST_SECRET, "PICCOLO_CONF": "scheduler.piccolo_conf"})
    env.update(extra)
    return env


def run_cli(database_url: str, *args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *args], cwd=ROOT, env=cli_env(database_url, **extra),
                          capture_output=True, text=True, timeout=timeout)


def run_async(coro):
    """``asyncio.run`` that also works where an event loop is already running in this thread.

    Playwright's sync API keeps a loop running in the main thread for as long as the
    session's browser lives, so a synchronous test that pytest-xdist schedules after a
    browser test on the same worker would otherwise fail; the coroutine then runs in
    a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    name = f"fb_test_{uuid.uuid4().hex[:10]}"
    run_async(_pg_admin(f'CREATE DATABASE "{name}"'))
    return name


def drop_pg_database(name: str) -> None:
    run_async(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    result = run_cli(f"sqlite:///{path}", "migrate")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="session")
def pg_template() -> str:
    """A migrated PostgreSQL database shared by the session; tables are emptied per test."""
    name = create_pg_database()
    result = run_cli(_pg_url(name), "migrate")
    assert result.returncode == 0, result.stderr
    yield _pg_url(name)
    drop_pg_database(name)


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'migration'")]
        await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> str:
    """A clean, migrated database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "fb.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_template")
    run_async(_truncate(url))
    return url


@pytest.fixture(params=ENGINES)
def empty_database(request, tmp_path):
    """A database of each engine with no tables at all (the state before the first ``migrate``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = create_pg_database()
    yield _pg_url(name)
    drop_pg_database(name)


@pytest.fixture
def settings(database_url, tmp_path):
    from scheduler.core.settings import Settings

    return Settings(database_url=database_url, secret_key=TEST_SECRET, host="127.0.0.1", port=8000)


@pytest.fixture
async def client(settings):
    from litestar.testing import AsyncTestClient

    from scheduler.app import create_app

    async with AsyncTestClient(app=create_app(settings)) as c:
        yield c


def pytest_configure(config) -> None:
    if os.environ.get("FB_REQUIRE_POSTGRES") and not PG_ADMIN_URL:
        raise pytest.UsageError("FB_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not: PostgreSQL tests cannot run")


def _engine_counts(terminalreporter) -> dict[str, int]:
    counts = {engine: 0 for engine in ("sqlite", "postgres")}
    for report in terminalreporter.stats.get("passed", []):
        for engine in counts:
            if f"[{engine}" in report.nodeid or f"-{engine}]" in report.nodeid or f"-{engine}-" in report.nodeid:
                counts[engine] += 1
    return counts


def _browser_passes(terminalreporter) -> int:
    return sum(1 for r in terminalreporter.stats.get("passed", []) if r.nodeid.startswith("tests/e2e/"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    counts = _engine_counts(terminalreporter)
    terminalreporter.write_line(
        f"database engines: {counts['sqlite']} tests passed on sqlite, {counts['postgres']} on postgres; "
        f"{_browser_passes(terminalreporter)} browser tests passed in Chromium")


def pytest_sessionfinish(session, exitstatus) -> None:
    """CI must not go green without the PostgreSQL half of the suite."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("FB_REQUIRE_POSTGRES") and reporter is not None and not session.config.option.collectonly:
        if _engine_counts(reporter)["postgres"] == 0 and exitstatus == 0:
            session.exitstatus = 1
    # nor without the browser tests (FB_REQUIRE_BROWSER): a missing Chromium must fail, not skip
    if os.environ.get("FB_REQUIRE_BROWSER") and reporter is not None and not session.config.option.collectonly:
        if _browser_passes(reporter) == 0 and exitstatus == 0:
            session.exitstatus = 1
