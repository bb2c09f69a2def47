"""The APScheduler wiring: two interval jobs that never overlap themselves, on an injectable clock."""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.interval import IntervalTrigger

from scheduler.core.settings import Settings
from scheduler.jobs import build_scheduler


def test_two_periodic_jobs_that_never_run_twice_at_once():
    scheduler = build_scheduler(Settings(sweep_seconds=30, send_seconds=5),
                                clock=lambda: dt.datetime(2027, 3, 13, tzinfo=dt.timezone.utc))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"sweeps", "deliver"}
    for job_id, seconds in (("sweeps", 30), ("deliver", 5)):
        job = jobs[job_id]
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == dt.timedelta(seconds=seconds)
        assert (job.max_instances, job.coalesce) == (1, True)
