"""APScheduler wiring: two periodic sweeps, never one job per message.

``sweeps`` queues reminders, change notices and escalations; ``deliver``
sends what is due. Each is an interval job with ``max_instances=1`` and
``coalesce=True``: a slow run is never overlapped by itself and missed runs
collapse into one.

Several processes may carry the jobs (``serve --workers N`` with
FB_JOBS_IN_PROCESS on, a separate ``family-bridge worker``, two servers on one
database). Correctness never depended on there being one: the sweeps are
idempotent and delivery leases rows. But N processes sweeping every minute
is N times the queries for nothing, so on PostgreSQL each run first takes a
session advisory lock named after the job (:func:`run_alone`) and a process
that finds it taken skips that round: at any moment at most one process runs
a given job. SQLite is single-process by design and runs the job directly.
FB_JOBS_IN_PROCESS=0 with a separate worker remains the recommended layout.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.accounts import signin
from scheduler.core.db import is_postgres
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.notifications import sweeps
from scheduler.notifications.tables import Outbox

log = logging.getLogger("family_bridge.jobs")
Clock = Callable[[], dt.datetime]
T = TypeVar("T")


def lock_key(job: str) -> int:
    """The advisory-lock key of a job: a stable signed 64-bit number (PostgreSQL takes a bigint)."""
    digest = hashlib.sha256(f"family-bridge:job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def run_alone(job: str, work: Callable[[], Awaitable[T]], engine: Any = None) -> tuple[bool, T | None]:
    """Run ``work()`` unless another process is running ``job`` right now: (ran, result).

    PostgreSQL: ``pg_try_advisory_lock`` on a *dedicated* connection, held
    for the whole run and released after it. Dedicated, not from the pool,
    because the lock belongs to the session that took it and the work itself
    needs pool connections (with a pool of one, holding it would starve the
    work). If the process dies mid-run its connection closes and PostgreSQL
    drops the lock, so a crash never blocks the job elsewhere. The lock is
    *try*: a busy job is skipped for this round, not queued behind.
    """

    engine = engine if engine is not None else Outbox._meta.db
    if not is_postgres(engine):
        return True, await work()
    conn = await engine.get_new_connection()
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(job)):
            log.info("job %s: running in another process; this round skipped", job)
            return False, None
        try:
            return True, await work()
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key(job))
    finally:
        await conn.close()


def build_scheduler(settings: Settings, clock: Clock = utcnow) -> AsyncIOScheduler:
    """A scheduler (not started) with the sweep and delivery jobs; ``clock`` lets tests move time."""

    async def sweep_job() -> None:
        try:
            await run_alone("sweeps", lambda: sweeps.run_sweeps(settings, clock()))
            await run_alone("sign-in sweep", lambda: signin.sweep_expired(clock()))  # used links, old sessions
        except Exception:  # keep the schedule alive; the type is enough (no data in logs)
            log.exception("sweeps failed")

    async def deliver_job() -> None:
        # one sender at a time across processes: the leases would keep several correct, but each
        # would open its own SMTP connection every few seconds for the same few messages
        try:
            await run_alone("deliver", lambda: sweeps.deliver(settings, clock()))
        except Exception:
            log.exception("delivery failed")

    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    scheduler = AsyncIOScheduler(timezone=dt.timezone.utc)
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(sweep_job, "interval", seconds=settings.sweep_seconds, id="sweeps", **common)
    scheduler.add_job(deliver_job, "interval", seconds=settings.send_seconds, id="deliver", **common)
    return scheduler


async def run_worker(settings: Settings, once: bool = False, clock: Clock = utcnow) -> int:
    """The ``family-bridge worker`` body: sweeps and delivery until SIGTERM/SIGINT (or one round)."""
    if once:
        counts, report = await sweeps.run_once(settings, clock())
        print(f"queued {sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in counts.items())}); "
              f"sent {report.sent}, retried {report.retried}, failed {report.failed}, skipped {report.skipped}",
              flush=True)
        return 0
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler = build_scheduler(settings, clock)
    scheduler.start()
    for job in scheduler.get_jobs():  # first round now rather than one interval after start
        job.modify(next_run_time=dt.datetime.now(dt.timezone.utc))
    print(f"worker running: sweeps every {settings.sweep_seconds} s, delivery every {settings.send_seconds} s",
          flush=True)
    await stop.wait()
    scheduler.shutdown(wait=False)
    return 0
