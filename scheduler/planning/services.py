"""Plans: build an instance from the database, solve it in the background, review, publish.

One use case per function, domain errors out. Publishing applies a ready plan in one transaction
(see ``publish_plan``). The solve itself is ``scheduler.planning.solving``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from typing import Any

import msgspec

from resources.services import school_by_slug
from resources.tables import (
    ChildcareRatio,
    ChildcareResource,
    ChildcareStaffing,
    Interpreter,
    InterpreterAvailability,
    InterpreterBusy,
    Room,
    RoomAvailability,
    School,
)
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.attendance.figures import calibration_of
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import is_postgres, writing
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.paging import PageRequest, fetch_page
from scheduler.core.timeutil import date_problem, format_local, parse_local, utcnow, zone
from scheduler.engine import InstanceError, parse_instance
from scheduler.events.tables import Event
from scheduler.families.tables import Child, EventInterest, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.planning.fingerprint import changed, fingerprints
from scheduler.planning.instance import (
    HorizonTooLong,
    NothingToPlan,
    PlanningRows,
    build_instance,
    event_key,
    kept_event_ids,
    parse_key,
    plannable,
)
from scheduler.planning.schemas import (
    AudienceOut,
    CalibrationOut,
    Objective,
    PlanEventOut,
    PlanIn,
    PlanInterpreterOut,
    PlanOut,
    PlanSummary,
    TurnoutRule,
)
from scheduler.planning.solving import PREPARING, RUNNING, THIS_PROCESS, finish, forget, run_solve, solver_died
from scheduler.planning.tables import Plan
from scheduler.planning.turnout import RULE, WEIGHTS, audience_tally

log = logging.getLogger("family_bridge.plans")


async def load_rows(school: dict[str, Any], keep_published: bool) -> PlanningRows:
    """Every row a plan of this school reads (plain dicts, for ``build_instance``)."""
    sid = school["id"]
    events = await Event.select().where((Event.school == sid) & Event.status.is_in(
        ["draft", "proposed"] + ([] if keep_published else ["published"]))).order_by(Event.id).run()
    kept = []
    if keep_published:
        kept = await Event.select().where((Event.school == sid) & (Event.status == "published")).run()
    planned = [e["id"] for e in events]
    rooms = await Room.select().where(Room.school == sid).run()
    interpreters = await Interpreter.select().where(Interpreter.school == sid).run()
    childcare = await ChildcareResource.select().where(ChildcareResource.school == sid).run()
    families = await Family.select(Family.id, Family.language).where(Family.school == sid).run()
    claims = await InterpreterAssignment.select().where(
        (InterpreterAssignment.school == sid) & InterpreterAssignment.status.is_in(["claimed", "confirmed"])
        & InterpreterAssignment.interpreter.is_not_null()).run()
    return PlanningRows(
        timezone=school["timezone"], events=events, kept=kept, rooms=rooms,
        room_weekly=await RoomAvailability.select().where(RoomAvailability.room.school == sid).run(),
        interpreters=interpreters,
        interpreter_weekly=await InterpreterAvailability.select().where(
            InterpreterAvailability.interpreter.school == sid).run(),
        interpreter_busy=await InterpreterBusy.select().where(InterpreterBusy.interpreter.school == sid).run(),
        claims=[c for c in claims if c["event"] not in planned],
        childcare=childcare,
        staffing=await ChildcareStaffing.select().where(ChildcareStaffing.childcare.school == sid).run(),
        ratios=await ChildcareRatio.select().where(ChildcareRatio.childcare.school == sid).run(),
        families=families,
        family_weekly=await FamilyAvailability.select().where(FamilyAvailability.family.school == sid).run(),
        family_dated=await FamilyDatedAvailability.select().where(FamilyDatedAvailability.family.school == sid).run(),
        interests=await EventInterest.select(EventInterest.family, EventInterest.event, EventInterest.choice).where(
            EventInterest.event.school == sid).run(),
        registrations=await Registration.select(Registration.family, Registration.event, Registration.status).where(
            Registration.event.school == sid).run(),
        children=await Child.select(Child.family, Child.grade, Child.age_band).where(Child.family.school == sid).run(),
        language=(school.get("languages") or ["en"])[0],
    )


def _build_and_parse(rows: PlanningRows) -> tuple[dict[str, Any], Any]:
    instance = build_instance(rows)
    return instance, parse_instance(instance)


async def create_plan(actor: Principal, slug: str, data: PlanIn, deterministic_time: float | None = None) -> PlanOut:
    """Build the instance now (so bad data is a 422 at once), solve in the background.

    ``deterministic_time`` (not offered over HTTP) ends the search on CP-SAT's
    deterministic clock rather than the wall clock, so the same rows and seed
    give the same plan however busy the machine is; the demo district uses it
    (with a generous ``time_limit`` as the safety net) to be reproducible.
    """
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    await _refuse_if_solving(school["id"])  # cheap, before the work; also retires interrupted plans
    if school["id"] in PREPARING:
        raise Conflict(f"a plan of this school is being prepared; see GET /schools/{slug}/plans", "status")
    PREPARING.add(school["id"])
    try:
        started = utcnow()  # before reading: any later change to an event makes the plan stale
        rows = await load_rows(school, data.keep_published)
        inputs = fingerprints(rows)
        rows.events, left_out = plannable(rows.events, started.astimezone(zone(school["timezone"])).date(),
                                          date_problem)
        rows.not_before = started
        rows.calibration = await calibration_of(school, started)
        try:  # ~0.6 s for the demo school: off the event loop
            instance, _ = await asyncio.to_thread(_build_and_parse, rows)
        except NothingToPlan as exc:
            reasons = [(f"events.{eid}", f"event {eid} cannot be planned: {why}") for eid, why in left_out]
            raise InvalidInput(reasons or [("events", str(exc))]) from None
        except HorizonTooLong as exc:
            raise InvalidInput([(exc.field, str(exc))]) from None
        except InstanceError as exc:  # stored data the engine refuses: name where
            raise InvalidInput([(f"instance.{path}", msg) for path, msg in exc.errors[:20]]) from None
        context = {"left_out": left_out, "inputs": inputs, "turnout": {"weights": WEIGHTS, "rule": RULE, "audience": {
            str(eid): tally for eid, tally in audience_tally(rows).items()}}}
        if rows.calibration.has_history:
            context["calibration"] = rows.calibration.to_json()
        plan_id = await _insert_plan(school["id"], instance, data, started, context)
    finally:
        PREPARING.discard(school["id"])
    task = asyncio.get_running_loop().create_task(
        run_solve(plan_id, instance, data.time_limit, data.seed, kept_event_ids(instance), deterministic_time, context))
    RUNNING[plan_id] = task
    task.add_done_callback(lambda t: forget(plan_id, t))
    return await _plan_out(await _plan(plan_id))


async def _insert_plan(school_id: int, instance: dict[str, Any], data: PlanIn, started: dt.datetime,
                       context: dict[str, Any]) -> int:
    async with writing():
        await _lock_school(school_id)
        await _refuse_if_solving(school_id, retire=False)  # again under the lock: other processes, same school
        row = (await Plan.insert(Plan(
            school=school_id, status="solving", instance=json.dumps(instance, separators=(",", ":")),
            details=json.dumps({"seed": data.seed, **context}), time_limit=data.time_limit,
            keep_published=data.keep_published, created_at=started, owner=THIS_PROCESS, heartbeat_at=utcnow(),
        )).returning(Plan.id).run())[0]
    return row["id"]


async def _lock_school(school_id: int) -> None:
    """Serialise plan creation and publication per school (SQLite: the write transaction already does)."""
    if is_postgres(School._meta.db):
        await School.raw("SELECT id FROM school WHERE id = {} FOR UPDATE", school_id).run()


async def _refuse_if_solving(school_id: int, retire: bool = True) -> None:
    """409 while another plan of the school is solving: a solve already uses every core."""
    for other in await Plan.select(Plan.id).where((Plan.school == school_id) & (Plan.status == "solving")).run():
        if not retire or (await _plan(other["id"]))["status"] == "solving":
            raise Conflict(f"plan {other['id']} of this school is still solving; wait for it "
                           f"(GET /plans/{other['id']}?wait=60) before planning again", "status")


async def _plan(plan_id: int, instance: bool = True) -> dict[str, Any]:
    """The plan's row; without its ``instance`` (megabytes for a district school) when only showing it."""
    columns = [c for c in Plan._meta.columns if instance or c is not Plan.instance]
    row = await Plan.select(*columns).where(Plan.id == plan_id).first().run()
    if row is None:
        raise NotFound(f"no plan {plan_id}", "plan_id")
    if row["status"] == "solving" and plan_id not in RUNNING and solver_died(row):
        await finish(plan_id, {Plan.status: "failed",
                                Plan.error: "interrupted: the server stopped while solving; plan again"})
        row = await Plan.select(*columns).where(Plan.id == plan_id).first().run()
    return row


_shapes: dict[tuple[int, Any], dict[str, Any]] = {}


async def _instance_shape(row: dict[str, Any]) -> dict[str, Any]:
    """What showing a plan needs of its instance: its zone, its kept events, each event's length.

    Decoded once per process and plan: the instance is written when the
    plan is made and never changes in these parts (erasing a family removes
    only that family from it). Keyed by id and creation time, since an id
    alone could name another database's plan (tests, restores).
    """
    key = (row["id"], row["created_at"])
    shape = _shapes.get(key)
    if shape is None:
        text = row["instance"] if "instance" in row else (
            await Plan.select(Plan.instance).where(Plan.id == row["id"]).first().run())["instance"]
        instance = _loads(text)
        shape = {"timezone": instance.get("timezone"), "kept": kept_event_ids(instance),
                 "durations": {e["id"]: e["duration_minutes"] for e in instance.get("events", [])}}
        if len(_shapes) >= 256:
            _shapes.clear()
        _shapes[key] = shape
    return shape


owner_of("plan_id", "SELECT school, NULL AS family, NULL AS interpreter FROM plan WHERE id = {}")


def _objective(row: dict[str, Any]) -> Objective:
    return Objective(scheduled=row["scheduled"], attendance=row["attendance"], bound=row["bound"])


def _summary(row: dict[str, Any]) -> PlanSummary:
    return PlanSummary(id=row["id"], school_id=row["school"], status=row["status"], objective=_objective(row),
                       time_limit=row["time_limit"], keep_published=row["keep_published"],
                       created_at=row["created_at"], finished_at=row["finished_at"],
                       published_at=row["published_at"], error=row["error"])


def _loads(text: str) -> dict[str, Any]:
    """A stored JSON column (msgspec: a district school's instance is megabytes, and json took ~50 ms of it)."""
    return msgspec.json.decode(text) if text else {}


async def _plan_out(row: dict[str, Any]) -> PlanOut:
    """The whole proposal in the school's words: names, local times, reasons."""
    school = await School.select().where(School.id == row["school"]).first().run()
    shape, solution, details = await _instance_shape(row), _loads(row["solution"]), _loads(row["details"])
    tz = shape["timezone"] or school["timezone"]  # the plan's local times are in the zone it was made in
    kept = shape["kept"]
    durations = shape["durations"]
    ids = [parse_key(e, "event") for e in durations]
    events = {e["id"]: e for e in await Event.select(Event.id, Event.title, Event.duration_minutes).where(
        Event.id.is_in([i for i in ids if i is not None] or [-1])).run()}
    rooms = {r["id"]: r["name"] for r in await Room.select(Room.id, Room.name).where(Room.school == row["school"]).run()}
    interps = {r["id"]: r["name"] for r in await Interpreter.select(Interpreter.id, Interpreter.name).where(
        Interpreter.school == row["school"]).run()}
    cares = {r["id"]: r["name"] for r in await ChildcareResource.select(
        ChildcareResource.id, ChildcareResource.name).where(ChildcareResource.school == row["school"]).run()}
    left_ids = [eid for eid, _ in details.get("left_out", [])]
    events_left_out = {e["id"]: e["title"] for e in await Event.select(Event.id, Event.title).where(
        Event.id.is_in(left_ids)).run()} if left_ids else {}
    per_event = details.get("events", {})
    turnout = details.get("turnout") or {}
    tallies = {int(k): v for k, v in (turnout.get("audience") or {}).items()}

    def local(text: str | None) -> str | None:
        return None if text is None else format_local(parse_local(text, tz), tz)

    out: list[PlanEventOut] = []
    for a in solution.get("assignments", []):
        eid = parse_key(a["event"], "event")
        title = events.get(eid, {}).get("title", "(deleted event)")
        start = parse_local(a["start"], tz)
        end = start + dt.timedelta(minutes=durations.get(a["event"], 0))
        if a["event"] in kept:
            out.append(PlanEventOut(event_id=eid, title=title, outcome="kept", start=format_local(start, tz),
                                    end=format_local(end, tz)))
            continue
        room_id = parse_key(a["room"], "room")
        care_id = parse_key(a["childcare"], "childcare") if a.get("childcare") else None
        d = per_event.get(a["event"], {})
        families = d.get("families", d.get("expected_turnout"))
        out.append(PlanEventOut(
            event_id=eid, title=title, outcome="placed", start=format_local(start, tz), end=format_local(end, tz),
            room_id=room_id, room=rooms.get(room_id, "(deleted room)"),
            interpreters={lang: PlanInterpreterOut(id=parse_key(i, "interpreter"),
                                                   name=interps.get(parse_key(i, "interpreter"), "(deleted interpreter)"))
                          for lang, i in a.get("interpreters", {}).items()},
            childcare_id=care_id, childcare=None if care_id is None else cares.get(care_id, "(deleted childcare)"),
            expected_turnout=families, weighted_turnout=d.get("expected_turnout"),
            expected_at_door=d.get("expected_calibrated"),
            runner_up_start=local(d.get("runner_up_start")),
            runner_up_turnout=d.get("runner_up_families", d.get("runner_up_turnout")),
            audience=_audience(tallies.get(eid)), turnout_note=_turnout_note(families, tallies.get(eid)),
        ))
    for u in solution.get("unscheduled", []):
        eid = parse_key(u["event"], "event")
        # a kept event stays published where it is even if the engine could not pin it (e.g. two kept
        # events with one audience overlap): the reason says why
        out.append(PlanEventOut(event_id=eid, title=events.get(eid, {}).get("title", "(deleted event)"),
                                outcome="kept" if u["event"] in kept else "unscheduled", reason=u["reason"],
                                audience=_audience(tallies.get(eid))))
    for eid, why in details.get("left_out", []):  # drafts the plan could not even consider (see planning.plannable)
        out.append(PlanEventOut(event_id=eid, title=events_left_out.get(eid, "(deleted event)"), outcome="unscheduled",
                                reason=why))
    out.sort(key=lambda e: e.event_id)
    return PlanOut(
        id=row["id"], school_id=row["school"], status=row["status"], objective=_objective(row),
        time_limit=row["time_limit"], seed=details.get("seed", 0), keep_published=row["keep_published"],
        created_at=row["created_at"], finished_at=row["finished_at"], published_at=row["published_at"],
        error=row["error"], progress=details.get("progress") if row["status"] == "solving" else None,
        stats=details.get("stats", {}), events=out,
        turnout=TurnoutRule(weights=turnout["weights"], rule=turnout["rule"],
                            calibration=_calibration_out(details.get("calibration"))) if turnout else None,
        stale=await _stale_for_reading(row, school) if row["status"] == "ready" else [],
    )


STALE_SECONDS = 5.0  # how long one process trusts a plan's staleness when only showing it
_stale_seen: dict[tuple[int, Any], tuple[float, list[str]]] = {}


async def _stale_for_reading(plan: dict[str, Any], school: dict[str, Any]) -> list[str]:
    """:func:`stale_inputs` for showing a plan, remembered for ``STALE_SECONDS`` per process.

    Digesting a school's inputs reads every family's rows (hundreds of
    milliseconds for 2,000 families), and planners' pages and API clients
    poll a ready plan; a banner a few seconds late is harmless, a server
    busy digesting is not. Publishing never uses this: it checks afresh.
    """
    now = time.monotonic()
    key = (plan["id"], plan["created_at"])  # the id alone could name another database's plan (tests, restores)
    seen = _stale_seen.get(key)
    if seen is not None and now - seen[0] < STALE_SECONDS:
        return seen[1]
    kinds = await stale_inputs(plan, school)
    if len(_stale_seen) >= 256:
        _stale_seen.clear()
    _stale_seen[key] = (now, kinds)
    return kinds


async def stale_inputs(plan: dict[str, Any], school: dict[str, Any]) -> list[str]:
    """The kinds of input (rooms, interpreters, childcare, availability, interests) changed since the plan was made."""
    made = _loads(plan["details"]).get("inputs") or {}
    return changed(made, fingerprints(await load_rows(school, plan["keep_published"])))


def _calibration_out(data: dict[str, Any] | None) -> CalibrationOut | None:
    if not data:
        return None
    return CalibrationOut(school_rate=data["prior"], history_events=data.get("events", 0),
                          history_registrations=data.get("registrations", 0), time_of_day=data.get("factors", {}))


def _audience(tally: dict[str, int] | None) -> AudienceOut | None:
    return None if tally is None else AudienceOut(**{k: v for k, v in tally.items() if k in AudienceOut.__struct_fields__})


def _turnout_note(families: int | None, tally: dict[str, int] | None) -> str | None:
    """Why a placed event expects nobody: no family in its audience, or none of them free then."""
    if families or tally is None:
        return None
    counted = tally.get("audience", 0) + tally.get("interested", 0)
    if not counted:
        return "nobody is in its audience (no family with a child in its grades that can take part)"
    return f"none of the {counted} families in its audience is free for the whole event at any time it could be placed"


async def get_plan(actor: Principal, plan_id: int, wait: float = 0) -> PlanOut:
    """A plan; with ``wait`` > 0, first wait up to that many seconds while it is still solving."""
    row = await _plan(plan_id, instance=False)
    require_admin(actor, row["school"])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while row["status"] == "solving" and (left := deadline - loop.time()) > 0:
        task = RUNNING.get(plan_id)
        if task is not None:
            await asyncio.wait({task}, timeout=left)
        else:  # solving in another process: poll
            await asyncio.sleep(min(0.5, left))
        row = await _plan(plan_id, instance=False)
    return await _plan_out(row)


async def list_plans(actor: Principal, slug: str, page: PageRequest) -> tuple[list[PlanSummary], int]:
    """A school's plans, newest first."""
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    cols = [Plan.id, Plan.school, Plan.status, Plan.scheduled, Plan.attendance, Plan.bound, Plan.time_limit,
            Plan.keep_published, Plan.created_at, Plan.finished_at, Plan.published_at, Plan.error]
    where = Plan.school == school["id"]
    rows, total = await fetch_page(Plan.select(*cols).where(where).order_by(Plan.id, ascending=False),
                                   Plan.count().where(where), page)
    return [_summary(r) for r in rows], total


async def publish_plan(actor: Principal, plan_id: int) -> PlanOut:
    """Apply a ready plan in one transaction.

    Each placed event becomes ``published`` with its start/end (UTC), room,
    seats (the room's capacity) and childcare; its ``sequence`` goes up by one
    only when it was already published and its time, room or childcare
    changes (a first publication keeps the sequence it has, normally 0). One
    ``open`` interpreter assignment per language is created for each newly
    published or moved event (a moved event's earlier assignments are
    cancelled, its childcare bookings follow it to the new childcare); the
    engine's chosen interpreter is only a suggestion in the plan. Unscheduled drafts stay drafts. 409 when the plan is not ready, was
    already published, or is stale: an event in it changed, was cancelled or
    deleted, or another event was published, after the plan was made.
    """
    row = await _plan(plan_id)
    require_admin(actor, row["school"])
    if row["status"] != "ready":
        what = {"solving": "is still solving", "failed": "failed", "published": "was already published"}
        raise Conflict(f"plan {plan_id} {what.get(row['status'], 'is ' + row['status'])}; only a ready plan can be "
                       "published", "status")
    school = await School.select().where(School.id == row["school"]).first().run()
    instance, solution = _loads(row["instance"]), _loads(row["solution"])
    tz = instance["timezone"]  # even if the school's zone changed since: the plan's local times are in this one
    kept = kept_event_ids(instance)
    in_plan = {parse_key(e["id"], "event"): e for e in instance["events"]}
    now = utcnow()
    async with writing():
        await _lock_school(school["id"])  # one publication per school at a time
        taken = await Plan.update({Plan.status: "published", Plan.published_at: now}).where(
            (Plan.id == plan_id) & (Plan.status == "ready")).returning(Plan.id).run()
        if not taken:
            raise Conflict(f"plan {plan_id} was already published", "status")
        current = {e["id"]: e for e in await Event.select().where(Event.school == school["id"]).run()}
        _check_fresh(row, in_plan, kept, current)
        if kinds := await stale_inputs(row, school):
            raise Conflict(f"plan {plan_id} is stale: {', '.join(kinds)} changed after it was made; plan again",
                           "inputs")
        for u in solution["unscheduled"]:
            eid = parse_key(u["event"], "event")
            if u["event"] not in kept and current[eid]["status"] == "published":
                raise Conflict(f"published event {eid} {current[eid]['title']!r} could not be placed by this plan "
                               f"({u['reason']}); cancel it or plan again with keep_published", f"events.{eid}")
        capacity = {r["id"]: r["capacity"] for r in await Room.select(Room.id, Room.capacity).where(
            Room.school == school["id"]).run()}
        cares = {r["id"] for r in await ChildcareResource.select(ChildcareResource.id).where(
            ChildcareResource.school == school["id"]).run()}
        for a in solution["assignments"]:
            if a["event"] in kept:
                continue
            await _apply(a, current[parse_key(a["event"], "event")], tz, capacity, cares, now)
    return await _plan_out(await _plan(plan_id))


def _check_fresh(plan: dict[str, Any], in_plan: dict[int | None, Any], kept: set[str],
                 current: dict[int, dict[str, Any]]) -> None:
    made = plan["created_at"]
    for eid in sorted(i for i in in_plan if i is not None):
        ev = current.get(eid)
        if ev is None:
            raise Conflict(f"plan {plan['id']} is stale: event {eid} was deleted after it was made; plan again",
                           f"events.{eid}")
        if ev["status"] == "cancelled" or ev["updated_at"] > made:
            what = ("cancelled" if ev["status"] == "cancelled" else
                    "published" if ev["status"] == "published" and plan["keep_published"]
                    and event_key(eid) not in kept else "changed")
            raise Conflict(f"plan {plan['id']} is stale: event {eid} {ev['title']!r} was {what} after it was made; "
                           "plan again", f"events.{eid}")
    for eid, ev in sorted(current.items()):
        if eid not in in_plan and ev["status"] == "published" and ev["updated_at"] > made:
            raise Conflict(f"plan {plan['id']} is stale: event {eid} {ev['title']!r} was published after it was "
                           "made; plan again", f"events.{eid}")


async def _apply(a: dict[str, Any], ev: dict[str, Any], tz: str, capacity: dict[int, int], cares: set[int],
                 now: dt.datetime) -> None:
    """Write one placed event (and its open interpreter assignments)."""
    start = parse_local(a["start"], tz)
    end = start + dt.timedelta(minutes=ev["duration_minutes"])
    room_id = parse_key(a["room"], "room")
    care_id = parse_key(a["childcare"], "childcare") if a.get("childcare") else None
    if room_id not in capacity:
        raise Conflict(f"room {room_id} was deleted after the plan was made; plan again", f"events.{ev['id']}.room")
    if care_id is not None and care_id not in cares:
        raise Conflict(f"childcare {care_id} was deleted after the plan was made; plan again",
                       f"events.{ev['id']}.childcare")
    values = {Event.status: "published", Event.starts_at: start, Event.ends_at: end, Event.room: room_id,
              Event.seats: min(capacity[room_id], ev["seat_limit"] or capacity[room_id]), Event.childcare: care_id, Event.updated_at: now}
    if ev["status"] == "published":
        if (ev["starts_at"], ev["room"], ev["childcare"]) == (start, room_id, care_id):
            return  # re-planned to where it already is: nothing changes, nothing to tell calendars
        values[Event.sequence] = ev["sequence"] + 1
        await ChildcareBooking.update({ChildcareBooking.childcare: care_id}).where(
            (ChildcareBooking.event == ev["id"]) & (ChildcareBooking.status != "cancelled")).run()
        await InterpreterAssignment.update({InterpreterAssignment.status: "cancelled",
                                            InterpreterAssignment.updated_at: now}).where(
            (InterpreterAssignment.event == ev["id"]) & (InterpreterAssignment.status != "cancelled")).run()
    await Event.update(values).where(Event.id == ev["id"]).run()
    if ev["interpreter_languages"]:
        await InterpreterAssignment.insert(*[
            InterpreterAssignment(event=ev["id"], school=ev["school"], language=lang, interpreter=None, status="open",
                                  starts_at=start, ends_at=end, updated_at=now)
            for lang in sorted(ev["interpreter_languages"])]).run()
