"""Parent-teacher conferences: use cases over the database around the pure solver.

The solver (``scheduler/conferences``) knows nothing of Piccolo; here the
stored window, teachers, class lists and families become its JSON input,
its schedule becomes proposed meetings, and families then accept or move
them one at a time. Every use case is one transaction; moves lock the
family row, then the teacher row (always that order, so two moves never
deadlock), and the database's unique index / exclusion constraints back
that up (see ``conference_tables``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
from collections import defaultdict
from typing import Annotated, Any

from msgspec import Meta, Struct

from resources.services import language_problems, school_by_slug
from resources.tables import Interpreter, InterpreterAvailability, InterpreterBusy, Room, School
from scheduler import conferences
from scheduler.access import Owner, owner_of
from scheduler.auth import Principal, require_admin, require_family_access
from scheduler.conference_tables import (
    ConferenceClass,
    ConferenceEvening,
    ConferenceMeeting,
    ConferenceSplitHousehold,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.db import locked, writing
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.schemas import LocalDateTime
from scheduler.validation import Email, LangCode, one_line
from scheduler.conferences.model import requests as conference_requests
from scheduler.planning import clip, fmt, local_date, merge, row_span, subtract, weekly_spans
from scheduler.tables import Child, Event, Family, FamilyAvailability, FamilyDatedAvailability, InterpreterAssignment
from scheduler.timeutil import TimeError, format_local, parse_local_spans, parse_typed, utcnow, zone

Minutes = Annotated[int, Meta(ge=1, le=240)]
IdList = Annotated[list[Annotated[int, Meta(ge=1, le=2_147_483_647)]], Meta(max_length=5000)]
LIVE = ("proposed", "accepted")
STALE_SOLVE = dt.timedelta(minutes=10)  # a "solving" window older than this was interrupted

# ---------------------------------------------------------------- shapes


class SpanIn(Struct, forbid_unknown_fields=True):
    start: LocalDateTime
    end: LocalDateTime


class SpanOut(Struct):
    start: str
    end: str


class WindowIn(Struct, forbid_unknown_fields=True):
    name: one_line(200)
    evenings: Annotated[list[SpanIn], Meta(min_length=1, max_length=14)]
    slot_minutes: Minutes = 10
    interpreted_slot_minutes: Minutes = 20
    passing_minutes: Annotated[int, Meta(ge=0, le=60)] = 5


class TeacherIn(Struct, forbid_unknown_fields=True):
    name: one_line(120)
    email: Email
    room_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]
    language: LangCode = "en"
    availability: Annotated[list[SpanIn], Meta(max_length=50)] = []
    breaks: Annotated[list[SpanIn], Meta(max_length=50)] = []
    child_ids: IdList = []


class ClassListIn(Struct, forbid_unknown_fields=True):
    child_ids: IdList


class SplitIn(Struct, forbid_unknown_fields=True):
    family_ids: IdList


class SolveIn(Struct, forbid_unknown_fields=True):
    time_limit: Annotated[float, Meta(ge=1, le=300)] = 20.0
    seed: Annotated[int, Meta(ge=0, le=2_147_483_647)] = 0


class MoveIn(Struct, forbid_unknown_fields=True):
    start: LocalDateTime


class UnplacedOut(Struct):
    family_id: int
    guardian: str | None
    teacher_id: int
    reason: str


class WindowOut(Struct):
    id: int
    school_id: int
    name: str
    status: str
    timezone: str
    evenings: list[SpanOut]
    slot_minutes: int
    interpreted_slot_minutes: int
    passing_minutes: int
    teachers: int
    meetings: int
    summary: dict[str, Any]
    unplaced: list[UnplacedOut]
    solved_at: dt.datetime | None
    published_at: dt.datetime | None


class TeacherOut(Struct):
    id: int
    window_id: int
    name: str
    email: str
    room_id: int
    room: str
    language: str
    availability: list[SpanOut]
    breaks: list[SpanOut]
    child_ids: list[int]


class MeetingOut(Struct):
    id: int
    window_id: int
    teacher_id: int
    teacher: str
    room: str
    family_id: int
    family: str
    guardian: str | None
    child_ids: list[int]
    start: str
    end: str
    minutes: int
    language: str | None
    interpreter_id: int | None
    status: str


class ItineraryOut(Struct):
    family_id: int
    meetings: list[MeetingOut]
    unplaced: list[UnplacedOut]


class FreeSlotOut(Struct):
    start: str  # YYYY-MM-DDTHH:MM, what /move takes
    end: str
    starts_at: str  # ISO 8601 with the school's offset


class TeacherDayOut(Struct):
    teacher_id: int
    teacher: str
    room: str
    date: dt.date
    meetings: list[MeetingOut]


class PublishOut(Struct):
    window: WindowOut
    event_ids: list[int]
    assignments: int


@dataclasses.dataclass(frozen=True)
class ConferenceFeedItem:
    """What a calendar feed needs for one meeting; no child names (feeds leak)."""

    uid_seed: str
    title: str
    start: dt.datetime
    end: dt.datetime
    location: str
    updated_at: dt.datetime
    status: str  # tentative (proposed) / confirmed (accepted) / cancelled
    description: str


# ---------------------------------------------------------------- reading


async def _window(window_id: int) -> dict[str, Any]:
    row = await ConferenceWindow.select().where(ConferenceWindow.id == window_id).first().run()
    if row is None:
        raise NotFound(f"no conference window {window_id}", "window_id")
    return row


async def _school(school_id: int) -> dict[str, Any]:
    return await School.select().where(School.id == school_id).first().run()


async def _admin_window(actor: Principal, window_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    window = await _window(window_id)
    require_admin(actor, window["school"])
    return window, await _school(window["school"])


async def _evenings(window_id: int) -> list[dict[str, Any]]:
    return await ConferenceEvening.select().where(ConferenceEvening.window == window_id).order_by(
        ConferenceEvening.starts_at).run()


def _span_out(a: dt.datetime, b: dt.datetime, tz: str) -> SpanOut:
    return SpanOut(start=format_local(a, tz), end=format_local(b, tz))


def _local(instant: dt.datetime, tz: str) -> str:
    return instant.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


async def _window_out(window: dict[str, Any], tz: str) -> WindowOut:
    evenings = await _evenings(window["id"])
    teachers = await ConferenceTeacher.count().where(ConferenceTeacher.window == window["id"]).run()
    meetings = await ConferenceMeeting.count().where((ConferenceMeeting.window == window["id"])
                                                     & ConferenceMeeting.status.is_in(list(LIVE))).run()
    return WindowOut(
        id=window["id"], school_id=window["school"], name=window["name"], status=window["status"], timezone=tz,
        evenings=[_span_out(e["starts_at"], e["ends_at"], tz) for e in evenings],
        slot_minutes=window["slot_minutes"], interpreted_slot_minutes=window["interpreted_slot_minutes"],
        passing_minutes=window["passing_minutes"], teachers=teachers, meetings=meetings,
        summary=json.loads(window["summary"]), unplaced=[UnplacedOut(**u) for u in json.loads(window["unplaced"])],
        solved_at=window["solved_at"], published_at=window["published_at"])


def _meeting_columns() -> list:
    m = ConferenceMeeting
    return [*m.all_columns(), m.teacher.name.as_alias("teacher_name"), m.teacher.room.name.as_alias("room_name"),
            m.teacher.room.id.as_alias("room_id"), m.family.name.as_alias("family_name"),
            m.family.guardians.as_alias("family_guardians")]


async def _meetings(where: Any) -> list[dict[str, Any]]:
    return await ConferenceMeeting.select(*_meeting_columns()).where(where).order_by(
        ConferenceMeeting.starts_at).order_by(ConferenceMeeting.id).run()


def _guardian_name(row: dict[str, Any]) -> str | None:
    g, names = row["guardian"], row["family_guardians"] or []
    if g is None:
        return None
    return names[g] if g < len(names) else f"guardian {g + 1}"


def _meeting_out(row: dict[str, Any], tz: str) -> MeetingOut:
    return MeetingOut(
        id=row["id"], window_id=row["window"], teacher_id=row["teacher"], teacher=row["teacher_name"],
        room=row["room_name"], family_id=row["family"], family=row["family_name"], guardian=_guardian_name(row),
        child_ids=list(row["child_ids"] or []), start=format_local(row["starts_at"], tz),
        end=format_local(row["ends_at"], tz), minutes=int((row["ends_at"] - row["starts_at"]).total_seconds() // 60),
        language=row["language"], interpreter_id=row["interpreter"], status=row["status"])


# ---------------------------------------------------------------- validation


def _parse_spans(items: list[SpanIn], tz: str, field: str, problems: list[tuple[str, str]]
                 ) -> list[tuple[dt.datetime, dt.datetime]]:
    """Local spans -> UTC pairs; every bad one is named by its path (``evenings[1].end``)."""
    return [(start, end) for _, start, end in parse_local_spans(items, tz, field, problems)]


def _inside_evenings(spans: list[tuple[dt.datetime, dt.datetime]], items: list[SpanIn], evenings: list[dict[str, Any]],
                     field: str, problems: list[tuple[str, str]]) -> None:
    for i, (a, b) in enumerate(spans):
        if not any(e["starts_at"] <= a and b <= e["ends_at"] for e in evenings):
            problems.append((f"{field}[{i}].start", f"{items[i].start}–{items[i].end} is outside the conference evenings"))


async def _child_problems(child_ids: list[int], school_id: int, field: str) -> list[tuple[str, str]]:
    if not child_ids:
        return []
    rows = await Child.select(Child.id, Child.family.school.as_alias("school")).where(Child.id.is_in(child_ids)).run()
    known = {r["id"] for r in rows if r["school"] == school_id}
    problems = [(f"{field}[{i}]", f"no child {c} in this school") for i, c in enumerate(child_ids) if c not in known]
    seen: set[int] = set()
    for i, c in enumerate(child_ids):
        if c in seen:
            problems.append((f"{field}[{i}]", f"child {c} is listed twice"))
        seen.add(c)
    return problems


def _editable(window: dict[str, Any]) -> None:
    if window["status"] in ("solving", "published"):
        raise Conflict(f"conference window {window['id']} is {window['status']}; it cannot be changed now", "window_id")


async def _mark_stale(window_id: int) -> None:
    """Any change to the inputs makes the last solve a draft again (publish needs a fresh solve)."""
    await ConferenceWindow.update({ConferenceWindow.status: "draft", ConferenceWindow.updated_at: utcnow()}).where(
        ConferenceWindow.id == window_id).run()


# ---------------------------------------------------------------- windows, teachers, class lists


@owner_of("window_id")
async def _window_owner(window_id: int) -> Owner | None:
    row = await ConferenceWindow.select(ConferenceWindow.school).where(ConferenceWindow.id == window_id).first().run()
    return None if row is None else Owner(school=row["school"])


@owner_of("teacher_id")
async def _teacher_owner(teacher_id: int) -> Owner | None:
    row = await ConferenceTeacher.select(ConferenceTeacher.window.school.as_alias("school")).where(
        ConferenceTeacher.id == teacher_id).first().run()
    return None if row is None else Owner(school=row["school"])


@owner_of("meeting_id")
async def _meeting_owner(meeting_id: int) -> Owner | None:
    row = await ConferenceMeeting.select(ConferenceMeeting.family, ConferenceMeeting.window.school.as_alias("school")
                                         ).where(ConferenceMeeting.id == meeting_id).first().run()
    return None if row is None else Owner(school=row["school"], family=row["family"])


async def create_window(actor: Principal, slug: str, data: WindowIn) -> WindowOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    problems: list[tuple[str, str]] = []
    spans = sorted(_parse_spans(data.evenings, school["timezone"], "evenings", problems))
    for (a0, b0), (a1, _) in zip(spans, spans[1:]):
        if a1 < b0:
            problems.append(("evenings", "evenings overlap"))
    if data.interpreted_slot_minutes < data.slot_minutes:
        problems.append(("interpreted_slot_minutes", "must be at least slot_minutes (interpreting takes longer)"))
    if problems:
        raise InvalidInput(problems)
    async with writing():
        row = (await ConferenceWindow.insert(ConferenceWindow(
            school=school["id"], name=data.name, slot_minutes=data.slot_minutes,
            interpreted_slot_minutes=data.interpreted_slot_minutes, passing_minutes=data.passing_minutes))
            .returning(*ConferenceWindow.all_columns()).run())[0]
        await ConferenceEvening.insert(*[ConferenceEvening(window=row["id"], starts_at=a, ends_at=b)
                                         for a, b in spans]).run()
    return await _window_out(row, school["timezone"])


async def get_window(actor: Principal, window_id: int) -> WindowOut:
    window, school = await _admin_window(actor, window_id)
    return await _window_out(window, school["timezone"])


async def list_windows(actor: Principal, slug: str) -> list[WindowOut]:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    rows = await ConferenceWindow.select().where(ConferenceWindow.school == school["id"]).order_by(
        ConferenceWindow.id).run()
    return [await _window_out(r, school["timezone"]) for r in rows]


async def _teacher_out(row: dict[str, Any], tz: str) -> TeacherOut:
    times = await ConferenceTeacherTime.select().where(ConferenceTeacherTime.teacher == row["id"]).order_by(
        ConferenceTeacherTime.starts_at).run()
    kids = await ConferenceClass.select(ConferenceClass.child).where(ConferenceClass.teacher == row["id"]).order_by(
        ConferenceClass.child).run()
    room = await Room.select(Room.name).where(Room.id == row["room"]).first().run()
    return TeacherOut(
        id=row["id"], window_id=row["window"], name=row["name"], email=row["email"], room_id=row["room"],
        room=room["name"], language=row["language"],
        availability=[_span_out(t["starts_at"], t["ends_at"], tz) for t in times if t["kind"] == "available"],
        breaks=[_span_out(t["starts_at"], t["ends_at"], tz) for t in times if t["kind"] == "break"],
        child_ids=[k["child"] for k in kids])


async def create_teacher(actor: Principal, window_id: int, data: TeacherIn) -> TeacherOut:
    """A teacher with their room, dated availability and breaks, and (optionally) their class list."""
    window, school = await _admin_window(actor, window_id)
    tz = school["timezone"]
    problems: list[tuple[str, str]] = []
    if not await Room.exists().where((Room.id == data.room_id) & (Room.school == school["id"])).run():
        problems.append(("room_id", f"no room {data.room_id} in this school"))
    problems += [("language", m) for _, m in language_problems([data.language], "language")]
    evenings = await _evenings(window_id)
    avail = _parse_spans(data.availability, tz, "availability", problems)
    _inside_evenings(avail, data.availability, evenings, "availability", problems)
    breaks = _parse_spans(data.breaks, tz, "breaks", problems)
    _inside_evenings(breaks, data.breaks, evenings, "breaks", problems)
    problems += await _child_problems(data.child_ids, school["id"], "child_ids")
    if problems:
        raise InvalidInput(problems)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        _editable(window)
        row = (await ConferenceTeacher.insert(ConferenceTeacher(
            window=window_id, name=data.name, email=data.email, room=data.room_id, language=data.language))
            .returning(*ConferenceTeacher.all_columns()).run())[0]
        times = [ConferenceTeacherTime(teacher=row["id"], kind="available", starts_at=a, ends_at=b) for a, b in avail]
        times += [ConferenceTeacherTime(teacher=row["id"], kind="break", starts_at=a, ends_at=b) for a, b in breaks]
        if times:
            await ConferenceTeacherTime.insert(*times).run()
        if data.child_ids:
            await ConferenceClass.insert(*[ConferenceClass(teacher=row["id"], child=c) for c in data.child_ids]).run()
        await _mark_stale(window_id)
    return await _teacher_out(row, tz)


async def _teacher(teacher_id: int) -> dict[str, Any]:
    row = await ConferenceTeacher.select().where(ConferenceTeacher.id == teacher_id).first().run()
    if row is None:
        raise NotFound(f"no teacher {teacher_id}", "teacher_id")
    return row


async def list_teachers(actor: Principal, window_id: int) -> list[TeacherOut]:
    _, school = await _admin_window(actor, window_id)
    rows = await ConferenceTeacher.select().where(ConferenceTeacher.window == window_id).order_by(
        ConferenceTeacher.id).run()
    return [await _teacher_out(r, school["timezone"]) for r in rows]


async def set_class_list(actor: Principal, teacher_id: int, data: ClassListIn) -> TeacherOut:
    teacher = await _teacher(teacher_id)
    _, school = await _admin_window(actor, teacher["window"])
    problems = await _child_problems(data.child_ids, school["id"], "child_ids")
    if problems:
        raise InvalidInput(problems)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == teacher["window"])).first().run()
        _editable(window)
        await ConferenceClass.delete().where(ConferenceClass.teacher == teacher_id).run()
        if data.child_ids:
            await ConferenceClass.insert(*[ConferenceClass(teacher=teacher_id, child=c) for c in data.child_ids]).run()
        await _mark_stale(teacher["window"])
    return await _teacher_out(teacher, school["timezone"])


async def set_split_households(actor: Principal, window_id: int, data: SplitIn) -> list[int]:
    """The families whose guardians (``Family.guardians``, two or more) meet teachers separately."""
    _, school = await _admin_window(actor, window_id)
    rows = {r["id"]: r for r in await Family.select(Family.id, Family.school, Family.guardians).where(
        Family.id.is_in(data.family_ids or [0])).run()}
    problems = []
    for i, fid in enumerate(data.family_ids):
        row = rows.get(fid)
        if row is None or row["school"] != school["id"]:
            problems.append((f"family_ids[{i}]", f"no family {fid} in this school"))
        elif len(row["guardians"] or []) < 2:
            problems.append((f"family_ids[{i}]", f"family {fid} lists fewer than two guardians"))
    if len(set(data.family_ids)) != len(data.family_ids):
        problems.append(("family_ids", "a family is listed twice"))
    if problems:
        raise InvalidInput(problems)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        _editable(window)
        await ConferenceSplitHousehold.delete().where(ConferenceSplitHousehold.window == window_id).run()
        if data.family_ids:
            await ConferenceSplitHousehold.insert(*[ConferenceSplitHousehold(window=window_id, family=f)
                                                    for f in data.family_ids]).run()
        await _mark_stale(window_id)
    return sorted(data.family_ids)


# ---------------------------------------------------------------- DB -> pure problem


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
    evenings = [row_span(e) for e in await _evenings(window["id"])]
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
               "breaks": _pairs(merge(row_span(x) for x in mine if x["kind"] == "break"), tz)}
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
    """Build the problem, solve it in a thread, and replace the proposed meetings.

    ``effort`` (not offered over HTTP) is the search budget in CP-SAT
    deterministic seconds: when it, not the wall clock, ends the search, the
    same window and seed give the same meetings (the demo district relies on it).

    Three short transactions rather than one long one: the window is marked
    ``solving`` (a second solve gets 409), the solver runs with no lock
    held, and the answer is stored — or the window goes back to ``draft``.
    """
    window, school = await _admin_window(actor, window_id)
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
    try:
        problem, schedule = await asyncio.to_thread(_solve_doc, doc, data.time_limit, data.seed, effort)
    except BaseException as exc:
        async with writing():
            await _mark_stale(window_id)
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
    return await _window_out(await _window(window_id), school["timezone"])


async def list_meetings(actor: Principal, window_id: int) -> list[MeetingOut]:
    _, school = await _admin_window(actor, window_id)
    rows = await _meetings((ConferenceMeeting.window == window_id) & ConferenceMeeting.status.is_in(list(LIVE)))
    return [_meeting_out(r, school["timezone"]) for r in rows]


# ---------------------------------------------------------------- publish


def interpreter_blocks(meetings: list[dict[str, Any]], gap: dt.timedelta) -> list[tuple[str, dt.datetime, dt.datetime,
                                                                                       list[int]]]:
    """Interpreted meetings -> (language, start, end, meeting ids) per contiguous run of one
    interpreter in one language; a run breaks where the wait exceeds ``gap``."""
    runs: dict[tuple[Any, str], list[dict[str, Any]]] = defaultdict(list)
    for m in sorted(meetings, key=lambda m: m["starts_at"]):
        runs[(m["interpreter"], m["language"])].append(m)
    blocks = []
    for (_, lang), ms in sorted(runs.items(), key=lambda kv: (kv[1][0]["starts_at"], kv[0][1])):
        cur = [ms[0]]
        for m in ms[1:]:
            if m["starts_at"] - cur[-1]["ends_at"] > gap:
                blocks.append((lang, cur[0]["starts_at"], cur[-1]["ends_at"], [x["id"] for x in cur]))
                cur = []
            cur.append(m)
        blocks.append((lang, cur[0]["starts_at"], cur[-1]["ends_at"], [x["id"] for x in cur]))
    return sorted(blocks, key=lambda b: (b[1], b[0]))


async def publish(actor: Principal, window_id: int) -> PublishOut:
    """Make a solved window visible to families and open its interpreting to interpreters.

    Each evening becomes an ``Event`` of kind ``conference`` (published, no
    room, no seats) because ``InterpreterAssignment.event`` is NOT NULL.
    The database allows one live assignment per (event, language), so when
    one evening needs two blocks in the same language, the second hangs on
    a second event of that evening ("… interpreting 2").
    """
    _, school = await _admin_window(actor, window_id)
    tz = school["timezone"]
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        if window["status"] != "solved":
            raise Conflict(f"conference window {window_id} is {window['status']}; solve it before publishing",
                           "window_id")
        evenings = await _evenings(window_id)
        meetings = await ConferenceMeeting.select().where(
            (ConferenceMeeting.window == window_id) & ConferenceMeeting.status.is_in(list(LIVE))
            & ConferenceMeeting.language.is_not_null()).run()
        gap = dt.timedelta(minutes=window["passing_minutes"] + 5)
        event_ids, assignments = [], 0
        for ev in evenings:
            parts: list[int] = []
            used: dict[str, int] = defaultdict(int)  # language -> blocks hung so far this evening

            async def event(k: int, langs: list[str]) -> int:
                while len(parts) <= k:
                    day = ev["starts_at"].astimezone(zone(tz)).date()
                    title = "Parent-teacher conferences" + (f" — interpreting {len(parts) + 1}" if parts else "")
                    parts.append((await Event.insert(Event(
                        school=school["id"], kind="conference", title=title, status="published",
                        description=f"{window['name']}: parent-teacher conferences. Families see their own times "
                                    "under their conference itinerary.",
                        duration_minutes=int((ev["ends_at"] - ev["starts_at"]).total_seconds() // 60),
                        earliest_date=day, latest_date=day, starts_at=ev["starts_at"], ends_at=ev["ends_at"],
                        seats=0, room_tags=[], audience=[], interpreter_languages=langs))
                        .returning(Event.id).run())[0]["id"])
                return parts[k]

            await event(0, [])
            mine = [m for m in meetings if ev["starts_at"] <= m["starts_at"] < ev["ends_at"]]
            for lang, start, end, ids in interpreter_blocks(mine, gap):
                eid = await event(used[lang], [])
                used[lang] += 1
                aid = (await InterpreterAssignment.insert(InterpreterAssignment(
                    event=eid, school=school["id"], language=lang, status="open", starts_at=start, ends_at=end))
                    .returning(InterpreterAssignment.id).run())[0]["id"]
                await ConferenceMeeting.update({ConferenceMeeting.assignment: aid}).where(
                    ConferenceMeeting.id.is_in(ids)).run()
                assignments += 1
            for k, eid in enumerate(parts):
                langs = sorted(lang for lang, n in used.items() if n > k)
                await Event.update({Event.interpreter_languages: langs}).where(Event.id == eid).run()
            await ConferenceEvening.update({ConferenceEvening.event: parts[0]}).where(
                ConferenceEvening.id == ev["id"]).run()
            event_ids += parts
        now = utcnow()
        await ConferenceWindow.update({ConferenceWindow.status: "published", ConferenceWindow.published_at: now,
                                       ConferenceWindow.updated_at: now}).where(
            ConferenceWindow.id == window_id).run()
    return PublishOut(window=await _window_out(await _window(window_id), tz), event_ids=event_ids,
                      assignments=assignments)


# ---------------------------------------------------------------- families: itinerary, accept, move


async def _family(family_id: int) -> dict[str, Any]:
    row = await Family.select().where(Family.id == family_id).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    return row


async def _visible_windows(actor: Principal, school_id: int) -> list[dict[str, Any]]:
    """Families see published windows; the school's admins also see solved proposals."""
    states = ["published"] + (["solved"] if actor.role == "admin" else [])
    return await ConferenceWindow.select().where((ConferenceWindow.school == school_id)
                                                 & ConferenceWindow.status.is_in(states)).run()


async def itinerary(actor: Principal, family_id: int) -> ItineraryOut:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    tz = (await _school(family["school"]))["timezone"]
    windows = await _visible_windows(actor, family["school"])
    wids = [w["id"] for w in windows] or [0]
    rows = await _meetings((ConferenceMeeting.family == family_id) & ConferenceMeeting.window.is_in(wids)
                           & ConferenceMeeting.status.is_in(list(LIVE)))
    unplaced = [UnplacedOut(**u) for w in windows for u in json.loads(w["unplaced"]) if u["family_id"] == family_id]
    return ItineraryOut(family_id=family_id, meetings=[_meeting_out(r, tz) for r in rows], unplaced=unplaced)


async def accept(actor: Principal, family_id: int) -> ItineraryOut:
    """The family says yes to every proposed meeting; runs in the caller's write transaction."""
    family = await locked(Family.select().where(Family.id == family_id)).first().run()
    if family is None:
        raise NotFound(f"no family {family_id}", "family_id")
    require_family_access(actor, family_id, family["school"])
    wids = [w["id"] for w in await _visible_windows(actor, family["school"]) if w["status"] == "published"] or [0]
    await ConferenceMeeting.update({ConferenceMeeting.status: "accepted", ConferenceMeeting.updated_at: utcnow()}).where(
        (ConferenceMeeting.family == family_id) & ConferenceMeeting.window.is_in(wids)
        & (ConferenceMeeting.status == "proposed")).run()
    return await itinerary(actor, family_id)


@dataclasses.dataclass
class SlotContext:
    """Everything that decides whether a meeting may start at some time, read in one go."""

    meeting: dict[str, Any]
    window: dict[str, Any]
    tz: str
    minutes: int
    evenings: list[tuple[dt.datetime, dt.datetime]]
    available: list[tuple[dt.datetime, dt.datetime]]
    breaks: list[tuple[dt.datetime, dt.datetime]]
    teacher_busy: list[tuple[dt.datetime, dt.datetime]]
    party_busy: list[tuple[dt.datetime, dt.datetime, int]]  # (start, end, room id)
    room: int
    teacher_name: str
    block: tuple[dt.datetime, dt.datetime] | None = None  # the interpreter assignment this meeting sits in
    interpreter_busy: list[tuple[dt.datetime, dt.datetime]] = dataclasses.field(default_factory=list)


async def _meeting_for(actor: Principal, meeting_id: int) -> dict[str, Any]:
    row = await ConferenceMeeting.select(*_meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    if row is None:
        raise NotFound(f"no conference meeting {meeting_id}", "meeting_id")
    school = (await _window(row["window"]))["school"]
    require_family_access(actor, row["family"], school)
    return row


async def _slot_context(meeting: dict[str, Any]) -> SlotContext:
    window = await _window(meeting["window"])
    school = await _school(window["school"])
    evenings = [(e["starts_at"], e["ends_at"]) for e in await _evenings(window["id"])]
    times = await ConferenceTeacherTime.select().where(ConferenceTeacherTime.teacher == meeting["teacher"]).run()
    others = ConferenceMeeting.status.is_in(list(LIVE)) & (ConferenceMeeting.id != meeting["id"])
    teacher_rows = await ConferenceMeeting.select(ConferenceMeeting.starts_at, ConferenceMeeting.ends_at).where(
        others & (ConferenceMeeting.teacher == meeting["teacher"])).run()
    party = others & (ConferenceMeeting.family == meeting["family"])
    party &= (ConferenceMeeting.guardian.is_null() if meeting["guardian"] is None
              else ConferenceMeeting.guardian == meeting["guardian"])
    party_rows = await ConferenceMeeting.select(ConferenceMeeting.starts_at, ConferenceMeeting.ends_at,
                                                ConferenceMeeting.teacher.room.as_alias("room")).where(party).run()
    available = [(t["starts_at"], t["ends_at"]) for t in times if t["kind"] == "available"] or evenings
    block, interpreter_busy = None, []
    if meeting["assignment"] is not None:  # an interpreted meeting stays inside its interpreter's block
        a = await InterpreterAssignment.select().where(InterpreterAssignment.id == meeting["assignment"]).first().run()
        block = (a["starts_at"], a["ends_at"])
        interpreter_busy = [(r["starts_at"], r["ends_at"]) for r in await ConferenceMeeting.select(
            ConferenceMeeting.starts_at, ConferenceMeeting.ends_at).where(
            others & (ConferenceMeeting.assignment == meeting["assignment"])).run()]
    return SlotContext(
        meeting=meeting, window=window, tz=school["timezone"],
        minutes=int((meeting["ends_at"] - meeting["starts_at"]).total_seconds() // 60), evenings=evenings,
        available=available, breaks=[(t["starts_at"], t["ends_at"]) for t in times if t["kind"] == "break"],
        teacher_busy=[(r["starts_at"], r["ends_at"]) for r in teacher_rows],
        party_busy=[(r["starts_at"], r["ends_at"], r["room"]) for r in party_rows],
        room=meeting["room_id"], teacher_name=meeting["teacher_name"], block=block,
        interpreter_busy=interpreter_busy)


def slot_problem(ctx: SlotContext, start: dt.datetime, now: dt.datetime) -> tuple[str, str] | None:
    """Why ``start`` cannot hold the meeting: ("invalid", why) for a time that is never a slot
    of this teacher, ("taken", why) for one held by someone; None when it is free."""
    end = start + dt.timedelta(minutes=ctx.minutes)
    grid = dt.timedelta(minutes=ctx.window["grid_minutes"])
    evening = next(((a, b) for a, b in ctx.evenings if a <= start and end <= b), None)
    if evening is None:
        return "invalid", "is outside the conference evenings"
    if (start - evening[0]) % grid:
        return "invalid", f"is not on the {ctx.window['grid_minutes']}-minute grid of the evening"
    if start <= now:
        return "invalid", "is in the past"
    if not any(a <= start and end <= b for a, b in ctx.available) or any(
            a < end and start < b for a, b in ctx.breaks):
        return "invalid", f"is outside {ctx.teacher_name}'s conference hours"
    if any(a < end and start < b for a, b in ctx.teacher_busy):
        return "taken", f"{ctx.teacher_name} already has a conference then"
    passing = dt.timedelta(minutes=ctx.window["passing_minutes"])
    for a, b, room in ctx.party_busy:
        gap = dt.timedelta(0) if room == ctx.room else passing
        if a < end + gap and start < b + gap:
            return "taken", "clashes with your other conference (with time to walk between rooms)"
    if ctx.block is not None:
        if not (ctx.block[0] <= start and end <= ctx.block[1]):
            return "taken", (f"your interpreter is booked for these conferences from {_local(ctx.block[0], ctx.tz)[11:]} "
                             f"to {_local(ctx.block[1], ctx.tz)[11:]} only")
        if any(a < end + passing and start < b + passing for a, b in ctx.interpreter_busy):
            return "taken", "your interpreter is with another family then"
    return None


def free_starts(ctx: SlotContext, now: dt.datetime) -> list[dt.datetime]:
    grid = dt.timedelta(minutes=ctx.window["grid_minutes"])
    out = []
    for a, b in ctx.evenings:
        s = a
        while s + dt.timedelta(minutes=ctx.minutes) <= b:
            if s != ctx.meeting["starts_at"] and slot_problem(ctx, s, now) is None:
                out.append(s)
            s += grid
    return out


def _movable(ctx: SlotContext) -> None:
    if ctx.window["status"] != "published":
        raise Conflict("these conferences are not published yet", "meeting_id")
    if ctx.meeting["status"] not in LIVE:
        raise Conflict(f"conference meeting {ctx.meeting['id']} is {ctx.meeting['status']}", "meeting_id")
    if ctx.meeting["language"] is not None and ctx.meeting["assignment"] is None:
        raise Conflict("no interpreter block holds this conference; ask the school office to move it", "meeting_id")


async def free_slots(actor: Principal, meeting_id: int) -> list[FreeSlotOut]:
    meeting = await _meeting_for(actor, meeting_id)
    ctx = await _slot_context(meeting)
    _movable(ctx)
    step = dt.timedelta(minutes=ctx.minutes)
    return [FreeSlotOut(start=_local(s, ctx.tz), end=_local(s + step, ctx.tz), starts_at=format_local(s, ctx.tz))
            for s in free_starts(ctx, utcnow())]


async def move(actor: Principal, meeting_id: int, data: MoveIn) -> MeetingOut:
    """Move one meeting to a free slot; runs in the caller's write transaction.

    Locks the family row, then the teacher row (then, for an interpreted
    meeting, its interpreter assignment, which it must stay inside), then re-reads everything,
    so two families racing for one slot are served one after the other and
    the second sees the slot taken (409). The unique index on (teacher,
    start) and PostgreSQL's exclusion constraints stand behind that.
    """
    meeting = await _meeting_for(actor, meeting_id)
    tz = (await _school((await _window(meeting["window"]))["school"]))["timezone"]
    try:
        start = parse_typed(data.start, tz)
    except TimeError as exc:
        raise InvalidInput([("start", str(exc))]) from exc
    await locked(Family.select(Family.id).where(Family.id == meeting["family"])).run()
    await locked(ConferenceTeacher.select(ConferenceTeacher.id).where(ConferenceTeacher.id == meeting["teacher"])).run()
    if meeting["assignment"] is not None:  # last in the order: family, teacher, interpreter block
        await locked(InterpreterAssignment.select(InterpreterAssignment.id).where(
            InterpreterAssignment.id == meeting["assignment"])).run()
    meeting = await _meeting_for(actor, meeting_id)
    ctx = await _slot_context(meeting)
    _movable(ctx)
    problem = slot_problem(ctx, start, utcnow())
    if problem is not None:
        kind, why = problem
        if kind == "invalid":
            raise InvalidInput([("start", f"{data.start} {why}")])
        raise Conflict(f"{data.start}: {why}", "start")
    await ConferenceMeeting.update({
        ConferenceMeeting.starts_at: start, ConferenceMeeting.ends_at: start + dt.timedelta(minutes=ctx.minutes),
        ConferenceMeeting.status: "accepted", ConferenceMeeting.moved: True,
        ConferenceMeeting.updated_at: utcnow()}).where(ConferenceMeeting.id == meeting_id).run()
    row = await ConferenceMeeting.select(*_meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    return _meeting_out(row, tz)


# ---------------------------------------------------------------- teachers' day and feeds


def _day_bounds(day: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    z = zone(tz)
    start = dt.datetime.combine(day, dt.time(), z)
    return start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


async def teacher_day(actor: Principal, teacher_id: int, day: dt.date) -> TeacherDayOut:
    teacher = await _teacher(teacher_id)
    _, school = await _admin_window(actor, teacher["window"])
    tz = school["timezone"]
    a, b = _day_bounds(day, tz)
    rows = await _meetings((ConferenceMeeting.teacher == teacher_id) & ConferenceMeeting.status.is_in(list(LIVE))
                           & (ConferenceMeeting.starts_at >= a) & (ConferenceMeeting.starts_at < b))
    room = await Room.select(Room.name).where(Room.id == teacher["room"]).first().run()
    return TeacherDayOut(teacher_id=teacher_id, teacher=teacher["name"], room=room["name"], date=day,
                         meetings=[_meeting_out(r, tz) for r in rows])


_FEED_STATUS = {"proposed": "tentative", "accepted": "confirmed", "cancelled": "cancelled"}


def _feed_item(row: dict[str, Any], title: str) -> ConferenceFeedItem:
    note = f"Interpreter: {row['language']}" if row["language"] else ""
    return ConferenceFeedItem(uid_seed=f"conference-meeting-{row['id']}", title=title, start=row["starts_at"],
                              end=row["ends_at"], location=row["room_name"], updated_at=row["updated_at"],
                              status=_FEED_STATUS.get(row["status"], "cancelled"), description=note)


async def conference_feed_items(family_id: int) -> list[ConferenceFeedItem]:
    """A family's meetings in published windows, cancelled ones included (feeds show cancellations).

    Titles name the teacher and room, never the children: feed URLs get shared.
    """
    windows = await ConferenceWindow.select(ConferenceWindow.id).where(ConferenceWindow.status == "published").run()
    rows = await _meetings((ConferenceMeeting.family == family_id)
                           & ConferenceMeeting.window.is_in([w["id"] for w in windows] or [0]))
    return [_feed_item(r, f"Conference with {r['teacher_name']} ({r['room_name']})") for r in rows]


async def teacher_day_items(teacher_id: int, day: dt.date) -> list[ConferenceFeedItem]:
    """One teacher's live meetings on a local date, titled with the family (teachers need to know who comes)."""
    teacher = await _teacher(teacher_id)
    school = await _school((await _window(teacher["window"]))["school"])
    a, b = _day_bounds(day, school["timezone"])
    rows = await _meetings((ConferenceMeeting.teacher == teacher_id) & ConferenceMeeting.status.is_in(list(LIVE))
                           & (ConferenceMeeting.starts_at >= a) & (ConferenceMeeting.starts_at < b))
    return [_feed_item(r, f"Conference: {_guardian_name(r) or r['family_name']}") for r in rows]



# ---------------------------------------------------------------- teacher feed (optional private .ics)


async def rotate_teacher_feed_token(settings: Any, actor: Principal, teacher_id: int) -> Any:
    """A new private link to a teacher's conference calendar; earlier links stop working.

    Stored in ``calendars.FeedToken`` with owner kind ``teacher`` (only the
    HMAC is kept, so the link is shown once), served by
    ``GET /calendars/teachers/{token}.ics`` — not by ``/calendars/private``.
    """
    from calendars import tokens
    from calendars.services import FeedTokenOut
    from calendars.tables import FeedToken

    teacher = await _teacher(teacher_id)
    await _admin_window(actor, teacher["window"])
    token = tokens.new_token()
    async with writing():
        await FeedToken.update({FeedToken.revoked_at: utcnow()}).where(
            (FeedToken.owner_kind == "teacher") & (FeedToken.owner_id == teacher_id)
            & FeedToken.revoked_at.is_null()).run()
        await FeedToken.insert(FeedToken(owner_kind="teacher", owner_id=teacher_id,
                                         token_hash=tokens.hash_token(token, settings.secret_key))).run()
    links = tokens.subscribe_links(settings.public_url, f"/calendars/teachers/{token}.ics")
    return FeedTokenOut(token=token, https=links["https"], webcal=links["webcal"])


async def teacher_feed(settings: Any, token: str) -> Any:
    """The teacher's meetings of a published window as an .ics feed (family names, no children).

    Last-Modified is the newest meeting or window change; meetings are never
    deleted once published (they are cancelled), so it never goes back.
    """
    from calendars import feeds, tokens
    from calendars.services import Feed, uid_domain
    from calendars.tables import FeedToken

    row = await FeedToken.select().where(FeedToken.token_hash == tokens.hash_token(token, settings.secret_key)).first().run()
    teacher = None
    if row is not None and row["revoked_at"] is None and row["owner_kind"] == "teacher":
        teacher = await ConferenceTeacher.select().where(ConferenceTeacher.id == row["owner_id"]).first().run()
    if teacher is None:
        raise NotFound("no calendar feed at this address (unknown or revoked link)", "token")
    window = await _window(teacher["window"])
    school = await _school(window["school"])
    rows = await _meetings(ConferenceMeeting.teacher == teacher["id"]) if window["status"] == "published" else []
    domain = uid_domain(settings)
    events = [feeds.FeedEvent(
        uid=feeds.event_uid("conference", r["id"], domain), title=f"Conference: {_guardian_name(r) or r['family_name']}",
        kind="conference", start=r["starts_at"], end=r["ends_at"], updated_at=r["updated_at"], school=school["name"],
        status="cancelled" if r["status"] == "cancelled" else "confirmed", room=r["room_name"],
        description=f"Interpreter: {r['language']}" if r["language"] else "") for r in rows]
    now = utcnow()
    spec = feeds.FeedSpec(name=f"{school['name']} - {teacher['name']} - conferences", timezone=school["timezone"],
                          language="en", refresh_minutes=15, now=now)
    body = feeds.build_feed(events, spec)
    modified = feeds.last_modified([r["updated_at"] for r in rows], window["updated_at"])
    return Feed(body=body, etag=feeds.feed_etag(body), last_modified=modified)
