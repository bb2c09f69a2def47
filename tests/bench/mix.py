"""The district's busy week as concurrent ``wrk`` runs, one per kind of request (used by ``load.py``).

The high-volume, stateless part of the mix -- calendar polling, the
registration rush, planners' reads -- is sent by wrk (C), one process per
kind of request with its share of the connections, all at once, so each kind
gets its own request count, p50 and p99 while they compete for the server
together. Each run's requests are prepared here as request lines
(``wrkload``): conditional polls start from the ETag the feed had before
the run and keep the ETag of each later 200, as a calendar app does;
registrations are distinct (family, event) pairs with an Idempotency-Key
each, sent once. What needs the previous answer -- claim
races, conference moves, cancelling one's own registration -- stays in
``load.py``'s Python driver, at a few virtual clients.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import random
import uuid
from typing import Any

import httpx
import wrkload

# what the connections do, by weight (the stateless part of load.py's WEIGHTS)
WEIGHTS: dict[str, float] = {
    "feed school, If-None-Match": 28, "feed school, no validators (gzip)": 6,
    "feed family, If-None-Match": 18, "feed family, no validators (gzip)": 6, "feed interpreter, If-None-Match": 2,
    "POST registration (family)": 12, "GET published events (planner)": 6, "GET plan status (planner)": 2,
    "GET event sign-ups (planner)": 3, "GET conference window (planner)": 1, "GET family availability (planner)": 3,
}
LINES = 4000  # request lines per cycled kind


@dataclasses.dataclass
class Kind:
    label: str
    lines: list[str]
    once: bool = False
    learn: bool = False  # conditional polls: keep the ETag of the last 200


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def etags(base: str, paths: list[str], concurrency: int = 16) -> dict[str, str]:
    """The current ETag of each feed (one poll each: also what a calendar app's first poll costs the server)."""
    found: dict[str, str] = {}
    queue = list(paths)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        async def worker() -> None:
            while queue:
                path = queue.pop()
                r = await client.get(path)
                if r.status_code == 200:
                    found[path] = r.headers["etag"]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return found


def kinds(world: Any, tags: dict[str, str], seed: int, registrations: int) -> list[Kind]:
    """Every kind of request with its lines (``tags``: feed path -> ETag)."""
    rng = random.Random(seed)
    line = wrkload.request_line
    school = [f"/calendars/schools/{slug}.ics{q}" for slug in world.slugs.values()
              for q in ("", "?lang=es", "?audience=grade-1", "?audience=grade-3")]
    family = [f"/calendars/private/{t}.ics" for t in world.family_feeds]
    interpreter = [f"/calendars/private/{t}.ics" for t in world.interpreter_feeds]

    def conditional(paths: list[str]) -> list[str]:
        return [line("GET", p, "", {"If-None-Match": tags[p]}) for p in paths if p in tags]

    def full(paths: list[str]) -> list[str]:
        return [line("GET", rng.choice(paths), "", {"Accept-Encoding": "gzip"}) for _ in range(LINES)]

    out = [Kind("feed school, If-None-Match", conditional(school), learn=True),
           Kind("feed school, no validators (gzip)", full(school)),
           Kind("feed family, If-None-Match", conditional(family), learn=True),
           Kind("feed family, no validators (gzip)", full(family)),
           Kind("feed interpreter, If-None-Match", conditional(interpreter), learn=True),
           Kind("POST registration (family)", _registrations(world, rng, registrations), once=True)]
    schools = list(world.slugs)
    events = [line("GET", f"/schools/{world.slugs[s]}/events?status=published&limit=20&offset="
                          f"{20 * rng.randrange(max(1, len(world.events.get(s, [])) // 20))}", "", _auth(world.admins[s]))
              for s in (rng.choice(schools) for _ in range(LINES))]
    plans = [line("GET", f"/plans/{world.plans[s]}", "", _auth(world.admins[s])) for s in world.plans]
    signups = []
    for _ in range(LINES):
        e = rng.choice(world.hot) if world.hot and rng.random() < 0.5 else \
            rng.choice(world.events[rng.choice(list(world.events))])
        signups.append(line("GET", f"/events/{e['id']}/registrations", "", _auth(world.admins[e["school"]])))
    windows = [line("GET", f"/conference-windows/{w}", "", _auth(world.admins[s])) for s, w in world.windows.items()]
    availability = [line("GET", f"/families/{f}/availability", "", _auth(world.admins[world.family_school[f]]))
                    for f in (rng.choice(world.families) for _ in range(LINES))]
    out += [Kind("GET published events (planner)", events), Kind("GET plan status (planner)", plans),
            Kind("GET event sign-ups (planner)", signups), Kind("GET conference window (planner)", windows),
            Kind("GET family availability (planner)", availability)]
    return [k for k in out if k.lines]


def _registrations(world: Any, rng: random.Random, n: int) -> list[str]:
    """Distinct (family, event) pairs: three in four for the popular events (the rush), children sometimes."""
    seen: set[tuple[int, int]] = set()
    lines = []
    for _ in range(n * 3):
        if len(lines) == n:
            break
        if world.hot and rng.random() < 0.75:
            event = rng.choice(world.hot)
            family = rng.choice(world.school_families[event["school"]])
        else:
            family = rng.choice(world.families)
            if not world.events.get(world.family_school[family]):
                continue
            event = rng.choice(world.events[world.family_school[family]])
        if (family, event["id"]) in seen:
            continue
        seen.add((family, event["id"]))
        children: list[int] = []
        if event["childcare"] is not None and rng.random() < 0.4:
            bands = world.care_bands.get(event["childcare"], set())
            takeable = [c for c, band in world.kids.get(family, []) if band in bands]
            children = rng.sample(takeable, min(len(takeable), rng.choice([1, 1, 2])))
        body = json.dumps({"adults": rng.choice([1, 1, 2]), "child_ids": children})
        lines.append(wrkload.request_line("POST", f"/events/{event['id']}/registrations", body, {
            **_auth(world.family_tokens[family]), "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex}))
    return lines


def run(base: str, chosen: list[Kind], connections: int, seconds: float) -> list[wrkload.Result]:
    """All kinds at once, each with its weight's share of ``connections`` (at least one), for ``seconds``."""
    total = sum(WEIGHTS[k.label] for k in chosen)
    with concurrent.futures.ThreadPoolExecutor(len(chosen)) as pool:
        futures = [pool.submit(wrkload.run, base, k.label, lines=k.lines, once=k.once, learn=k.learn, threads=1,
                               connections=max(1, round(connections * WEIGHTS[k.label] / total)), seconds=seconds,
                               timeout=30) for k in chosen]
        return [f.result() for f in futures]


def split_once(chosen: list[Kind], warmup: float, duration: float) -> tuple[list[Kind], list[Kind]]:
    """The warm-up's kinds and the measured run's: lines sent once are shared out in proportion to the time."""
    warm, measured = [], []
    for k in chosen:
        if not k.once:
            warm.append(k)
            measured.append(k)
            continue
        cut = int(len(k.lines) * warmup / (warmup + duration))
        warm.append(Kind(k.label, k.lines[:cut], once=True))
        measured.append(Kind(k.label, k.lines[cut:], once=True))
    return warm, measured
