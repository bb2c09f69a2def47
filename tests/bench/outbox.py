"""Outbox throughput: 10,000 reminders queued by the sweep and delivered into a local SMTP server.

    .venv/bin/python tests/bench/outbox.py                        # PostgreSQL and SQLite
    .venv/bin/python tests/bench/outbox.py --engines sqlite --reminders 2000 --senders 2

A throwaway database (SQLite file, or a PostgreSQL database on 127.0.0.1:5432,
user postgres) gets one school, 20 published events and N families each
confirmed at one event; an aiosmtpd server on 127.0.0.1 records the
Message-ID of what arrives.
aiosmtpd runs in its own process, as a mail server would. Timed: the reminder sweep (N rows queued), then delivery -- each message
rendered (Babel, locale dates), given its .ics invitation, sent over SMTP
and marked sent in its own statement -- by ``--senders`` concurrent senders
(asyncio tasks in this process, competing for batches through the leases).
Prints messages/s and checks nothing was sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import TEST_SECRET  # noqa: E402
from tests.integration.helpers import BoundDatabase, ThrowawayDatabase, free_port  # noqa: E402

UTC = dt.timezone.utc
START = dt.datetime(2027, 3, 15, 23, 0, tzinfo=UTC)
LANGUAGES = ["en", "es", "zh", "vi", "ar"]


SMTP_SERVER = """
import sys, threading, time
from aiosmtpd.controller import Controller
out, lock = open(sys.argv[2], "a"), threading.Lock()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        mid = next((l for l in envelope.content.split(b"\\r\\n") if l.startswith(b"Message-ID:")), b"")
        with lock:
            out.write(mid.decode() + "\\n"); out.flush()
        return "250 OK"
c = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1])); c.start()
print("ready", flush=True); sys.stdin.read(); c.stop()
"""


class SmtpProcess:
    """aiosmtpd in its own process (as a real mail server would be): it must not share our GIL."""

    def __init__(self, tmp: Path) -> None:
        self.port, self.log = free_port(), tmp / "received.txt"

    def __enter__(self) -> SmtpProcess:
        self.proc = subprocess.Popen([sys.executable, "-c", SMTP_SERVER, str(self.port), str(self.log)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def received(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


async def seed(n: int, events: int) -> None:
    from resources.tables import School
    from scheduler.bookings.tables import Registration
    from scheduler.events.tables import Event
    from scheduler.families.tables import Family

    school = (await School.insert(School(name="Bench Elementary", slug="bench", timezone="America/Chicago",
                                         languages=LANGUAGES)).returning(School.id).run())[0]["id"]
    event_ids = [r["id"] for r in await Event.insert(*[
        Event(school=school, kind="workshop", title=f"Workshop {i}", duration_minutes=90,
              earliest_date=START.date(), latest_date=START.date(), status="published",
              starts_at=START + dt.timedelta(minutes=i), ends_at=START + dt.timedelta(minutes=90 + i), seats=n)
        for i in range(events)]).returning(Event.id).run()]
    for lo in range(0, n, 500):
        chunk = range(lo, min(n, lo + 500))
        fams = [r["id"] for r in await Family.insert(*[
            Family(school=school, name=f"Family {i}", language=LANGUAGES[i % 5], email=f"family{i}@example.org")
            for i in chunk]).returning(Family.id).run()]
        await Registration.insert(*[Registration(event=event_ids[i % events], family=f, status="confirmed")
                                    for i, f in zip(chunk, fams)]).run()


async def run(url: str, n: int, events: int, senders: int, port: int) -> dict:
    from scheduler.core.settings import Settings
    from scheduler.notifications import sweeps
    from scheduler.notifications.tables import Outbox

    settings = Settings(database_url=url, secret_key=TEST_SECRET, smtp_host="127.0.0.1", smtp_port=port)
    now = START - dt.timedelta(hours=47)
    async with BoundDatabase(url):
        await seed(n, events)
        t0 = time.perf_counter()
        queued = await sweeps.due_reminders(now)
        t1 = time.perf_counter()
        reports = await asyncio.gather(*[sweeps.deliver(dataclasses.replace(settings), now) for _ in range(senders)])
        t2 = time.perf_counter()
        statuses = await Outbox.select(Outbox.status).run()
    return {"queued": queued, "sweep_s": t1 - t0, "send_s": t2 - t1, "sent": sum(r.sent for r in reports),
            "per_sender": [r.sent for r in reports], "not_sent": sum(1 for s in statuses if s["status"] != "sent")}


def bench(engine: str, args) -> dict:
    with ThrowawayDatabase(engine) as db:
        with SmtpProcess(db.tmp) as smtp:
            result = asyncio.run(run(db.url, args.reminders, args.events, args.senders, smtp.port))
        ids = smtp.received()
    result["received"] = len(ids)
    result["duplicates"] = len(ids) - len(set(ids))
    return {"engine": engine, **result}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="postgres,sqlite")
    ap.add_argument("--reminders", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=20)
    ap.add_argument("--senders", type=int, default=2)
    args = ap.parse_args()
    rows = [bench(e, args) for e in args.engines.split(",")]
    print(f"\n{args.reminders} reminders ({args.events} events, 5 languages), {args.senders} concurrent senders, "
          "local aiosmtpd")
    print("| engine | sweep (queue) s | delivery s | messages/s | sent per sender | received | duplicates | not sent |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['engine']} | {r['sweep_s']:.1f} | {r['send_s']:.1f} | {r['sent'] / r['send_s']:.0f} | "
              f"{r['per_sender']} | {r['received']} | {r['duplicates']} | {r['not_sent']} |")


if __name__ == "__main__":
    main()
