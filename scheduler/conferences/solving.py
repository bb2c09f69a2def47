"""Solving a conference week: the rows become the pure solver's problem document, its answer meetings."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

from resources.tables import Interpreter, InterpreterAvailability, InterpreterBusy
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences import solver as conferences
from scheduler.conferences.rows import (
    AWAY,
    LIVE,
    STALE_SOLVE,
    admin_window,
    load_evenings,
    load_meetings,
    load_school,
    load_window,
    mark_stale,
    meeting_out,
    window_out,
)
from scheduler.conferences.schemas import MeetingOut, SolveIn, WindowOut
from scheduler.conferences.solver.model import requests as conference_requests
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceMeeting,
    ConferenceSplitHousehold,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.db import locked, writing
from scheduler.core.errors import Conflict, InvalidInput
from scheduler.core.timeutil import utcnow, zone
from scheduler.families.tables import Child, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.planning.instance import clip, fmt, local_date, merge, row_span, subtract, weekly_spans


def _pairs(spans: list[tuple[int, int]], tz: Any) -> list[dict[str, str]]:
    return [{"start": fmt(a, tz), "end": fmt(b, tz)} for a, b in spans if b > a]


async def build_problem_doc(window: dict[str, Any], tz_name: str) -> dict[str, Any]:
    """The solver's input JSON for a stored window (ids: ``t12``, ``r3``, ``c40``, ``f7``, ``g0``, ``i2``).

    Families: weekly pattern expanded on the evenings plus dated free time,
    minus dated busy time; a family that gave no availability at all is
    taken as free all evening (the school will phone them, not skip them).
    Interpreters: weekly pattern minus imported busy time and assignments
    they already claimed. Split households list one guardian per name in
    ``Family.guardians``; each gets the family's availability.
    """
    tz = zone(tz_name)
    evenings = [row_span(e) for e in await load_evenings(window["id"])]
    dates = sorted({local_date(a, tz) for a, _ in evenings})
    teachers = await ConferenceTeacher.select().where(ConferenceTeacher.window == window["id"]).order_by(
        ConferenceTeacher.id).run()
    tids = [t["id"] for t in teachers] or [0]
    times = await ConferenceTeacherTime.select().where(ConferenceTeacherTime.teacher.is_in(tids)).run()
    classes = await ConferenceClass.select().where(ConferenceClass.teacher.is_in(tids)).order_by(
        ConferenceClass.id).run()
    child_ids = sorted({c["child"] for c in classes}) or [0]
    children = await Child.select(Child.id, Child.family, Child.first_name).where(Child.id.is_in(child_ids)).run()
    fam_ids = sorted({c["family"] for c in children}) or [0]
    families = await Family.select(Family.id, Family.name, Family.language, Family.guardians).where(
        Family.id.is_in(fam_ids)).order_by(Family.id).run()
    split = {r["family"] for r in await ConferenceSplitHousehold.select(ConferenceSplitHousehold.family).where(
        ConferenceSplitHousehold.window == window["id"]).run()}
    weekly = defaultdict(list)
    for r in await FamilyAvailability.select().where(FamilyAvailability.family.is_in(fam_ids)).run():
        weekly[r["family"]].append(r)
    free, busy = defaultdict(list), defaultdict(list)
    for r in await FamilyDatedAvailability.select().where(FamilyDatedAvailability.family.is_in(fam_ids)).run():
        (busy if r["busy"] else free)[r["family"]].append(row_span(r))
    interpreters = await Interpreter.select().where(Interpreter.school == window["school"]).order_by(
        Interpreter.id).run()
    iids = [i["id"] for i in interpreters] or [0]
    i_weekly = defaultdict(list)
    for r in await InterpreterAvailability.select().where(InterpreterAvailability.interpreter.is_in(iids)).run():
        i_weekly[r["interpreter"]].append(r)
    i_busy = defaultdict(list)
    for r in await InterpreterBusy.select().where(InterpreterBusy.interpreter.is_in(iids)).run():
        i_busy[r["interpreter"]].append(row_span(r))
    for r in await InterpreterAssignment.select().where(
            InterpreterAssignment.interpreter.is_in(iids)
            & InterpreterAssignment.status.is_in(["claimed", "confirmed"])).run():
        i_busy[r["interpreter"]].append(row_span(r))

    def within(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return merge(s for ev in evenings for s in clip(spans, ev))

    by_teacher = defaultdict(list)
    for c in classes:
        by_teacher[c["teacher"]].append(f"c{c['child']}")
    teacher_docs = []
    for t in teachers:
        mine = [x for x in times if x["teacher"] == t["id"]]
        avail = [row_span(x) for x in mine if x["kind"] == "available"]
        doc = {"id": f"t{t['id']}", "name": t["name"], "room": f"r{t['room']}", "language": t["language"],
               "students": by_teacher[t["id"]],
               "breaks": _pairs(merge(row_span(x) for x in mine if x["kind"] in AWAY), tz)}
        if avail:
            doc["availability"] = _pairs(within(avail), tz)
        teacher_docs.append(doc)
    kids_of = defaultdict(list)
    for c in children:
        kids_of[c["family"]].append(f"c{c['id']}")
    family_docs = []
    for f in families:
        said = weekly[f["id"]] or free[f["id"]]
        base = merge(weekly_spans(weekly[f["id"]], dates, tz) + free[f["id"]]) if said else evenings
        doc = {"id": f"f{f['id']}", "name": f"the {f['name']}", "language": f["language"] or "en",
               "children": kids_of[f["id"]], "availability": _pairs(within(subtract(base, busy[f["id"]])), tz)}
        if f["id"] in split and len(f["guardians"] or []) >= 2:
            doc["guardians"] = [{"id": f"g{k}", "name": name} for k, name in enumerate(f["guardians"])]
        family_docs.append(doc)
    interp_docs = [{"id": f"i{i['id']}", "name": i["name"], "languages": list(i["languages"] or []),
                    "availability": _pairs(within(subtract(weekly_spans(i_weekly[i["id"]], dates, tz),
                                                           i_busy[i["id"]])), tz)}
                   for i in interpreters if i["languages"]]
    return {
        "window": {"timezone": tz_name, "evenings": _pairs(evenings, tz), "slot_minutes": window["slot_minutes"],
                   "interpreted_slot_minutes": window["interpreted_slot_minutes"],
                   "passing_minutes": window["passing_minutes"], "grid_minutes": window["grid_minutes"]},
        "teachers": teacher_docs,
        "children": [{"id": f"c{c['id']}", "name": c["first_name"]} for c in children],
        "families": family_docs,
        "interpreters": interp_docs,
    }


def _solve_doc(doc: dict[str, Any], time_limit: float, seed: int, effort: float | None = None) -> tuple[Any, Any]:
    """Parse and solve off the event loop (CP-SAT releases the GIL; parsing is Python)."""
    problem = conferences.parse_problem(doc)
    return problem, conferences.solve(problem, time_limit=time_limit, seed=seed, effort=effort)


def _num(pure_id: str | None) -> int | None:
    return None if pure_id is None else int(pure_id[1:])


async def solve_window(actor: Principal, window_id: int, data: SolveIn, effort: float | None = None) -> WindowOut:
    """Build the problem, solve it in a thread, and replace the proposed meetings (answers when done).

    ``effort`` (not offered over HTTP) is the search budget in CP-SAT
    deterministic seconds: when it, not the wall clock, ends the search, the
    same window and seed give the same meetings (the demo district relies on it).
    """
    doc = await start_solve(actor, window_id)
    return await finish_solve(window_id, doc, data, effort)


async def start_solve(actor: Principal, window_id: int) -> dict[str, Any]:
    """Mark the window ``solving`` (a second solve gets 409) and return the solver's problem document.

    Split from :func:`finish_solve` so a page can refuse at once (no teachers, already published) and then
    let the solve run after its answer (a background task) while the browser polls the window's status.
    """
    window, school = await admin_window(actor, window_id)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        stale = window["solve_started_at"] is not None and window["solve_started_at"] < utcnow() - STALE_SOLVE
        if window["status"] == "published" or (window["status"] == "solving" and not stale):
            raise Conflict(f"conference window {window_id} is {window['status']}", "window_id")
        doc = await build_problem_doc(window, school["timezone"])
        if not doc["teachers"]:
            raise InvalidInput([("teachers", "the window has no teachers yet")])
        await ConferenceWindow.update({ConferenceWindow.status: "solving",
                                       ConferenceWindow.solve_started_at: utcnow()}).where(
            ConferenceWindow.id == window_id).run()
    return doc


async def finish_solve(window_id: int, doc: dict[str, Any], data: SolveIn, effort: float | None = None) -> WindowOut:
    """Solve the document in a worker thread with no lock held, then store the answer in one transaction
    — or put the window back to ``draft`` when the solver fails (three short transactions in all)."""
    try:
        problem, schedule = await asyncio.to_thread(_solve_doc, doc, data.time_limit, data.seed, effort)
    except BaseException as exc:
        async with writing():
            await mark_stale(window_id)
        if isinstance(exc, conferences.ProblemError):
            raise InvalidInput([tuple(e.split(": ", 1)) if ": " in e else ("$", e) for e in exc.errors]) from exc
        raise
    reqs = {r.id: r for r in conference_requests(problem)}
    rows = []
    for m in schedule.meetings:
        r = reqs[m.request]
        rows.append(ConferenceMeeting(
            window=window_id, teacher=_num(r.teacher.id), family=_num(r.party.family),
            guardian=_num(r.party.guardian), child_ids=[_num(c) for c in r.children], starts_at=m.start,
            ends_at=m.end, language=r.party.language if r.interpreted else None,
            interpreter=_num(m.interpreter), status="proposed"))
    unplaced = [{"family_id": _num(reqs[u.request].party.family), "guardian": reqs[u.request].party.name
                 if reqs[u.request].party.guardian else None, "teacher_id": _num(reqs[u.request].teacher.id),
                 "reason": u.reason} for u in schedule.unplaced]
    figures = {"status": schedule.status, "objective": schedule.objective, "bound": schedule.bound,
               **conferences.summary(problem, schedule),
               "wall_seconds": round(float(schedule.stats.get("wall_seconds", 0.0)), 3)}
    async with writing():
        await ConferenceMeeting.delete().where(ConferenceMeeting.window == window_id).run()
        for i in range(0, len(rows), 400):
            await ConferenceMeeting.insert(*rows[i:i + 400]).run()
        await ConferenceWindow.update({
            ConferenceWindow.status: "solved", ConferenceWindow.summary: json.dumps(figures),
            ConferenceWindow.unplaced: json.dumps(unplaced), ConferenceWindow.solved_at: utcnow(),
            ConferenceWindow.updated_at: utcnow()}).where(ConferenceWindow.id == window_id).run()
    window = await load_window(window_id)
    return await window_out(window, (await load_school(window["school"]))["timezone"])


async def list_meetings(actor: Principal, window_id: int) -> list[MeetingOut]:
    _, school = await admin_window(actor, window_id)
    rows = await load_meetings((ConferenceMeeting.window == window_id) & ConferenceMeeting.status.is_in(list(LIVE)))
    return [meeting_out(r, school["timezone"]) for r in rows]
