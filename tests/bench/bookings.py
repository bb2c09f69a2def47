"""Registrations per second through the real server, driven by wrk, beside ``GET /health``; then an audit.

    .venv/bin/python tests/bench/bookings.py                          # PostgreSQL, 2 workers, 32 connections
    .venv/bin/python tests/bench/bookings.py --engines postgres,sqlite --seconds 20
    .venv/bin/python tests/bench/bookings.py --profile /tmp/reg.txt   # py-spy of the server while measuring

Each request is a distinct family registering (``POST /events/{id}/registrations``
with an ``Idempotency-Key``, as the clients send) for one of ``--events``
published events; every third family brings a child to the event's
childcare. Events have fewer seats than takers, so they fill and the
waitlist path runs too. ``wrk`` (C) sends the requests; ``/health`` is
measured on the same server in the same run and each figure is shown as a
ratio of it. The audit reads the rows afterwards: confirmed adults never
above seats, childcare never above ratio or room cap, every request answered
201 (no 5xx). Exits 1 when the audit fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import uuid
from collections import Counter
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

import wrkload  # noqa: E402
from profiles import Profiler  # noqa: E402

from tests.integration.helpers import BoundDatabase, ServerProcess, ThrowawayDatabase  # noqa: E402

CARE_CAP, CARE_RATIO = 20, 15


async def seed(url: str, events: int, families: int, seats: int) -> list[tuple[str, int, list[int]]]:
    import datetime as dt

    from resources.tables import ChildcareRatio, ChildcareResource, ChildcareStaffing, School
    from scheduler.accounts.tables import User
    from scheduler.core.auth import hash_api_token, new_api_token
    from scheduler.events.tables import Event
    from scheduler.families.tables import Child, Family

    start = dt.datetime(2030, 3, 6, 0, 0, tzinfo=dt.timezone.utc)  # a Wednesday, 18:00 in Chicago: staffed
    async with BoundDatabase(url):
        school = (await School.insert(School(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}",
                                             timezone="America/Chicago", languages=["en"])).returning(School.id).run())[0]["id"]
        care = (await ChildcareResource.insert(ChildcareResource(school=school, name="Care", capacity=CARE_CAP))
                .returning(ChildcareResource.id).run())[0]["id"]
        local_weekday = start.astimezone(dt.timezone(dt.timedelta(hours=-6))).weekday()
        await ChildcareStaffing.insert(ChildcareStaffing(childcare=care, weekday=local_weekday, start_minute=0,
                                                         end_minute=1440, staff=1)).run()
        await ChildcareRatio.insert(ChildcareRatio(childcare=care, age_band="school-age",
                                                   children_per_staff=CARE_RATIO)).run()
        event_ids = [r["id"] for r in await Event.insert(*[
            Event(school=school, kind="workshop", title=f"E{i}", duration_minutes=60, earliest_date=start.date(),
                  latest_date=start.date(), status="published", starts_at=start,
                  ends_at=start + dt.timedelta(hours=1), seats=seats, childcare=care) for i in range(events)]
        ).returning(Event.id).run()]
        fam_ids: list[int] = []
        for i in range(0, families, 1000):
            fam_ids += [r["id"] for r in await Family.insert(*[
                Family(school=school, name="F", language="en", email="f@example.org", guardians=[])
                for _ in range(min(1000, families - i))]).returning(Family.id).run()]
        kids: dict[int, int] = {}
        for i in range(0, len(fam_ids), 3000):
            for r in await Child.insert(*[Child(family=f, first_name="K", grade="2", age_band="school-age")
                                          for f in fam_ids[i:i + 3000:3]]).returning(Child.id, Child.family).run():
                kids[r["family"]] = r["id"]
        tokens = [new_api_token() for _ in fam_ids]
        for i in range(0, len(fam_ids), 1000):
            await User.insert(*[User(role="family", name="F", email="f@example.org", school=school, family=f,
                                     token_hash=hash_api_token(t)) for f, t in zip(fam_ids[i:i + 1000], tokens[i:i + 1000])]).run()
    rng = random.Random(1)
    return [(tok, rng.choice(event_ids), [kids[f]] if f in kids else []) for f, tok in zip(fam_ids, tokens)]


def request_lines(work: list[tuple[str, int, list[int]]], keys: bool) -> list[str]:
    return [wrkload.request_line("POST", f"/events/{event}/registrations", f'{{"child_ids": {kids}}}',
                                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                  **({"Idempotency-Key": uuid.uuid4().hex} if keys else {})})
            for token, event, kids in work]


async def audit(url: str, seats: int) -> dict[str, int]:
    from scheduler.bookings.tables import ChildcareBooking, Registration

    async with BoundDatabase(url):
        regs = await Registration.select(Registration.event, Registration.adults, Registration.status).run()
        care = await ChildcareBooking.select(ChildcareBooking.event).where(
            ChildcareBooking.status.is_in(["confirmed", "offered"])).run()
    seated: Counter = Counter()
    for r in regs:
        if r["status"] in ("confirmed", "offered"):
            seated[r["event"]] += r["adults"]
    children = Counter(c["event"] for c in care)
    return {"rows": len(regs), "confirmed": sum(r["status"] == "confirmed" for r in regs),
            "waitlisted": sum(r["status"] == "waitlisted" for r in regs),
            "oversold": sum(1 for n in seated.values() if n > seats),
            "over_ratio": sum(1 for n in children.values() if Fraction(n, CARE_RATIO) > 1 or n > CARE_CAP)}


def bench(engine: str, args: argparse.Namespace) -> bool:
    with ThrowawayDatabase(engine) as db:
        work = asyncio.run(seed(db.url, args.events, args.families, args.seats))
        warm, measured = work[:args.warmup_requests], work[args.warmup_requests:]
        # jobs belong to a separate worker process in production; keep them off the measured server
        with ServerProcess(db.url, workers=args.workers, FB_JOBS_IN_PROCESS="0") as server:
            kw = {"threads": args.threads, "connections": args.connections}
            wrkload.run(server.url, "warm-up", lines=request_lines(warm, not args.no_key), once=True,
                        seconds=3, **kw)
            with wrkload.CpuMeter(server.proc.pid, db.name) as cpu_health:
                ceiling = wrkload.health(server.url, seconds=args.seconds, **kw)
            with Profiler(server.proc.pid, args.profile, args.seconds), wrkload.CpuMeter(server.proc.pid, db.name) as cpu:
                reg = wrkload.run(server.url, f"POST /events/{{id}}/registrations ({engine})",
                                  lines=request_lines(measured, not args.no_key), once=True, seconds=args.seconds,
                                  **kw)
        found = asyncio.run(audit(db.url, args.seats))
    ok = (found["oversold"] == 0 and found["over_ratio"] == 0 and reg.server_errors == 0 and reg.unanswered == 0
          and set(reg.codes) == {201})
    print(f"\n### registrations, `family-bridge serve --workers {args.workers}` on {engine}, wrk {args.threads} "
          f"threads x {args.connections} connections, {args.seconds:g} s each; {args.events} events x {args.seats} "
          f"seats; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores\n")
    print(wrkload.table([reg], ceiling, {"CPU ms/request: server / PostgreSQL": [
        cpu_health.per_request(ceiling.requests), cpu.per_request(reg.requests)]}))
    print(f"\naudit: {found['rows']} registrations ({found['confirmed']} confirmed, {found['waitlisted']} waitlisted); "
          f"oversold events {found['oversold']}, childcare over ratio {found['over_ratio']}, "
          f"5xx {reg.server_errors}, unanswered {reg.unanswered}" + ("; RAN OUT OF FAMILIES (raise --families)"
                                                                     if reg.exhausted else ""))
    print("audit " + ("passed" if ok else "FAILED"))
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="postgres")
    ap.add_argument("--families", type=int, default=30_000, help="distinct families: one registration each")
    ap.add_argument("--events", type=int, default=40)
    ap.add_argument("--seats", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--warmup-requests", type=int, default=1000)
    ap.add_argument("--no-key", action="store_true", help="send no Idempotency-Key")
    ap.add_argument("--profile", metavar="FILE", help="record the server with py-spy while measuring (collapsed "
                                                        "stacks to FILE, a summary printed)")
    args = ap.parse_args()
    results = [bench(e, args) for e in args.engines.split(",")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
