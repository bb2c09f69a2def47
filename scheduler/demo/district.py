"""A demo district: many demo schools, planned, published and ready to book, for load tests.

Twenty elementary schools share 20,000 families (sizes vary by up to 30 %
either way, as real catchments do). Each school is built by the demo
school's own builder (``scheduler.demo.school.build_school``) from its own seeded
random stream, so one seed gives the same district on either engine. On top
of the rows a district has what a school has a month into the term:

* every family and interpreter can sign in (one API token each) and most
  families subscribe to their private calendar (a feed link each);
* the month's events went through the real planner (``scheduler.planning.services``:
  build the instance, solve in the solver process, publish), so they are
  published with seats (the room's capacity) and open interpreter
  assignments;
* schools have a solved, published parent-teacher conference week
  (``scheduler.demo.conferences``), whose interpreter blocks are open too.

Tokens are random (never derived from the seed: a demo database must not
hand out guessable credentials). Only their hashes are stored; the raw
tokens come back in ``DistrictLoaded.tokens`` for tools such as
``tests/bench/load.py``, and the command line prints a few of them.

Speed: rows go in with multi-row INSERTs, one transaction per school; the
planner solves (in their own processes, two at a time) while the next
schools' rows are inserted. Conference weeks are solved one school after
another, each in one or two seconds. On the shared 2-core development
machine the full district (20 schools, 20,000 families) loaded in about 4.5
minutes, more than half of it waiting for the planner.
"""

from __future__ import annotations

import dataclasses
import random
import re
import time
from pathlib import Path

from calendars import tokens as feed_tokens
from calendars.tables import FeedToken
from resources.tables import Interpreter, School
from scheduler.accounts.tables import User
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.tables import ConferenceMeeting, ConferenceWindow
from scheduler.core.auth import Principal, hash_api_token, new_api_token
from scheduler.core.db import writing
from scheduler.demo.conferences import load_conference_week
from scheduler.demo.school import (
    GIVEN,
    INTERPRETERS,
    SURNAMES,
    SchoolBuilt,
    SchoolSpec,
    build_school,
    insert_rows,
    write_token_file,
)
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family
from scheduler.planning import services as plans

SCHOOL_NAMES = ["Riverside", "Lincoln", "Maple Grove", "Cedar Park", "Oak Hill", "Westview", "Lakeside", "Sunnyside",
                "Jefferson", "Hillcrest", "Pine Ridge", "Brookside", "Eastgate", "Meadowbrook", "Valley View",
                "Roosevelt", "Garfield", "Willow Creek", "Northside", "Harbor Point"]
# Solves end on CP-SAT's deterministic clock, so one seed gives one district however busy the machine is;
# the wall-clock limits are only a safety net (a plan stopped by them is still valid, just not reproducible).
PLAN_DTIME = 0.1  # the engine's smallest budget: ~5 s a school of 1,000 families, every event placed
PLAN_SECONDS = 120
PLANS_AT_ONCE = 2  # solver processes running while the next schools' rows go in (one per core)
CONFERENCE_EFFORT = 0.25  # ~1 s a school; more effort places no more meetings in the demo week
CONFERENCE_SECONDS = 60.0
FEED_SHARE = 0.6  # families that subscribed to their private calendar
ADMIN = Principal(user_id=0, role="admin")  # the district office, acting through the same services as the API


@dataclasses.dataclass
class DistrictTokens:
    """Raw credentials of everyone the load test acts as (the database holds only hashes)."""

    district: str
    admins: dict[str, str]  # school slug -> its principal's API token
    families: dict[int, str]  # family id -> API token
    interpreters: dict[int, str]  # interpreter id -> API token
    family_feeds: dict[int, str]  # family id -> private feed token (subscribers only)
    interpreter_feeds: dict[int, str]  # interpreter id -> private feed token


@dataclasses.dataclass
class DistrictLoaded:
    summary: str
    token_lines: list[str]
    tokens: DistrictTokens
    seconds: dict[str, float]  # wall time per phase: rows, plans (waiting not hidden behind rows), conferences


def school_specs(rng: random.Random, schools: int, families: int) -> list[SchoolSpec]:
    """Names, slugs and sizes of the district's schools; sizes vary ±30 % and add up to ``families``."""
    weights = [rng.uniform(0.7, 1.3) for _ in range(schools)]
    shares = [families * w / sum(weights) for w in weights]
    sizes = [int(s) for s in shares]
    for i in sorted(range(schools), key=lambda i: sizes[i] - shares[i])[:families - sum(sizes)]:
        sizes[i] += 1  # largest remainders: the sizes add up exactly
    specs, first = [], 1
    for i, size in enumerate(sizes):
        base = SCHOOL_NAMES[i % len(SCHOOL_NAMES)]
        if i >= len(SCHOOL_NAMES):  # a district larger than the list: "Lincoln 2"
            base += f" {i // len(SCHOOL_NAMES) + 1}"
        slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
        # the district's interpreters speak what the demo school's do, but are different people
        people = tuple((f"{rng.choice(GIVEN)} {rng.choice(SURNAMES[langs[0]])}", tuple(langs))
                       for _, langs in INTERPRETERS)
        specs.append(SchoolSpec(name=f"{base} Elementary", slug=slug, families=size, first_family=first,
                                interpreters=people, interpreter_mail=f".{slug}"))
        first += size
    return specs


async def _sign_ins(rng: random.Random, spec: SchoolSpec, built: SchoolBuilt, secret_key: str,
                    tokens: DistrictTokens) -> None:
    """A principal, every family and every interpreter can sign in; subscribers get a feed link."""
    admin = new_api_token()
    tokens.admins[spec.slug] = admin
    users = [User(role="admin", name=f"Principal of {spec.name}", email=f"principal@{spec.slug}.example.org",
                  school=built.school_id, token_hash=hash_api_token(admin))]
    feeds = []
    for fid, family in zip(built.family_ids, built.families):
        tokens.families[fid] = new_api_token()
        users.append(User(role="family", name=family.guardians[0], email=family.email, school=built.school_id,
                          family=fid, token_hash=hash_api_token(tokens.families[fid])))
        if rng.random() < FEED_SHARE:
            tokens.family_feeds[fid] = feed_tokens.new_token()
            feeds.append(FeedToken(owner_kind="family", owner_id=fid,
                                   token_hash=feed_tokens.hash_token(tokens.family_feeds[fid], secret_key)))
    for iid, (name, _) in zip(built.interpreter_ids, spec.interpreters):
        tokens.interpreters[iid] = new_api_token()
        tokens.interpreter_feeds[iid] = feed_tokens.new_token()
        users.append(User(role="interpreter", name=name, email=f"{name.split()[0].lower()}{spec.interpreter_mail}"
                          "@interpreters.example.org", school=built.school_id, interpreter=iid,
                          token_hash=hash_api_token(tokens.interpreters[iid])))
        feeds.append(FeedToken(owner_kind="interpreter", owner_id=iid,
                               token_hash=feed_tokens.hash_token(tokens.interpreter_feeds[iid], secret_key)))
    await insert_rows(User, users)
    await insert_rows(FeedToken, feeds)


async def _publish(plan_id: int, slug: str) -> None:
    """Wait for a plan's solve, then publish it as an administrator would after reviewing it."""
    plan = await plans.get_plan(ADMIN, plan_id, wait=PLAN_SECONDS + 60)
    if plan.status != "ready":
        raise RuntimeError(f"the plan of {slug} is {plan.status}: {plan.error}")
    await plans.publish_plan(ADMIN, plan_id)


async def load_district(secret_key: str, seed: int = 2027, schools: int = 20, families: int = 20_000,
                        base_url: str = "http://127.0.0.1:8000", conference_schools: int | None = None,
                        token_file: Path | None = None) -> DistrictLoaded | None:
    """Load the demo district unless the database already holds a school.

    ``secret_key`` is the server's (feed links are HMACs under it);
    ``conference_schools`` limits how many schools get a conference week
    (default: all).
    """
    if await School.count().run():
        return None
    if schools < 1 or families < schools:
        raise ValueError("a district needs at least one school and a family per school")
    started = time.perf_counter()
    rng = random.Random(seed)
    specs = school_specs(rng, schools, families)
    tokens = DistrictTokens(district=new_api_token(), admins={}, families={}, interpreters={}, family_feeds={},
                            interpreter_feeds={})
    await insert_rows(User, [User(role="admin", name="Sam Okafor (district office)",
                                  email="district@district.example.org", school=None,
                                  token_hash=hash_api_token(tokens.district))])
    seconds = {"rows": 0.0, "plans": 0.0, "conferences": 0.0}
    solving: list[tuple[int, str]] = []  # plans solving while the next schools' rows go in
    for i, spec in enumerate(specs):
        t0 = time.perf_counter()
        school_rng = random.Random(seed * 1_000 + i)
        async with writing():
            built = await build_school(school_rng, spec)
            await _sign_ins(school_rng, spec, built, secret_key, tokens)
        t1 = time.perf_counter()
        seconds["rows"] += t1 - t0
        while len(solving) >= PLANS_AT_ONCE:
            await _publish(*solving.pop(0))
        plan = await plans.create_plan(ADMIN, spec.slug, plans.PlanIn(time_limit=PLAN_SECONDS, seed=seed),
                                       deterministic_time=PLAN_DTIME)
        solving.append((plan.id, spec.slug))
        seconds["plans"] += time.perf_counter() - t1
    t1 = time.perf_counter()
    for pending in solving:
        await _publish(*pending)
    seconds["plans"] += time.perf_counter() - t1

    t1 = time.perf_counter()
    weeks = 0
    for i, spec in enumerate(specs[:schools if conference_schools is None else conference_schools]):
        if await load_conference_week(seed=seed + i, time_limit=CONFERENCE_SECONDS, slug=spec.slug,
                                      effort=CONFERENCE_EFFORT) is not None:
            weeks += 1
    seconds["conferences"] = time.perf_counter() - t1
    seconds["total"] = time.perf_counter() - started

    first = specs[0].slug
    family = next(iter(tokens.family_feeds), next(iter(tokens.families)))  # a subscriber of the first school
    interpreter = next(iter(tokens.interpreters))
    lines = [f"{'district':12s} token: {tokens.district}", f"{'admin':12s} token: {tokens.admins[first]}",
             f"{'family':12s} token: {tokens.families[family]}",
             f"{'interpreter':12s} token: {tokens.interpreters[interpreter]}",
             f"try: curl -H 'Authorization: Bearer {tokens.admins[first]}' {base_url}/schools/{first}/events"]
    if family in tokens.family_feeds:
        lines.append(f"and: curl {base_url}/calendars/private/{tokens.family_feeds[family]}.ics  "
                     f"(family {family}'s calendar)")
    if token_file is not None:
        write_token_file(token_file, lines)
    return DistrictLoaded(summary=await _summary(schools, weeks, seconds), token_lines=lines, tokens=tokens,
                          seconds=seconds)


async def _summary(schools: int, weeks: int, seconds: dict[str, float]) -> str:
    """Counted from the database, so the line says what is there rather than what was meant to be."""
    published = Event.status == "published"
    events = await Event.count().where(Event.kind != "conference").run()
    placed = await Event.count().where(published & (Event.kind != "conference")).run()
    open_work = await InterpreterAssignment.count().where(InterpreterAssignment.status == "open").run()
    meetings = await ConferenceMeeting.count().run()
    windows = await ConferenceWindow.count().where(ConferenceWindow.status == "published").run()
    return (f"{schools} schools: {await Family.count().run()} families ({await Child.count().run()} children), "
            f"{await Interpreter.count().run()} interpreters; {placed}/{events} events published by the planner, "
            f"{open_work} interpreter assignments open; {windows} conference weeks published ({weeks} new, "
            f"{meetings} meetings); {await User.count().run()} sign-ins, {await FeedToken.count().run()} feed links. "
            f"Rows {seconds['rows']:.1f} s, plans {seconds['plans']:.1f} s more, "
            f"conference weeks {seconds['conferences']:.1f} s; {seconds['total']:.1f} s in all")
