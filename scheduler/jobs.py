"""APScheduler wiring: two periodic sweeps, never one job per message.

``sweeps`` queues reminders, change notices and escalations; ``deliver``
sends what is due. Each is an interval job with ``max_instances=1`` and
``coalesce=True``: a slow run is never overlapped by itself and missed runs
collapse into one. Running the same jobs in several processes (uvicorn
workers, a separate ``family-bridge worker``) is safe because the sweeps
are idempotent and delivery leases rows -- just wasteful, hence
FB_JOBS_IN_PROCESS=0 when a worker runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler import signin
from scheduler.notifications import sweeps
from scheduler.settings import Settings
from scheduler.timeutil import utcnow

log = logging.getLogger("family_bridge.jobs")
Clock = Callable[[], dt.datetime]


def build_scheduler(settings: Settings, clock: Clock = utcnow) -> AsyncIOScheduler:
    """A scheduler (not started) with the sweep and delivery jobs; ``clock`` lets tests move time."""

    async def sweep_job() -> None:
        try:
            await sweeps.run_sweeps(settings, clock())
            await signin.sweep_expired(clock())  # used-up sign-in links and old browser sessions
        except Exception:  # keep the schedule alive; the type is enough (no data in logs)
            log.exception("sweeps failed")

    async def deliver_job() -> None:
        try:
            await sweeps.deliver(settings, clock())
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
