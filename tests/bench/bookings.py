"""Registrations per second through the real server, with 50 concurrent clients, then an oversell audit.

    .venv/bin/python tests/bench/bookings.py                      # PostgreSQL and SQLite
    .venv/bin/python tests/bench/bookings.py --engines postgres --requests 5000

PostgreSQL: a throwaway database on 127.0.0.1:5432 (user postgres). Each
request is one family registering for one event (with a child needing
childcare for every third family); events have fewer seats than takers, so
the waitlist path is exercised too. Prints throughput, p50/p99 latency and
the audit (confirmed adults never above seats, childcare never above ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from fractions import Fraction
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.helpers import BoundDatabase, ServerProcess, ThrowawayDatabase  # noqa: E402


async def seed(url: str, events: int, families: int, seats: int) -> tuple[list[tuple[str, int, list[int]]], int]:
    import datetime as dt

    from resources.tables import ChildcareRatio, ChildcareResource, ChildcareStaffing, School
    from scheduler.accounts.tables import User
    from scheduler.core.auth import hash_api_token, new_api_token
    from scheduler.events.tables import Event
    from scheduler.families.tables import Child, Family

    start = dt.datetime(2027, 3, 3, 0, 0, tzinfo=dt.timezone.utc)
    async with BoundDatabase(url):
        school = (await School.insert(School(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}",
                                             timezone="America/Chicago", languages=["en"])).returning(School.id).run())[0]["id"]
        care = (await ChildcareResource.insert(ChildcareResource(school=school, name="Care", capacity=20))
                .returning(ChildcareResource.id).run())[0]["id"]
        await ChildcareStaffing.insert(ChildcareStaffing(childcare=care, weekday=1, start_minute=0, end_minute=1440,
                                                         staff=1)).run()
        await ChildcareRatio.insert(ChildcareRatio(childcare=care, age_band="school-age", children_per_staff=15)).run()
        event_ids = [r["id"] for r in await Event.insert(*[
            Event(school=school, kind="workshop", title=f"E{i}", duration_minutes=60, earliest_date=start.date(),
                  latest_date=start.date(), status="published", starts_at=start,
                  ends_at=start + dt.timedelta(hours=1), seats=seats, childcare=care) for i in range(events)]
        ).returning(Event.id).run()]
        fam_ids: list[int] = []
        for i in range(0, families, 500):
            fam_ids += [r["id"] for r in await Family.insert(*[
                Family(school=school, name="F", language="en", email="f@example.org", guardians=[])
                for _ in range(min(500, families - i))]).returning(Family.id).run()]
        kids: dict[int, int] = {}
        for i in range(0, len(fam_ids), 1500):
            for r in await Child.insert(*[Child(family=f, first_name="K", grade="2", age_band="school-age")
                                          for f in fam_ids[i:i + 1500:3]]).returning(Child.id, Child.family).run():
                kids[r["family"]] = r["id"]
        tokens = [new_api_token() for _ in fam_ids]
        for i in range(0, len(fam_ids), 500):
            await User.insert(*[User(role="family", name="F", email="f@example.org", school=school, family=f,
                                     token_hash=hash_api_token(t)) for f, t in zip(fam_ids[i:i + 500], tokens[i:i + 500])]).run()
    rng = random.Random(1)
    work = [(tok, rng.choice(event_ids), [kids[f]] if f in kids else []) for f, tok in zip(fam_ids, tokens)]
    return work, care


async def load(url: str, work: list[tuple[str, int, list[int]]], clients: int) -> tuple[float, list[float], Counter]:
    queue: asyncio.Queue = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    latencies: list[float] = []
    codes: Counter = Counter()

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            token, event, kids = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                r = await client.post(f"/events/{event}/registrations", json={"child_ids": kids},
                                      headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:  # counted, not fatal: the audit still runs
                codes[type(exc).__name__] += 1
                continue
            latencies.append(time.perf_counter() - t0)
            codes[r.status_code] += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*[client_loop(client) for _ in range(clients)])
        return time.perf_counter() - t0, latencies, codes


async def audit(url: str, seats: int) -> tuple[int, int, int]:
    from scheduler.bookings.tables import ChildcareBooking, Registration

    async with BoundDatabase(url):
        regs = await Registration.select().run()
        care = await ChildcareBooking.select().where(ChildcareBooking.status == "confirmed").run()
    by_event = Counter()
    for r in regs:
        if r["status"] == "confirmed":
            by_event[r["event"]] += r["adults"]
    care_by_event = Counter(c["event"] for c in care)
    oversold = sum(1 for n in by_event.values() if n > seats)
    over_ratio = sum(1 for n in care_by_event.values() if Fraction(n, 15) > 1 or n > 20)
    return len(regs), oversold, over_ratio


def bench(engine: str, args) -> dict:
    with ThrowawayDatabase(engine) as db:
        url = db.url
        work, _ = asyncio.run(seed(url, args.events, args.requests, args.seats))
        # jobs belong to a separate worker process in production; keep them off the measured server
        with ServerProcess(url, workers=args.workers, FB_JOBS_IN_PROCESS="0") as server:
            asyncio.run(load(server.url, work[:200], args.clients))  # warm-up on a slice
            seconds, lat, codes = asyncio.run(load(server.url, work[200:], args.clients))
        total, oversold, over_ratio = asyncio.run(audit(url, args.seats))
    lat.sort()
    return {"engine": engine, "requests": len(lat), "seconds": seconds, "rps": len(lat) / seconds,
            "p50_ms": 1000 * statistics.median(lat), "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
            "codes": dict(codes), "rows": total, "oversold": oversold, "over_ratio": over_ratio}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="postgres,sqlite")
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--seats", type=int, default=60)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = ap.parse_args()
    rows = [bench(e, args) for e in args.engines.split(",")]
    print(f"\nregistrations through `family-bridge serve --workers {args.workers}`, {args.clients} concurrent clients, "
          f"{args.events} events x {args.seats} seats")
    print("| engine | requests | req/s | p50 ms | p99 ms | status codes | oversold events | childcare over ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['engine']} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['codes']} | {r['oversold']} | {r['over_ratio']} |")


if __name__ == "__main__":
    main()
