"""District load test: the real server on the demo district, a mixed workload, figures per route, then an audit.

    .venv/bin/python tests/bench/load.py                          # 20 schools, 20,000 families; W=1 and W=2, 60 s each
    .venv/bin/python tests/bench/load.py --schools 2 --families 400 --workers 1 --duration 10   # a quick try
    .venv/bin/python tests/bench/load.py --env FB_RATE_LIMIT_PER_MINUTE=1000000             # any server setting

What it does, and why:

1. Creates a throwaway PostgreSQL database on 127.0.0.1:5432 (or
   $TEST_DATABASE_URL), migrates it with the real CLI and loads the demo
   district into it (``scheduler.demo.district``, in this process, so the
   raw sign-in and feed tokens are at hand; the database keeps only hashes).
2. For each ``--workers`` W: copies that database (``CREATE DATABASE …
   TEMPLATE``), so every W starts from the same rows; starts the real server
   (``family-bridge serve --workers W``, jobs off as in production, where a
   separate ``family-bridge worker`` runs them); drives it with ``--clients``
   concurrent keep-alive httpx clients for ``--warmup`` seconds (not
   counted) and then ``--duration`` seconds; stops it; audits the copy.
3. The workload, by weight (``WEIGHTS``), is what a district sees in a busy
   week, calendar polling first:
   * feeds: the school feeds (plain, ``?lang=``, ``?audience=``) and
     families' and interpreters' private feeds, mostly with
     ``If-None-Match`` from the last poll (304 unless something changed),
     some without validators (200 and the whole body);
   * families registering (a seat, sometimes childcare for one or two
     children, an Idempotency-Key): three in four for the district's few
     popular events (``--hot-events``, the smallest rooms: a rush when
     registration opens), so those fill up and the waitlist grows, the
     rest for any published event of their school; some cancel (which
     promotes from the waitlist);
   * interpreters listing their open work and claiming it, two to four
     interpreters of the language at once on the same assignment (a race
     exactly one may win), and releasing some claims so the pool stays open;
   * families reading their conference itinerary, accepting it, asking
     for free slots and moving a meeting, sometimes two families at once
     for one teacher's slot;
   * planners reading: published events by page, a plan's status, an
     event's sign-ups, a conference window, a family's availability (there
     is no district availability-heatmap endpoint; this is the nearest read).
4. Prints, per W, one row per route: requests, throughput, p50 and p99
   latency and the status codes, plus the machine's load average and the
   CPU the server and this load generator used (they share the machine).
5. Audits the database after each run: no event with more adults holding
   seats than seats; no childcare over ratio or room cap (the booking code's
   own arithmetic, ``resources.childcare_capacity``), and childcare places
   in step with their registrations; at most one live assignment per event
   and language, a taken assignment has its interpreter and an open one
   none, no race won twice; no interpreter in two overlapping assignments
   (nor closer than the travel buffer across schools, nor over the daily
   limit); no teacher, family (or guardian) or interpreter block holding two
   overlapping conference meetings.

Exits 1 if the audit finds anything, or if any request got a 5xx or no
answer at all. Rate limits: FB_RATE_LIMIT_* variables of this process are
passed to the server, and ``--env NAME=VALUE`` sets any server variable;
429s are counted per route (and named at the end) so a limit that shapes
the figures is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))
os.environ.setdefault("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

import mix  # noqa: E402
import wrkload  # noqa: E402
from profiles import Profiler  # noqa: E402

from tests.conftest import TEST_SECRET  # noqa: E402
from tests.integration.helpers import BoundDatabase, ServerProcess, SmtpServer, ThrowawayDatabase  # noqa: E402

LIVE_MEETING = ("proposed", "accepted")
HOLDING = ("confirmed", "offered")
# What one Python virtual client does next, by weight: only what needs the previous answer (a registration id
# to cancel, the open assignments to race for, free slots to move to). Everything else is sent by wrk (mix.py).
WEIGHTS: dict[str, float] = {"register": 2, "cancel": 2, "claim_race": 4, "release": 1, "conference": 6}


# ---------------------------------------------------------------- the district, as the clients know it


@dataclasses.dataclass
class World:
    """Ids and raw tokens the clients act with, read once from the loaded district."""

    slugs: dict[int, str]  # school id -> slug
    admins: dict[int, str]  # school id -> principal's token
    events: dict[int, list[dict[str, Any]]]  # school id -> published events (not conference evenings)
    hot: list[dict[str, Any]]  # the district's popular events (fewest seats): the registration rush
    families: list[int]
    school_families: dict[int, list[int]]
    family_school: dict[int, int]
    family_tokens: dict[int, str]
    kids: dict[int, list[tuple[int, str]]]  # family id -> (child id, age band)
    care_bands: dict[int, set[str]]  # childcare id -> age bands it takes
    family_feeds: list[str]
    interpreter_feeds: list[str]
    interpreters: list[tuple[int, str]]  # (id, token)
    speakers: dict[str, list[int]]  # language -> interpreter ids
    interpreter_tokens: dict[int, str]
    conference_families: list[int]
    teacher_meetings: dict[int, list[tuple[int, int]]]  # teacher id -> (meeting id, family id)
    plans: dict[int, int]  # school id -> its published plan
    windows: dict[int, int]  # school id -> its conference window


async def load_world(url: str, args: argparse.Namespace) -> tuple[World, Any]:
    """Load the district into ``url`` and read back what the clients need."""
    from resources.tables import ChildcareRatio, Interpreter, School
    from scheduler.conferences.tables import ConferenceMeeting, ConferenceWindow
    from scheduler.demo.district import load_district
    from scheduler.events.tables import Event
    from scheduler.families.tables import Child, Family
    from scheduler.planning.tables import Plan

    async with BoundDatabase(url):
        loaded = await load_district(TEST_SECRET, seed=args.seed, schools=args.schools, families=args.families)
        slugs = {s["id"]: s["slug"] for s in await School.select(School.id, School.slug).run()}
        events: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for e in await Event.select(Event.id, Event.school, Event.seats, Event.childcare).where(
                (Event.status == "published") & (Event.kind != "conference")).order_by(Event.id).run():
            events[e["school"]].append(e)
        hot = sorted((e for evs in events.values() for e in evs), key=lambda e: (e["seats"], e["id"]))[:args.hot_events]
        family_school = {f["id"]: f["school"] for f in await Family.select(Family.id, Family.school).run()}
        school_families: dict[int, list[int]] = defaultdict(list)
        for family, school in sorted(family_school.items()):
            school_families[school].append(family)
        kids: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for c in await Child.select(Child.id, Child.family, Child.age_band).run():
            kids[c["family"]].append((c["id"], c["age_band"]))
        care_bands: dict[int, set[str]] = defaultdict(set)
        for r in await ChildcareRatio.select(ChildcareRatio.childcare, ChildcareRatio.age_band).run():
            care_bands[r["childcare"]].add(r["age_band"])
        speakers: dict[str, list[int]] = defaultdict(list)
        for i in await Interpreter.select(Interpreter.id, Interpreter.languages).run():
            for lang in i["languages"]:
                speakers[lang].append(i["id"])
        windows = {w["school"]: w["id"] for w in await ConferenceWindow.select(
            ConferenceWindow.id, ConferenceWindow.school).where(ConferenceWindow.status == "published").run()}
        meetings = await ConferenceMeeting.select(ConferenceMeeting.id, ConferenceMeeting.family,
                                                  ConferenceMeeting.teacher).where(
            ConferenceMeeting.status.is_in(list(LIVE_MEETING))).run()
        teacher_meetings: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for m in meetings:
            teacher_meetings[m["teacher"]].append((m["id"], m["family"]))
        plans = {p["school"]: p["id"] for p in await Plan.select(Plan.id, Plan.school).where(
            Plan.status == "published").run()}
    t = loaded.tokens
    world = World(
        slugs=slugs, admins={sid: t.admins[slug] for sid, slug in slugs.items()}, events=dict(events), hot=hot,
        families=sorted(t.families), school_families=dict(school_families), family_school=family_school,
        family_tokens=t.families, kids=dict(kids),
        care_bands=dict(care_bands), family_feeds=list(t.family_feeds.values()),
        interpreter_feeds=list(t.interpreter_feeds.values()), interpreters=sorted(t.interpreters.items()),
        speakers=dict(speakers), interpreter_tokens=t.interpreters,
        conference_families=sorted({m["family"] for m in meetings}), teacher_meetings=dict(teacher_meetings),
        plans=plans, windows=windows)
    return world, loaded


# ---------------------------------------------------------------- the workload


class Stats:
    """Latencies and status codes per route; only recorded while ``recording``."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.codes: dict[str, Counter] = defaultdict(Counter)
        self.recording = False

    def add(self, route: str, code: int | str, seconds: float) -> None:
        if self.recording:
            self.latency[route].append(seconds)
            self.codes[route][code] += 1


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Workload:
    """Shared state of the virtual clients: ETags seen, registrations made, claims held, races lost and won."""

    def __init__(self, client: httpx.AsyncClient, world: World, stats: Stats) -> None:
        self.client, self.w, self.stats = client, world, stats
        self.registrations: list[tuple[int, int, int]] = []  # (family, event, registration) still live
        self.held: dict[int, int] = {}  # assignment id -> interpreter id that won it (and has not released it)
        self.racing: set[int] = set()  # assignments being raced for now: not released meanwhile
        self.double_wins: list[str] = []
        self.races = Counter()

    async def call(self, route: str, method: str, url: str, **kw: Any) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = await self.client.request(method, url, **kw)
        except httpx.TransportError as exc:  # no answer at all: counted, and fails the run
            self.stats.add(route, type(exc).__name__, time.perf_counter() - t0)
            return None
        self.stats.add(route, r.status_code, time.perf_counter() - t0)
        return r

    # registrations ---------------------------------------------------------

    async def register(self, rng: random.Random) -> None:
        if self.w.hot and rng.random() < 0.75:  # the rush: a popular event, a family of its school
            event = rng.choice(self.w.hot)
            family = rng.choice(self.w.school_families[event["school"]])
        else:
            family = rng.choice(self.w.families)
            if not self.w.events.get(self.w.family_school[family]):
                return
            event = rng.choice(self.w.events[self.w.family_school[family]])
        children: list[int] = []
        if event["childcare"] is not None and rng.random() < 0.4:
            bands = self.w.care_bands.get(event["childcare"], set())
            takeable = [c for c, band in self.w.kids.get(family, []) if band in bands]
            children = rng.sample(takeable, min(len(takeable), rng.choice([1, 1, 2])))
        body = {"adults": rng.choice([1, 1, 2]), "child_ids": children}
        r = await self.call("POST registration (family)", "POST", f"/events/{event['id']}/registrations", json=body,
                            headers={**_auth(self.w.family_tokens[family]), "Idempotency-Key": uuid.uuid4().hex})
        if r is not None and r.status_code == 201:
            self.registrations.append((family, event["id"], r.json()["id"]))

    async def cancel(self, rng: random.Random) -> None:
        if not self.registrations:
            return
        family, event, reg = self.registrations.pop(rng.randrange(len(self.registrations)))
        await self.call("DELETE registration (family; promotes)", "DELETE", f"/events/{event}/registrations/{reg}",
                        headers=_auth(self.w.family_tokens[family]))

    # interpreters ----------------------------------------------------------

    async def claim_race(self, rng: random.Random) -> None:
        me, token = rng.choice(self.w.interpreters)
        r = await self.call("GET open assignments (interpreter)", "GET", "/interpreters/me/open-assignments",
                            headers=_auth(token))
        if r is None or r.status_code != 200:
            return
        offers = [a for a in r.json() if a["id"] not in self.racing]
        if not offers:
            return
        a = rng.choice(offers[:10])
        rivals = [i for i in self.w.speakers.get(a["language"], []) if i != me]
        group = [me] + rng.sample(rivals, min(len(rivals), rng.choice([1, 2, 3])))
        self.racing.add(a["id"])
        try:
            answers = await asyncio.gather(*(self.call(
                "POST claim (2-4 interpreters race)", "POST", f"/assignments/{a['id']}/claim",
                headers={**_auth(self.w.interpreter_tokens[i]), "Idempotency-Key": uuid.uuid4().hex}) for i in group))
        finally:
            self.racing.discard(a["id"])
        winners = [i for i, r in zip(group, answers) if r is not None and r.status_code == 200]
        self.races["claim races"] += 1
        self.races["claim races won"] += bool(winners)
        if len(winners) > 1:
            self.double_wins.append(f"assignment {a['id']} claimed by {len(winners)} interpreters at once")
        for i in winners:
            self.held[a["id"]] = i

    async def release(self, rng: random.Random) -> None:
        free = [a for a in self.held if a not in self.racing]
        if not free:
            return
        a = rng.choice(free)
        holder = self.held.pop(a)
        await self.call("POST release (interpreter)", "POST", f"/assignments/{a}/release",
                        headers=_auth(self.w.interpreter_tokens[holder]))

    # conferences -----------------------------------------------------------

    async def _move(self, route: str, meeting: int, family: int, start: str) -> httpx.Response | None:
        return await self.call(route, "POST", f"/conference-meetings/{meeting}/move", json={"start": start},
                               headers={**_auth(self.w.family_tokens[family]), "Idempotency-Key": uuid.uuid4().hex})

    async def conference(self, rng: random.Random) -> None:
        if not self.w.conference_families:
            return
        family = rng.choice(self.w.conference_families)
        headers = _auth(self.w.family_tokens[family])
        r = await self.call("GET conference itinerary (family)", "GET", f"/families/{family}/conferences",
                            headers=headers)
        if r is None or r.status_code != 200:
            return
        meetings = [m for m in r.json()["meetings"] if m["status"] in LIVE_MEETING]
        if not meetings:
            return
        if rng.random() < 0.2:
            await self.call("POST accept conferences (family)", "POST", f"/families/{family}/conferences/accept",
                            headers=headers)
            return
        m = rng.choice(meetings)
        r = await self.call("GET free slots (family)", "GET", f"/conference-meetings/{m['id']}/free-slots",
                            headers=headers)
        if r is None or r.status_code != 200 or not r.json():
            return
        start = rng.choice(r.json())["start"]
        rivals = [(mid, f) for mid, f in self.w.teacher_meetings.get(m["teacher_id"], []) if f != family]
        if rivals and rng.random() < 0.3:  # another family wants the same teacher's slot at the same moment
            mid, other = rng.choice(rivals)
            route = "POST move (2 families race for a slot)"
            answers = await asyncio.gather(self._move(route, m["id"], family, start),
                                           self._move(route, mid, other, start))
            self.races["slot races"] += 1
            self.races["slot races won by both"] += all(a is not None and a.status_code == 200 for a in answers)
        else:
            await self._move("POST move conference (family)", m["id"], family, start)


async def drive(url: str, world: World, clients: int, warmup: float, duration: float, seed: int,
                server_pids: Callable[[], list[int]], database: str) -> tuple[Stats, Workload, dict[str, float]]:
    """Warm up (not recorded), then record ``duration`` seconds; returns the stats and the CPU seconds used.

    CPU is counted for the server's processes, the PostgreSQL backends
    serving this database, and this load generator: on a shared machine they
    compete for the same cores, which the figures must be read with.
    """
    stats = Stats()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        work = Workload(client, world, stats)
        actions: dict[str, Callable[[random.Random], Awaitable[None]]] = {n: getattr(work, n) for n in names}
        stop = time.perf_counter() + warmup + duration

        async def virtual_client(k: int) -> None:
            rng = random.Random(seed * 1000 + k)
            while time.perf_counter() < stop:
                await actions[rng.choices(names, weights)[0]](rng)

        async def measure() -> dict[str, float]:
            await asyncio.sleep(warmup)
            stats.recording = True
            before = {"server": _cpu(server_pids()), "postgres": _cpu(_backends(database)), "load generator":
                      _cpu([os.getpid()])}
            await asyncio.sleep(duration)
            stats.recording = False
            after = {"server": _cpu(server_pids()), "postgres": _cpu(_backends(database)), "load generator":
                     _cpu([os.getpid()])}
            return {k: sum(after[k].values()) - sum(before[k].get(p, 0.0) for p in after[k]) for k in after}

        gathered = await asyncio.gather(measure(), *(virtual_client(k) for k in range(clients)))
    return stats, work, gathered[0]


def _cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far per process (a process that started meanwhile counts from zero)."""
    out = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return out


def _backends(database: str) -> list[int]:
    """PostgreSQL's backend processes serving ``database`` (their title names it)."""
    pids = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if cmdline and cmdline[0].startswith("postgres:") and f" {database} " in cmdline[0]:
            pids.append(proc.pid)
    return pids


def _server_pids(server: ServerProcess) -> Callable[[], list[int]]:
    def pids() -> list[int]:
        root = psutil.Process(server.proc.pid)
        return [root.pid] + [c.pid for c in root.children(recursive=True)]
    return pids


# ---------------------------------------------------------------- the audit


async def audit(url: str, buffer_minutes: int = 30) -> dict[str, list[str]]:
    """Every rule a booking must keep, checked on the rows left after the run; the problems found, by rule."""
    import arrow

    from resources.childcare_capacity import fits, staff_on_duty
    from resources.tables import ChildcareRatio, ChildcareResource, ChildcareStaffing, Interpreter, School
    from scheduler.assignments.tables import InterpreterAssignment
    from scheduler.bookings.tables import ChildcareBooking, Registration
    from scheduler.conferences.tables import ConferenceMeeting
    from scheduler.events.tables import Event

    found: dict[str, list[str]] = defaultdict(list)
    async with BoundDatabase(url):
        zones = {s["id"]: s["timezone"] for s in await School.select(School.id, School.timezone).run()}
        events = {e["id"]: e for e in await Event.select(
            Event.id, Event.school, Event.seats, Event.childcare, Event.starts_at, Event.ends_at).run()}
        regs = await Registration.select(Registration.id, Registration.event, Registration.adults,
                                         Registration.status).run()
        care = await ChildcareBooking.select(ChildcareBooking.registration, ChildcareBooking.event,
                                             ChildcareBooking.childcare, ChildcareBooking.age_band,
                                             ChildcareBooking.status).run()
        resources = {c["id"]: c["capacity"] for c in await ChildcareResource.select(
            ChildcareResource.id, ChildcareResource.capacity).run()}
        ratios: dict[int, dict[str, int]] = defaultdict(dict)
        for r in await ChildcareRatio.select().run():
            ratios[r["childcare"]][r["age_band"]] = r["children_per_staff"]
        staffing: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for s in await ChildcareStaffing.select().run():
            staffing[s["childcare"]].append(s)
        assignments = await InterpreterAssignment.select().run()
        limits = {i["id"]: i["max_events_per_day"] for i in await Interpreter.select(
            Interpreter.id, Interpreter.max_events_per_day).run()}
        meetings = await ConferenceMeeting.select(
            ConferenceMeeting.id, ConferenceMeeting.teacher, ConferenceMeeting.family, ConferenceMeeting.guardian,
            ConferenceMeeting.assignment, ConferenceMeeting.starts_at, ConferenceMeeting.ends_at).where(
            ConferenceMeeting.status.is_in(list(LIVE_MEETING))).run()

    seated: Counter = Counter()
    status_of = {r["id"]: r["status"] for r in regs}
    for r in regs:
        if r["status"] in HOLDING:
            seated[r["event"]] += r["adults"]
    for eid, adults in seated.items():
        if adults > (events[eid]["seats"] or 0):
            found["seats"].append(f"event {eid}: {adults} adults hold seats, {events[eid]['seats']} seats")

    booked: dict[int, Counter] = defaultdict(Counter)
    for c in care:
        if c["status"] != status_of.get(c["registration"]):
            found["childcare"].append(f"a childcare place is {c['status']}, its registration "
                                      f"{c['registration']} {status_of.get(c['registration'])}")
        if c["status"] in HOLDING:
            booked[c["event"]][c["age_band"]] += 1
    for eid, bands in booked.items():
        e = events[eid]
        cid = e["childcare"]
        if cid is None:
            found["childcare"].append(f"event {eid}: {sum(bands.values())} childcare places and no childcare room")
            continue
        tz = zones[e["school"]]
        start, end = arrow.get(e["starts_at"]).to(tz), arrow.get(e["ends_at"]).to(tz)
        end_minute = end.hour * 60 + end.minute if end.date() == start.date() else 24 * 60
        staff = staff_on_duty([(w["start_minute"], w["end_minute"], w["staff"]) for w in staffing[cid]
                               if w["weekday"] == start.weekday()], start.hour * 60 + start.minute, end_minute)
        if not fits(staff, ratios[cid], resources[cid], Counter(), bands):
            found["childcare"].append(f"event {eid}: {dict(bands)} with {staff} staff, cap {resources[cid]}")

    live: Counter = Counter()
    taken: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in assignments:
        if a["status"] != "cancelled":
            live[(a["event"], a["language"])] += 1
        if a["status"] in ("claimed", "confirmed"):
            if a["interpreter"] is None:
                found["assignments"].append(f"assignment {a['id']} is {a['status']} with no interpreter")
            else:
                taken[a["interpreter"]].append(a)
        elif a["interpreter"] is not None:
            found["assignments"].append(f"assignment {a['id']} is {a['status']} but names interpreter "
                                        f"{a['interpreter']}")
    found["assignments"] += [f"event {e}: {n} live {lang} assignments" for (e, lang), n in live.items() if n > 1]
    buffer = dt.timedelta(minutes=buffer_minutes)
    for person, work in taken.items():
        work.sort(key=lambda a: a["starts_at"])
        for i, a in enumerate(work):
            for b in work[i + 1:]:
                if b["starts_at"] >= a["ends_at"] + buffer:
                    break  # sorted by start: no later one can be closer
                gap = buffer if a["school"] != b["school"] else dt.timedelta(0)
                if b["starts_at"] >= a["ends_at"] + gap:
                    continue
                rule = "interpreter double-booked" if b["starts_at"] < a["ends_at"] else "interpreter travel buffer"
                found[rule].append(f"interpreter {person}: assignments {a['id']} and {b['id']}")
        per_day = Counter(arrow.get(a["starts_at"]).to(zones[a["school"]]).date() for a in work)
        if limits.get(person) is not None and max(per_day.values()) > limits[person]:
            found["interpreter daily limit"].append(f"interpreter {person}: {max(per_day.values())} in a day, "
                                                    f"limit {limits[person]}")

    for rule, key in (("teacher double-booked", lambda m: m["teacher"]),
                      ("family double-booked", lambda m: (m["family"], m["guardian"])),
                      ("interpreter block double-booked", lambda m: m["assignment"])):
        groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for m in meetings:
            if key(m) is not None:
                groups[key(m)].append(m)
        for owner, ms in groups.items():
            ms.sort(key=lambda m: m["starts_at"])
            for a, b in zip(ms, ms[1:]):
                if b["starts_at"] < a["ends_at"]:
                    found[rule].append(f"{owner}: meetings {a['id']} and {b['id']} overlap")

    found["totals"] = [f"registrations {dict(Counter(r['status'] for r in regs))}",
                       f"events full {sum(1 for e, n in seated.items() if n >= (events[e]['seats'] or 0))}",
                       f"childcare places held {sum(sum(b.values()) for b in booked.values())}",
                       f"assignments {dict(Counter(a['status'] for a in assignments))}",
                       f"live conference meetings {len(meetings)}"]
    return found


# ---------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]


def table(stats: Stats, native: list[wrkload.Result], duration: float) -> tuple[list[str], int, int]:
    """The per-route table (wrk's kinds and the Python clients' routes), and the counts of 5xx and unanswered."""
    lines = ["| route | sent by | requests | req/s | p50 ms | p99 ms | status codes |", "|---|---|---:|---:|---:|---:|---|"]
    codes_all: Counter = Counter()
    for r in sorted(native, key=lambda r: -r.requests):
        codes_all.update(r.codes)
        codes_all.update({k: v for k, v in r.socket_errors.items()})
        shown = ", ".join(f"{c}: {n}" for c, n in sorted(r.codes.items(), key=lambda kv: str(kv[0])))
        if r.socket_errors:
            shown += ", no answer: " + ", ".join(f"{k} {v}" for k, v in r.socket_errors.items())
        lines.append(f"| {r.label} | wrk | {r.requests} | {r.requests / duration:.1f} | {r.p50_ms:.1f} | "
                     f"{r.p99_ms:.1f} | {shown} |")
    for route in sorted(stats.latency, key=lambda r: -len(stats.latency[r])):
        lat, codes = stats.latency[route], stats.codes[route]
        codes_all.update(codes)
        shown = ", ".join(f"{c}: {n}" for c, n in sorted(codes.items(), key=lambda kv: str(kv[0])))
        lines.append(f"| {route} | Python | {len(lat)} | {len(lat) / duration:.1f} | {1000 * statistics.median(lat):.1f} | "
                     f"{1000 * percentile(lat, 0.99):.1f} | {shown} |")
    total = sum(r.requests for r in native) + sum(len(lat) for lat in stats.latency.values())
    lines.append(f"| **all** | | {total} | {total / duration:.1f} | | | "
                 f"{', '.join(f'{c}: {n}' for c, n in sorted(codes_all.items(), key=lambda kv: str(kv[0])))} |")
    server_errors = sum(n for c, n in codes_all.items() if isinstance(c, int) and c >= 500)
    no_answer = sum(n for c, n in codes_all.items() if not isinstance(c, int))
    return lines, server_errors, no_answer


def run_once(template: str, world: World, workers: int, args: argparse.Namespace, env: dict[str, str]) -> bool:
    """One W: a fresh copy of the district, the server and the job worker, the workload, the audit."""
    with ThrowawayDatabase("postgres", template=template) as db, SmtpServer() as smtp:
        with ServerProcess(db.url, workers=workers, FB_JOBS_IN_PROCESS="0", **env) as server, \
                JobWorker(db.url, smtp.port):
            ceiling = wrkload.health(server.url, connections=args.clients, seconds=10)
            tags = asyncio.run(mix.etags(server.url, feed_paths(world, args)))
            chosen = mix.kinds(world, tags, args.seed, registrations=int(80 * (args.warmup + args.duration)))
            warm, measured = mix.split_once(chosen, args.warmup, args.duration)
            native: list[wrkload.Result] = []

            def wrk_runs() -> None:
                mix.run(server.url, warm, args.clients - args.race_clients, args.warmup)
                native.extend(mix.run(server.url, measured, args.clients - args.race_clients, args.duration))

            load_before = os.getloadavg()
            thread = threading.Thread(target=wrk_runs)
            thread.start()
            with Profiler(server.proc.pid, args.profile and f"{args.profile}.w{workers}",
                          args.warmup + args.duration):
                stats, work, cpu = asyncio.run(drive(server.url, world, args.race_clients, args.warmup,
                                                     args.duration, args.seed, _server_pids(server), db.name))
            thread.join()
            load_after = os.getloadavg()
        found = asyncio.run(audit(db.url))
    found["races"] = list(work.double_wins)
    lines, server_errors, no_answer = table(stats, native, args.duration)
    answered = sum(len(lat) for lat in stats.latency.values()) + sum(r.requests for r in native)
    print(f"\n### `family-bridge serve --workers {workers}` (PostgreSQL) and `family-bridge worker`, "
          f"{args.clients} connections ({args.clients - args.race_clients} from wrk, {args.race_clients} Python "
          f"clients racing), {args.duration:.0f} s after {args.warmup:.0f} s warm-up")
    print(f"GET /health on the same server just before, alone: {ceiling.rps:,.0f} req/s (p99 {ceiling.p99_ms:.1f} ms)"
          f"; the mix: {answered / args.duration:,.1f} req/s ({answered / args.duration / ceiling.rps:.1%} of it)")
    print(f"load average (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after: {' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} cores")
    print("CPU in the measured window (share of one core): " + ", ".join(
        f"{name} {seconds:.0f} s ({seconds / args.duration:.0%})" for name, seconds in cpu.items()))
    if answered:  # steadier than req/s on a shared machine: what one request of this mix costs
        print(f"CPU per request: server {1000 * cpu['server'] / answered:.2f} ms, PostgreSQL "
              f"{1000 * cpu['postgres'] / answered:.2f} ms")
    print("\n".join(lines))
    slow = [r.label for r in native if r.p99_ms > args.p99_ms] + [
        route for route, lat in stats.latency.items() if 1000 * percentile(lat, 0.99) > args.p99_ms]
    print(f"routes with p99 over {args.p99_ms:.0f} ms: {', '.join(slow) if slow else 'none'}")
    print(f"races: {dict(work.races)}; mail accepted by the SMTP server: {len(smtp.inbox.messages)}")
    print(f"5xx answers: {server_errors}; requests with no answer: {no_answer}")
    if any(r.exhausted for r in native):
        print("registration lines ran out before the end: raise their number in run_once")
    limited = sum(n for codes in stats.codes.values() for c, n in codes.items() if c == 429) + sum(
        r.codes.get(429, 0) for r in native)
    if limited:
        print(f"429 (rate limited): {limited} -- raise the server's limits with --env FB_RATE_LIMIT_...=... "
              "if these are not meant to be measured")
    problems = {rule: items for rule, items in found.items() if rule != "totals" and items}
    print("audit: " + ("; ".join(found["totals"])))
    if problems:
        for rule, items in problems.items():
            print(f"AUDIT FAILED [{rule}] {len(items)}: " + "; ".join(items[:5]))
    else:
        print("audit passed: no event over its seats, no childcare over ratio or cap, one interpreter per "
              "assignment, no interpreter double-booked, no conference slot double-booked")
    return not problems and server_errors == 0 and no_answer == 0


def feed_paths(world: World, args: argparse.Namespace) -> list[str]:
    """The feeds whose ETags the conditional polls carry: every school and interpreter feed, a sample of families'."""
    rng = random.Random(args.seed)
    school = [f"/calendars/schools/{slug}.ics{q}" for slug in world.slugs.values()
              for q in ("", "?lang=es", "?audience=grade-1", "?audience=grade-3")]
    families = rng.sample(world.family_feeds, min(len(world.family_feeds), args.family_feeds))
    return school + [f"/calendars/private/{t}.ics" for t in families + world.interpreter_feeds]


class JobWorker:
    """``family-bridge worker``: the sweeps and the outbox sender, as in production, mailing to ``smtp_port``."""

    def __init__(self, database_url: str, smtp_port: int) -> None:
        self.database_url, self.smtp_port = database_url, smtp_port

    def __enter__(self) -> JobWorker:
        from tests.conftest import cli_env

        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "worker"], cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=cli_env(self.database_url, FB_SMTP_HOST="127.0.0.1",
                                                                           FB_SMTP_PORT=str(self.smtp_port)))
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schools", type=int, default=20)
    ap.add_argument("--families", type=int, default=20_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="uvicorn worker processes, one run each")
    ap.add_argument("--duration", type=float, default=60, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=5, help="seconds of the same workload before measuring")
    ap.add_argument("--clients", type=int, default=64, help="concurrent connections in all")
    ap.add_argument("--race-clients", type=int, default=8,
                    help="of which Python virtual clients (claim races, conference moves, cancels)")
    ap.add_argument("--family-feeds", type=int, default=1500, help="family feeds polled with If-None-Match")
    ap.add_argument("--p99-ms", type=float, default=500, help="the p99 every route must stay under")
    ap.add_argument("--profile", metavar="FILE", help="py-spy the server during each run (FILE.w1, FILE.w2, ...)")
    ap.add_argument("--hot-events", type=int, default=8,
                    help="the district's popular events (smallest rooms) that three in four registrations want")
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for the server (repeatable), e.g. a rate limit")
    args = ap.parse_args()
    # every client comes from 127.0.0.1: the per-address limits would measure themselves (set them with --env)
    env = {"FB_RATE_LIMIT_FEEDS_PER_MINUTE": "0", "FB_RATE_LIMIT_SIGNIN_PER_MINUTE": "0"}
    env |= {k: v for k, v in os.environ.items() if k.startswith("FB_RATE_LIMIT_")}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            ap.error(f"--env wants NAME=VALUE, got {item!r}")
        env[name] = value
    if env:
        print(f"server settings from the environment / --env: {', '.join(sorted(env))}")

    with ThrowawayDatabase("postgres") as template:
        print(f"loading the demo district ({args.schools} schools, {args.families} families); "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        started = time.perf_counter()
        world, loaded = asyncio.run(load_world(template.url, args))
        print(f"loaded in {time.perf_counter() - started:.1f} s: {loaded.summary}", flush=True)
        print(f"popular events: {len(world.hot)} in {len({e['school'] for e in world.hot})} schools, "
              f"{sum(e['seats'] for e in world.hot)} seats; {len(world.family_feeds)} family feed links, "
              f"{len(world.conference_families)} families with conference meetings", flush=True)
        ok = all([run_once(template.name, world, w, args, env) for w in args.workers])
    print("\nRESULT: " + ("all runs passed" if ok else "FAILED (see above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
