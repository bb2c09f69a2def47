"""Several processes on one PostgreSQL: each job round runs in one of them at a time (scheduler/jobs.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import textwrap
import time

import pytest

from scheduler import jobs
from scheduler.core.settings import Settings
from tests.conftest import PG_ADMIN_URL, ROOT, TEST_SECRET, run_async
from tests.integration.helpers import BoundDatabase


async def test_two_schedulers_run_one_sweep(database_url, monkeypatch):
    """Two schedulers (as in two processes) fire the sweep at the same moment: PostgreSQL runs it once.

    On SQLite (a single process by design) there is no lock and both run.
    """
    from scheduler.notifications import sweeps

    runs: list[int] = []
    release = asyncio.Event()

    async def held_sweep(settings, now):
        runs.append(1)
        await release.wait()  # the round lasts until the test has seen what the other scheduler did
        return {}

    monkeypatch.setattr(sweeps, "run_sweeps", held_sweep)
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET)
    clock = lambda: dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc)  # noqa: E731
    first, second = jobs.build_scheduler(settings, clock), jobs.build_scheduler(settings, clock)
    async with BoundDatabase(database_url) as engine:
        postgres = engine.engine_type == "postgres"
        rounds = [asyncio.create_task(s.get_job("sweeps").func()) for s in (first, second)]
        done, _ = await asyncio.wait(rounds, timeout=30 if postgres else 1, return_when=asyncio.FIRST_COMPLETED)
        if postgres:  # one round is running, the other gave up at once instead of sweeping too
            assert len(done) == 1 and runs == [1]
        else:  # SQLite: no lock, both run
            assert not done and runs == [1, 1]
        release.set()
        await asyncio.gather(*rounds)
        await second.get_job("sweeps").func()  # the lock was released after the round
        assert len(runs) == (2 if postgres else 3)


HOLDER = textwrap.dedent("""
    import asyncio, sys
    from scheduler import jobs
    from tests.integration.helpers import BoundDatabase

    async def forever():
        print("running", flush=True)
        await asyncio.sleep(300)

    async def main():
        async with BoundDatabase(sys.argv[1]):
            ran, _ = await jobs.run_alone("sweeps", forever)
            print("skipped" if not ran else "done", flush=True)

    asyncio.run(main())
""")


@pytest.mark.skipif(not PG_ADMIN_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
@pytest.mark.parametrize("engine", ["postgres"])
def test_a_job_running_in_another_process_is_skipped_until_that_process_dies(engine, pg_template):
    """The lock lives in PostgreSQL, so it holds across processes; a killed holder frees it at once."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, pg_template], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    calls: list[str] = []

    async def work() -> str:
        calls.append("ran")
        return "swept"

    async def attempt() -> tuple[bool, str | None]:
        async with BoundDatabase(pg_template):
            return await jobs.run_alone("sweeps", work)

    try:
        assert holder.stdout.readline().strip() == "running"
        assert run_async(attempt()) == (False, None)
        assert calls == []
        assert run_async(attempt_other(pg_template)) is True  # another job's lock is independent
        holder.kill()
        holder.wait()
        outcome = (False, None)
        for _ in range(50):  # the server ends the dead session as soon as it sees the socket close
            outcome = run_async(attempt())
            if outcome[0]:
                break
            time.sleep(0.1)
        assert outcome == (True, "swept") and calls == ["ran"]
    finally:
        holder.kill()
        holder.wait()


async def attempt_other(database_url: str) -> bool:
    async def nothing() -> None:
        return None

    async with BoundDatabase(database_url):
        ran, _ = await jobs.run_alone("deliver", nothing)
    return ran


def test_lock_keys_are_stable_and_distinct():
    assert jobs.lock_key("sweeps") == jobs.lock_key("sweeps")
    assert jobs.lock_key("sweeps") != jobs.lock_key("deliver")
    assert -2**63 <= jobs.lock_key("sweeps") < 2**63  # a PostgreSQL bigint
