"""Families and their conferences: the itinerary, accepting it, free slots, moving a meeting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences import notices
from scheduler.conferences.availability import family_spans as selfbook_spans
from scheduler.conferences.availability import fits as span_fits
from scheduler.conferences.rows import (
    AWAY,
    LIVE,
    load_evenings,
    load_family,
    load_meetings,
    load_school,
    load_window,
    local_text,
    meeting_columns,
    meeting_out,
)
from scheduler.conferences.schemas import FreeSlotOut, ItineraryOut, MeetingOut, MoveIn, UnplacedOut
from scheduler.conferences.tables import (
    ConferenceHold,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.core.auth import Principal, require_family_access
from scheduler.core.db import locked, use_case
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.timeutil import TimeError, format_local, parse_typed, utcnow
from scheduler.families.tables import Family


async def _visible_windows(actor: Principal, school_id: int) -> list[dict[str, Any]]:
    """Families see published windows; the school's admins also see solved proposals."""
    states = ["published"] + (["solved"] if actor.role == "admin" else [])
    return await ConferenceWindow.select().where((ConferenceWindow.school == school_id)
                                                 & ConferenceWindow.status.is_in(states)).run()


async def itinerary(actor: Principal, family_id: int) -> ItineraryOut:
    family = await load_family(family_id)
    require_family_access(actor, family_id, family["school"])
    tz = (await load_school(family["school"]))["timezone"]
    windows = await _visible_windows(actor, family["school"])
    wids = [w["id"] for w in windows] or [0]
    rows = await load_meetings((ConferenceMeeting.family == family_id) & ConferenceMeeting.window.is_in(wids)
                           & ConferenceMeeting.status.is_in(list(LIVE)))
    unplaced = [UnplacedOut(**u) for w in windows for u in json.loads(w["unplaced"]) if u["family_id"] == family_id]
    return ItineraryOut(family_id=family_id, meetings=[meeting_out(r, tz) for r in rows], unplaced=unplaced)


@use_case
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
    row = await ConferenceMeeting.select(*meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    if row is None:
        raise NotFound(f"no conference meeting {meeting_id}", "meeting_id")
    school = (await load_window(row["window"]))["school"]
    require_family_access(actor, row["family"], school)
    return row


async def _slot_context(meeting: dict[str, Any]) -> SlotContext:
    window = await load_window(meeting["window"])
    school = await load_school(window["school"])
    evenings = [(e["starts_at"], e["ends_at"]) for e in await load_evenings(window["id"])]
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
        available=available, breaks=[(t["starts_at"], t["ends_at"]) for t in times if t["kind"] in AWAY],
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
            return "taken", (f"your interpreter is booked for these conferences from {local_text(ctx.block[0], ctx.tz)[11:]} "
                             f"to {local_text(ctx.block[1], ctx.tz)[11:]} only")
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
    now = utcnow()
    ctx.teacher_busy += [(h["starts_at"], h["ends_at"]) for h in await _others_holds(meeting, now)]
    spans = await selfbook_spans(meeting["family"], meeting["window"], ctx.tz)
    out = []
    for s in free_starts(ctx, now):
        fits = span_fits(spans, s, ctx.minutes)
        if fits or actor.role != "family":  # a family moves within what it told the school; the school anywhere
            out.append(FreeSlotOut(start=local_text(s, ctx.tz), end=local_text(s + step, ctx.tz),
                                   starts_at=format_local(s, ctx.tz), fits=fits))
    return out


async def _others_holds(meeting: dict[str, Any], now: dt.datetime) -> list[dict[str, Any]]:
    """Slots of this teacher other families are holding right now (self-booking): not free for a move."""
    return await ConferenceHold.select().where((ConferenceHold.teacher == meeting["teacher"])
                                               & (ConferenceHold.expires_at > now)
                                               & (ConferenceHold.family != meeting["family"])).run()


async def _fits_family(meeting: dict[str, Any], start: dt.datetime, minutes: int, tz: str) -> bool:
    return span_fits(await selfbook_spans(meeting["family"], meeting["window"], tz), start, minutes)


@use_case
async def move(actor: Principal, meeting_id: int, data: MoveIn) -> MeetingOut:
    """Move one meeting to a free slot; runs in the caller's write transaction.

    Locks the family row, then the teacher row (then, for an interpreted
    meeting, its interpreter assignment, which it must stay inside), then re-reads everything,
    so two families racing for one slot are served one after the other and
    the second sees the slot taken (409). The unique index on (teacher,
    start) and PostgreSQL's exclusion constraints stand behind that.
    """
    meeting = await _meeting_for(actor, meeting_id)
    tz = (await load_school((await load_window(meeting["window"]))["school"]))["timezone"]
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
    if actor.role == "family" and not await _fits_family(meeting, start, ctx.minutes, ctx.tz):
        raise InvalidInput([("start", f"{data.start} is outside the times you told the school you can come; "
                                      "change them under \"When we can usually come\" first")])
    end = start + dt.timedelta(minutes=ctx.minutes)
    if any(h["starts_at"] < end and start < h["ends_at"] for h in await _others_holds(meeting, utcnow())):
        raise Conflict(f"{data.start}: another family is choosing this time; try another", "start")
    sequence = meeting["sequence"] + 1
    await ConferenceMeeting.update({
        ConferenceMeeting.starts_at: start, ConferenceMeeting.ends_at: start + dt.timedelta(minutes=ctx.minutes),
        ConferenceMeeting.status: "accepted", ConferenceMeeting.moved: True, ConferenceMeeting.sequence: sequence,
        ConferenceMeeting.updated_at: utcnow()}).where(ConferenceMeeting.id == meeting_id).run()
    await notices.moved(meeting, sequence)
    row = await ConferenceMeeting.select(*meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    return meeting_out(row, tz)


@use_case
async def cancel(actor: Principal, meeting_id: int) -> MeetingOut:
    """The family (or the school) cancels one meeting; the family is told with METHOD:CANCEL.

    Cancelled meetings stay as rows (feeds show the cancellation); the slot is free at once.
    """
    await _meeting_for(actor, meeting_id)
    window = await cancel_live(meeting_id)
    row = await ConferenceMeeting.select(*meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    return meeting_out(row, (await load_school(window["school"]))["timezone"])


async def cancel_live(meeting_id: int) -> dict[str, Any]:
    """The one cancellation path (the family's, the school's, a "no" to the day-before question): under the
    family's lock, a live meeting of a published week turns cancelled and the family is told. The window."""
    row = await ConferenceMeeting.select(ConferenceMeeting.family).where(ConferenceMeeting.id == meeting_id).first().run()
    if row is None:
        raise NotFound(f"no conference meeting {meeting_id}", "meeting_id")
    await locked(Family.select(Family.id).where(Family.id == row["family"])).run()
    meeting = await ConferenceMeeting.select(*meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    window = await load_window(meeting["window"])
    if window["status"] != "published":
        raise Conflict("these conferences are not published yet", "meeting_id")
    if meeting["status"] not in LIVE:
        raise Conflict(f"conference meeting {meeting_id} is {meeting['status']}", "meeting_id")
    await ConferenceMeeting.update({ConferenceMeeting.status: "cancelled",
                                    ConferenceMeeting.sequence: meeting["sequence"] + 1,
                                    ConferenceMeeting.updated_at: utcnow()}).where(
        ConferenceMeeting.id == meeting_id).run()
    await notices.cancelled(meeting)
    return window
