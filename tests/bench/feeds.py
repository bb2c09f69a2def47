"""Benchmark: a school's feeds of 2,000 events, built in-process and served over HTTP (wrk), beside ``/health``.

Run:  .venv/bin/python tests/bench/feeds.py [--events 2000] [--seconds 10] [--workers 1] [--connections 32]
      [--profile /tmp/feeds.txt]

1. A throwaway PostgreSQL database (``$TEST_DATABASE_URL`` or 127.0.0.1:5432),
   migrated by the real CLI, with one school of ``--events`` published events
   (a dense school year), a family with a private feed link and a room link.
2. In-process, the pure builder (``calendars.feeds.build_feed``): cold (the
   VEVENT memo cleared: the first build after a start or after every row
   changed), warm, and icalendar's own serialisation of the same events
   (``build_vevent(...).to_ical()``, what a cold build cost before the
   VEVENTs were written directly) in the same run, as the reference.
3. The real server (``family-bridge serve --workers W``, jobs off) driven by
   wrk: ``GET /health`` (the framework's ceiling in this run), the school
   feed with a current ``If-None-Match`` (304), the full school feed without
   and with gzip, and the family's and the room's private feeds (304 and
   full). Each row shows its ratio to ``/health`` and the CPU one request cost
   the server and PostgreSQL. Bodies are checked once (parsed back by
   icalendar and the strict ``ical`` package).

Drops the database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import wrkload  # noqa: E402
from profiles import Profiler  # noqa: E402

from tests.conftest import TEST_SECRET  # noqa: E402
from tests.integration.helpers import BoundDatabase, ServerProcess, ThrowawayDatabase  # noqa: E402


async def fill(url: str, events: int) -> dict[str, str]:
    """Raw SQL with explicit columns; answers the private feed paths."""
    from calendars import tokens

    conn = await asyncpg.connect(url)
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
        family = await conn.fetchval(
            "INSERT INTO family (school, name, language, email, guardians, created_at, updated_at) "
            "VALUES ($1, 'García', 'es', 'g@example.org', ARRAY[]::varchar[], $2, $2) RETURNING id", school, now)
        await conn.execute("INSERT INTO child (family, first_name, grade, age_band) VALUES ($1, 'Ana', '3', 'school-age')",
                           family)
        first = await conn.fetchval("SELECT min(id) FROM event WHERE school = $1", school)
        await conn.execute("INSERT INTO registration (event, family, adults, language, status, created_at, updated_at) "
                           "VALUES ($1, $2, 1, 'es', 'confirmed', $3, $3)", first, family, now)
        paths = {}
        for kind, owner in (("family", family), ("room", rooms[0])):
            token = tokens.new_token()
            await conn.execute("INSERT INTO feed_token (owner_kind, owner_id, token_hash, created_at) "
                               "VALUES ($1, $2, $3, $4)", kind, owner, tokens.hash_token(token, TEST_SECRET), now)
            paths[kind] = f"/calendars/private/{token}.ics"
        return paths
    finally:
        await conn.close()


def _median_ms(fn, runs: int, before=None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


async def in_process(url: str, runs: int) -> dict[str, float]:
    """Milliseconds for the pure builder, cold and warm, and icalendar's serialisation of the same events."""
    from zoneinfo import ZoneInfo

    from calendars import feeds
    from calendars.feed_rows import event_rows, feed_event, school_row
    from scheduler.core.timeutil import utcnow
    from scheduler.events.tables import Event

    async with BoundDatabase(url):
        school = await school_row("slug", "lincoln")
        now = utcnow()
        rows = await event_rows(Event.school == school["id"], now)
    events = [feed_event(r, school, "bench.example") for r in rows]
    spec = feeds.FeedSpec("Lincoln Elementary", school["timezone"], "es", 60, now)
    zone = ZoneInfo(school["timezone"])
    return {"events": len(events), "bytes": len(feeds.build_feed(events, spec)),
            "cold": _median_ms(lambda: feeds.build_feed(events, spec), runs, feeds.vevent_bytes.cache_clear),
            "warm": _median_ms(lambda: feeds.build_feed(events, spec), runs),
            "icalendar": _median_ms(lambda: [feeds.build_vevent(e, zone, "es").to_ical() for e in events],
                                    max(1, runs // 3))}


def check(base: str, path: str) -> tuple[str, int, int]:
    """The body parses back with both parsers; answers (ETag, identity bytes, gzip bytes)."""
    import icalendar
    from ical.calendar_stream import IcsCalendarStream

    plain = httpx.get(base + path, headers={"Accept-Encoding": "identity"}, timeout=60)
    packed = httpx.head(base + path, headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert plain.status_code == 200, plain.text
    icalendar.Calendar.from_ical(plain.content)
    IcsCalendarStream.calendar_from_ics(plain.text)
    return plain.headers["etag"], len(plain.content), int(packed.headers["content-length"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--runs", type=int, default=7, help="in-process builds per figure")
    ap.add_argument("--profile", metavar="FILE", help="py-spy the server during one run (see --profile-run)")
    ap.add_argument("--profile-run", default="school feed, If-None-Match -> 304", help="the run --profile records")
    args = ap.parse_args()
    os.environ.setdefault("TEST_DATABASE_URL", ThrowawayDatabase.PG_ADMIN)

    with ThrowawayDatabase("postgres") as db:
        private = asyncio.run(fill(db.url, args.events))
        built = asyncio.run(in_process(db.url, args.runs))
        with ServerProcess(db.url, workers=args.workers, FB_JOBS_IN_PROCESS="0",
                           FB_RATE_LIMIT_FEEDS_PER_MINUTE="0") as server:
            kw = {"threads": args.threads, "connections": args.connections, "seconds": args.seconds}
            school = "/calendars/schools/lincoln.ics"
            sizes = {name: check(server.url, path) for name, path in
                     (("school", school), ("family", private["family"]), ("room", private["room"]))}
            runs = [("GET /health (plain JSON: the ceiling)", "/health", {}),
                    ("school feed, If-None-Match -> 304", school, {"If-None-Match": sizes["school"][0]}),
                    ("school feed, full 200", school, {"Accept-Encoding": "identity"}),
                    ("school feed, full 200, gzip", school, {"Accept-Encoding": "gzip"}),
                    ("family feed, If-None-Match -> 304", private["family"], {"If-None-Match": sizes["family"][0]}),
                    ("family feed, full 200, gzip", private["family"], {"Accept-Encoding": "gzip"}),
                    ("room feed, If-None-Match -> 304", private["room"], {"If-None-Match": sizes["room"][0]})]
            results, cpu = [], []
            for label, path, headers in runs:
                profile = args.profile if label == args.profile_run else None
                wrkload.run(server.url, "warm-up", path=path, headers=headers, **{**kw, "seconds": 1})
                with Profiler(server.proc.pid, profile, args.seconds), \
                        wrkload.CpuMeter(server.proc.pid, db.name) as meter:
                    results.append(wrkload.run(server.url, label, path=path, headers=headers, **kw))
                cpu.append(meter.per_request(results[-1].requests))

    ceiling, rows = results[0], results[1:]
    print(f"\n### feeds of {built['events']} published events on PostgreSQL, `family-bridge serve --workers "
          f"{args.workers}`, wrk {args.threads} threads x {args.connections} connections, {args.seconds:g} s each; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores\n")
    print(wrkload.table(rows, ceiling, {"CPU ms/request: server / PostgreSQL": cpu}))
    print(f"\nbodies (identity / gzip): school {sizes['school'][1]:,} / {sizes['school'][2]:,} bytes, family "
          f"{sizes['family'][1]:,} / {sizes['family'][2]:,} bytes, room {sizes['room'][1]:,} / "
          f"{sizes['room'][2]:,} bytes; all parsed back by icalendar and the strict ical package")
    print(f"\nin-process, {built['events']} events ({built['bytes']:,} bytes), median of {args.runs}:\n")
    print("| build | ms |\n|---|---:|")
    print(f"| pure `build_feed`, cold (VEVENT memo cleared) | {built['cold']:.1f} |")
    print(f"| pure `build_feed`, warm (rows unchanged) | {built['warm']:.1f} |")
    print(f"| icalendar's serialisation of the same VEVENTs (the reference, same run) | {built['icalendar']:.1f} |")
    bad = [r.label for r in results if r.server_errors or r.unanswered]
    print("\n5xx or unanswered: " + (", ".join(bad) if bad else "none"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
