"""Benchmark: the school feed of 2,000 published events, in-process and over HTTP, on PostgreSQL.

Run:  .venv/bin/python tests/bench/feeds.py [--events 2000] [--seconds 10] [--clients 16]
      [--servers uvicorn,granian] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

What it does, and why each figure:

1. Creates a throwaway PostgreSQL database, migrates it with the real CLI
   (``python -m scheduler.cli migrate``) and inserts one school with
   ``--events`` published events (a dense school year).
2. In-process: the pure builder (``feeds.build_feed``) on FeedEvents made
   from those rows, cold (VEVENT cache cleared before each run: first build
   after a start or after every row changed) and warm (rows unchanged: what
   every poll costs); then the whole use case ``services.school_feed``
   (queries + FeedEvents + build), warm.
3. Starts the real server (``family-bridge serve``: uvicorn, 1 worker; with
   ``--servers uvicorn,granian`` also granian, 1 worker, after
   ``pip install granian``) and drives it with ``--clients`` concurrent keep-alive httpx clients for
   ``--seconds`` each: ``GET /health`` (a plain JSON Litestar route: the
   framework's ceiling on this machine), the full feed, and the feed with a
   matching ``If-None-Match`` (304). A 304 runs two small aggregate queries
   (the rows' fingerprint) and answers from the validators last built for
   that fingerprint, without reading the 2,000 rows or building the body.

The load generator runs on the same machine as the server (2 shared cores on
CI), so absolute rates are lower than on a dedicated box; the ratios are
the point. Drops the database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-key-of-enough-length"


def _url(admin_url: str, name: str) -> str:
    return admin_url.rpartition("/")[0] + "/" + name


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FB_")}
    env.update({"DATABASE_URL": database_url, "FB_SECRET_KEY": SECRET, "PICCOLO_CONF": "scheduler.piccolo_conf"})
    return env | extra


async def _fill(database_url: str, events: int) -> None:
    """Raw SQL with explicit columns, so the benchmark does not depend on unrelated newer columns."""
    conn = await asyncpg.connect(database_url)
    try:
        now = dt.datetime.now(dt.timezone.utc)
        school = await conn.fetchval(
            "INSERT INTO school (name, slug, timezone, languages, created_at, updated_at) "
            "VALUES ('Lincoln Elementary', 'lincoln', 'America/Chicago', ARRAY['en','es','vi'], $1, $1) RETURNING id",
            now)
        rooms = [await conn.fetchval("INSERT INTO room (school, name, capacity, tags, updated_at) "
                                     "VALUES ($1, $2, 40, ARRAY[]::varchar[], $3) RETURNING id", school, f"Room {i}", now)
                 for i in range(20)]
        start = now.replace(hour=23, minute=0, second=0, microsecond=0)
        await conn.executemany(
            "INSERT INTO event (school, kind, title, description, duration_minutes, earliest_date, latest_date, "
            "min_capacity, room_tags, audience, interpreter_languages, childcare_children, status, starts_at, "
            "ends_at, room, sequence, created_at, updated_at) VALUES ($1, $2, $3, $4, 90, $5, $6, 0, "
            "ARRAY[]::varchar[], $7, $8, $9, 'published', $10, $11, $12, $13, $14, $14)",
            [(school, "workshop" if i % 3 else "cultural", f"Family Workshop {i}",
              "Games and puzzles to play at home with your child.", start.date(),
              start.date() + dt.timedelta(days=400), [f"grade-{i % 6}"] if i % 2 else [],
              ["es", "vi"] if i % 2 else [], 10 * (i % 2), start + dt.timedelta(hours=4 * i),
              start + dt.timedelta(hours=4 * i, minutes=90), rooms[i % len(rooms)], i % 3, now)
             for i in range(events)])
    finally:
        await conn.close()


def _timed(fn, runs: int, before=None) -> list[float]:
    out = []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def _in_process(database_url: str, runs: int) -> dict[str, float]:
    """Milliseconds: pure builder cold/warm, and the whole use case warm (pool of 1..10 like the app)."""
    from calendars import feeds, services
    from resources.tables import School
    from scheduler.core.db import bind, engine_from_url
    from scheduler.core.settings import Settings
    from scheduler.core.timeutil import utcnow
    from scheduler.events.tables import Event

    settings = Settings(database_url=database_url, secret_key=SECRET)
    engine = engine_from_url(database_url)
    bind(engine)
    await engine.start_connection_pool(min_size=1, max_size=10)
    try:
        school = await services._school(School.slug == "lincoln")
        now = utcnow()
        rows = await services._event_rows(Event.school == school["id"], now)
        domain = services.uid_domain(settings)
        events = [services.feed_event(r, school, domain) for r in rows]
        spec = feeds.FeedSpec("Lincoln Elementary", school["timezone"], "en", 60, now)
        cold = _timed(lambda: feeds.build_feed(events, spec), runs, feeds.vevent_bytes.cache_clear)
        warm = _timed(lambda: feeds.build_feed(events, spec), runs)
        size = len(feeds.build_feed(events, spec))
        use_case = []
        for _ in range(runs):
            t0 = time.perf_counter()
            await services.school_feed(settings, "lincoln")
            use_case.append((time.perf_counter() - t0) * 1000)
    finally:
        await engine.close_connection_pool()
    return {"events": len(events), "bytes": size, "cold": statistics.median(cold), "warm": statistics.median(warm),
            "use_case": statistics.median(use_case)}


async def _load(url: str, headers: dict[str, str], clients: int, seconds: float) -> tuple[float, int, float]:
    """(requests/s, status seen, median latency ms) with ``clients`` concurrent keep-alive clients."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    statuses: set[int] = set()

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = await client.get(url, headers=headers)
                latencies.append(time.perf_counter() - t0)
                statuses.add(r.status_code)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    assert len(statuses) == 1, statuses
    return len(latencies) / elapsed, statuses.pop(), statistics.median(latencies) * 1000


def _start(server: str, database_url: str) -> tuple[subprocess.Popen, str]:
    """The real app under ``server``: ``family-bridge serve`` (uvicorn) or granian, one worker each."""
    port = _free_port()
    if server == "uvicorn":
        cmd = [sys.executable, "-m", "scheduler.cli", "serve"]
    elif server == "granian":
        cmd = [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--log-level", "warning", "scheduler.asgi:app"]
    else:
        raise SystemExit(f"unknown server {server!r} (uvicorn or granian)")
    # a file, not a pipe: the server writes an access-log line per request, and a pipe nobody reads
    # fills after a few hundred lines and then blocks the server mid-benchmark
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(database_url, FB_PORT=str(port)), stdout=subprocess.DEVNULL,
                            stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return proc, base
        except httpx.TransportError:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"{server} exited: {log.read()}") from None
            time.sleep(0.1)
    _stop(proc)
    raise SystemExit(f"{server} did not answer /health")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _drive(base: str, clients: int, seconds: float) -> dict[str, tuple[float, int, float]]:
    feed = f"{base}/calendars/schools/lincoln.ics"
    etag = httpx.get(feed).headers["etag"]
    results = {}
    for label, url, headers in (("GET /health (plain JSON)", f"{base}/health", {}),
                                ("GET feed, full 200", feed, {}),
                                ("GET feed, If-None-Match -> 304", feed, {"If-None-Match": etag})):
        asyncio.run(_load(url, headers, clients, 1.0))  # warm-up
        results[label] = asyncio.run(_load(url, headers, clients, seconds))
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--servers", default="uvicorn", help="comma-separated: uvicorn,granian (granian: pip install)")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()

    name = f"fb_bench_{uuid.uuid4().hex[:8]}"
    database_url = _url(args.pg, name)
    asyncio.run(_admin(args.pg, f'CREATE DATABASE "{name}"'))
    try:
        migrated = subprocess.run([sys.executable, "-m", "scheduler.cli", "migrate"], cwd=ROOT,
                                  env=_env(database_url), capture_output=True, text=True)
        assert migrated.returncode == 0, migrated.stderr
        asyncio.run(_fill(database_url, args.events))
        inproc = asyncio.run(_in_process(database_url, args.runs))

        results: dict[str, dict[str, tuple[float, int, float]]] = {}
        for server in args.servers.split(","):
            proc, base = _start(server, database_url)
            try:
                results[server] = _drive(base, args.clients, args.seconds)
            finally:
                _stop(proc)
    finally:
        asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    print(f"\nfeed of {inproc['events']} published events on PostgreSQL: {inproc['bytes']:,} bytes")
    print(f"{'in-process (median of ' + str(args.runs) + ')':<44} {'ms':>9}")
    print(f"{'pure build_feed, cold (VEVENT cache cleared)':<44} {inproc['cold']:>9.1f}")
    print(f"{'pure build_feed, warm (rows unchanged)':<44} {inproc['warm']:>9.1f}")
    print(f"{'services.school_feed (queries + build), warm':<44} {inproc['use_case']:>9.1f}")
    for server, rows in results.items():
        print(f"\n{server}, 1 worker; {args.clients} concurrent httpx clients, {args.seconds:.0f} s each (same machine)")
        print(f"{'route':<34} {'status':>6} {'req/s':>9} {'median ms':>10}")
        for label, (rps, status, median) in rows.items():
            print(f"{label:<34} {status:>6} {rps:>9.1f} {median:>10.1f}")
        plain = rows["GET /health (plain JSON)"][0]
        not_modified = rows["GET feed, If-None-Match -> 304"][0]
        verdict = "yes" if not_modified >= plain / 2 else "no"
        print(f"304 path at least half the plain route's rate: {verdict} ({not_modified / plain:.0%} of it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
