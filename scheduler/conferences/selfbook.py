"""Families booking their own conference times: open slots per teacher, a short hold, the booking.

Who may book what: a family books a meeting with a teacher of one of its
children when it has no live meeting with that teacher yet, in a published
window, and either the school opened the window for self-booking
(``ConferenceWindow.self_booking``) or the solver could not place that
(family, teacher) pair (the family was asked by e-mail, ``ask_unplaced``).

Two families never get one slot: a hold and a booking lock the family row,
then the teacher row (the order of ``booking.move``), re-read under the lock
and check the teacher's live meetings *and* other families' unexpired holds;
the unique index on ``conference_hold (teacher, starts_at)`` and on live
meetings per (teacher, start) stand behind that on both engines. A hold
past its ``expires_at`` counts for nothing and is deleted by whoever wants
the slot next, so an abandoned pick frees itself.

A self-booked meeting whose family's language differs from the teacher's is
interpreted (the window's interpreted slot length, ``language`` set) and gets
an interpreter block (``interpreting.cover``): a free place in a block of its
language, else a new open block offered to the language's interpreters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from scheduler.conferences import interpreting, notices
from scheduler.conferences.availability import family_spans, fits
from scheduler.conferences.booking import _slot_context, free_starts, slot_problem
from scheduler.conferences.rows import LIVE, load_family, load_school, local_text, meeting_columns, meeting_out
from scheduler.conferences.schemas import BookIn, HoldIn, HoldOut, MeetingOut, OpenSlotOut, OpenTeacherOut
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceHold,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceWindow,
)
from scheduler.core.auth import Principal, require_family_access
from scheduler.core.db import locked, use_case
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.timeutil import TimeError, parse_typed, utcnow
from scheduler.families.tables import Child, Family

_NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # the start of a meeting that does not exist yet


async def _published_window(school_id: int) -> list[dict[str, Any]]:
    return await ConferenceWindow.select().where((ConferenceWindow.school == school_id)
                                                 & (ConferenceWindow.status == "published")).run()


async def open_pairs(family: dict[str, Any], windows: list[dict[str, Any]]) -> list[tuple[dict, dict, list[int]]]:
    """(window, teacher, child ids) the family may book: a child in the class, no live meeting, and the window
    open for self-booking or the pair left unplaced by the solver."""
    out = []
    kids = [c["id"] for c in await Child.select(Child.id).where(Child.family == family["id"]).run()] or [0]
    for w in windows:
        unplaced = {u["teacher_id"] for u in json.loads(w["unplaced"]) if u["family_id"] == family["id"]}
        classes = await ConferenceClass.select(ConferenceClass.teacher, ConferenceClass.child).where(
            ConferenceClass.child.is_in(kids) & (ConferenceClass.teacher.window == w["id"])).run()
        by_teacher: dict[int, list[int]] = defaultdict(list)
        for c in classes:
            by_teacher[c["teacher"]].append(c["child"])
        met = {m["teacher"] for m in await ConferenceMeeting.select(ConferenceMeeting.teacher).where(
            (ConferenceMeeting.family == family["id"]) & (ConferenceMeeting.window == w["id"])
            & ConferenceMeeting.status.is_in(list(LIVE))).run()}
        teachers = await ConferenceTeacher.select(*ConferenceTeacher.all_columns(),
                                                  ConferenceTeacher.room.name.as_alias("room_name")).where(
            ConferenceTeacher.id.is_in(sorted(by_teacher) or [0])).order_by(ConferenceTeacher.name).run()
        for t in teachers:
            if t["id"] not in met and (w["self_booking"] or t["id"] in unplaced):
                out.append((w, t, sorted(by_teacher[t["id"]])))
    return out


def _interpreted(family: dict[str, Any], teacher: dict[str, Any]) -> bool:
    return (family["language"] or "en").split("-")[0] != (teacher["language"] or "en").split("-")[0]


def _draft(window: dict[str, Any], teacher: dict[str, Any], family: dict[str, Any]) -> dict[str, Any]:
    """The meeting the family would have, shaped like a row, for the shared slot checks."""
    interpreted = _interpreted(family, teacher)
    minutes = window["interpreted_slot_minutes"] if interpreted else window["slot_minutes"]
    return {"id": 0, "window": window["id"], "teacher": teacher["id"], "family": family["id"], "guardian": None,
            "starts_at": _NEVER, "ends_at": _NEVER + dt.timedelta(minutes=minutes), "assignment": None,
            "room_id": teacher["room"], "teacher_name": teacher["name"], "status": "proposed",
            "language": family["language"] if interpreted else None}


async def _holds(teacher_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    return await ConferenceHold.select().where((ConferenceHold.teacher == teacher_id)
                                               & (ConferenceHold.expires_at > now)).run()


async def open_slots(actor: Principal, family_id: int) -> list[OpenTeacherOut]:
    """Per teacher the family may book, the free starts: inside the family's availability first, and marked
    when back-to-back with its other meetings or holds (siblings in one visit)."""
    family = await load_family(family_id)
    require_family_access(actor, family_id, family["school"])
    tz = (await load_school(family["school"]))["timezone"]
    now = utcnow()
    out = []
    for window, teacher, _kids in await open_pairs(family, await _published_window(family["school"])):
        out.append(await _teacher_slots(window, teacher, family, tz, now))
    return out


async def _context(window, teacher, family, now):
    """The shared slot checks' context for a meeting not booked yet, with the slot's other holders and the
    family's own holds with other teachers (kept apart by passing time, as its meetings are)."""
    ctx = await _slot_context(_draft(window, teacher, family))
    ctx.teacher_busy += [(h["starts_at"], h["ends_at"]) for h in await _holds(teacher["id"], now)
                         if h["family"] != family["id"]]
    ctx.party_busy += [(h["starts_at"], h["ends_at"], h["room"]) for h in await ConferenceHold.select(
        ConferenceHold.starts_at, ConferenceHold.ends_at, ConferenceHold.teacher.room.as_alias("room")).where(
        (ConferenceHold.family == family["id"]) & (ConferenceHold.expires_at > now)
        & (ConferenceHold.teacher != teacher["id"])).run()]
    return ctx


async def _teacher_slots(window, teacher, family, tz, now) -> OpenTeacherOut:
    ctx = await _context(window, teacher, family, now)
    spans = await family_spans(family["id"], window["id"], tz)
    mine = [(a, b) for a, b, _room in ctx.party_busy]
    near = dt.timedelta(minutes=window["passing_minutes"] + window["grid_minutes"])
    step = dt.timedelta(minutes=ctx.minutes)
    slots = []
    for s in free_starts(ctx, now):
        e = s + step
        adjacent = any(dt.timedelta(0) <= s - b <= near or dt.timedelta(0) <= a - e <= near for a, b in mine)
        slots.append(OpenSlotOut(start=local_text(s, tz), end=local_text(e, tz), fits=fits(spans, s, ctx.minutes),
                                 next_to_yours=adjacent))
    slots.sort(key=lambda x: (not x.next_to_yours, not x.fits, x.start))
    return OpenTeacherOut(teacher_id=teacher["id"], teacher=teacher["name"], room=teacher["room_name"] or "",
                          minutes=ctx.minutes, interpreted=_interpreted(family, teacher), slots=slots)


async def _checked(actor: Principal, family_id: int, teacher_id: int, start_text: str
                   ) -> tuple[dict, dict, dict, list[int], dt.datetime, Any, str]:
    """Lock family then teacher, re-read, and check the pair and the slot; (family, window, teacher, kids,
    start, slot context, zone). Raises 404/409/422 naming the field."""
    family = await locked(Family.select().where(Family.id == family_id)).first().run()
    if family is None:
        raise NotFound(f"no family {family_id}", "family_id")
    require_family_access(actor, family_id, family["school"])
    tz = (await load_school(family["school"]))["timezone"]
    try:
        start = parse_typed(start_text, tz)
    except TimeError as exc:
        raise InvalidInput([("start", str(exc))]) from exc
    if await locked(ConferenceTeacher.select(ConferenceTeacher.id).where(ConferenceTeacher.id == teacher_id)
                    ).first().run() is None:
        raise InvalidInput([("teacher_id", f"no teacher {teacher_id}")])
    pair = next(((w, t, k) for w, t, k in await open_pairs(family, await _published_window(family["school"]))
                 if t["id"] == teacher_id), None)
    if pair is None:
        raise Conflict(f"you cannot book a conference with teacher {teacher_id}: no child of yours in the class, "
                       "a conference already booked, or booking is not open", "teacher_id")
    window, teacher, kids = pair
    now = utcnow()
    ctx = await _slot_context(_draft(window, teacher, family))
    problem = slot_problem(ctx, start, now)
    if problem is not None:
        kind, why = problem
        if kind == "invalid":
            raise InvalidInput([("start", f"{start_text} {why}")])
        raise Conflict(f"{start_text}: {why}", "start")
    end = start + dt.timedelta(minutes=ctx.minutes)
    for h in await _holds(teacher_id, now):
        if h["family"] != family_id and h["starts_at"] < end and start < h["ends_at"]:
            raise Conflict(f"{start_text}: another family is choosing this time; try another or come back in a "
                           "minute", "start")
    ctx = await _context(window, teacher, family, now)  # now with the family's own holds with other teachers
    problem = slot_problem(ctx, start, now)
    if problem is not None:
        raise Conflict(f"{start_text}: {problem[1]}", "start")
    return family, window, teacher, kids, start, ctx, tz


@use_case
async def hold(actor: Principal, family_id: int, data: HoldIn, seconds: int) -> HoldOut:
    """Hold one free slot of a teacher for ``seconds`` while the family picks its other times.

    The family's earlier hold with this teacher is let go; expired holds on this slot are deleted first.
    """
    family, window, teacher, _kids, start, ctx, tz = await _checked(actor, family_id, data.teacher_id, data.start)
    now = utcnow()
    await ConferenceHold.delete().where((ConferenceHold.teacher == teacher["id"]) & (
        (ConferenceHold.family == family_id) | (ConferenceHold.expires_at <= now))).run()
    end = start + dt.timedelta(minutes=ctx.minutes)
    expires = now + dt.timedelta(seconds=seconds)
    await ConferenceHold.insert(ConferenceHold(teacher=teacher["id"], family=family_id, starts_at=start, ends_at=end,
                                               expires_at=expires)).run()
    return HoldOut(teacher_id=teacher["id"], start=local_text(start, tz), end=local_text(end, tz), expires_at=expires)


@use_case
async def book(actor: Principal, family_id: int, data: BookIn) -> MeetingOut:
    """Book the slot (held by this family or free and held by nobody): an accepted meeting, the hold let go,
    the family told with the meeting's ``.ics``."""
    family, window, teacher, kids, start, ctx, tz = await _checked(actor, family_id, data.teacher_id, data.start)
    await ConferenceHold.delete().where((ConferenceHold.teacher == teacher["id"]) & (
        (ConferenceHold.family == family_id) | (ConferenceHold.expires_at <= utcnow()))).run()
    draft = _draft(window, teacher, family)
    row = (await ConferenceMeeting.insert(ConferenceMeeting(
        window=window["id"], teacher=teacher["id"], family=family_id, guardian=None, child_ids=kids,
        starts_at=start, ends_at=start + dt.timedelta(minutes=ctx.minutes), language=draft["language"],
        status="accepted", moved=False, mode=data.mode, topic=(data.topic or None))).returning(
        ConferenceMeeting.id).run())[0]
    await interpreting.cover({"id": row["id"], "window": window["id"], "language": draft["language"],
                              "starts_at": start, "ends_at": start + dt.timedelta(minutes=ctx.minutes)},
                             family["school"])
    meeting = await ConferenceMeeting.select(*meeting_columns()).where(ConferenceMeeting.id == row["id"]).first().run()
    await notices.moved(meeting, 0, "conference_booked")
    return meeting_out(meeting, tz)


ASK_LIMIT = 12  # open times listed in one e-mail; the page shows them all


async def ask_unplaced(window_id: int) -> int:
    """Write to every family the solver could not place with a teacher: the open times with that teacher that
    fit what the family said, and the link to book. Runs inside publish's transaction; once per
    (window, family, teacher) by the outbox key. Returns how many (family, teacher) pairs were asked."""
    window = await ConferenceWindow.select().where(ConferenceWindow.id == window_id).first().run()
    asked = 0
    pairs = sorted({(u["family_id"], u["teacher_id"]) for u in json.loads(window["unplaced"])})
    now = utcnow()
    for family_id, teacher_id in pairs:
        family = await Family.select().where(Family.id == family_id).first().run()
        teacher = await ConferenceTeacher.select(*ConferenceTeacher.all_columns(),
                                                 ConferenceTeacher.room.name.as_alias("room_name")).where(
            ConferenceTeacher.id == teacher_id).first().run()
        if family is None or teacher is None:
            continue
        tz = (await load_school(family["school"]))["timezone"]
        offer = await _teacher_slots(window, teacher, family, tz, now)
        ordered = sorted(offer.slots, key=lambda s: s.start)
        fitting = [s for s in ordered if s.fits]
        # most unplaced families said no time of these evenings: they are shown the open times anyway
        shown = [parse_typed(s.start, tz) for s in (fitting or ordered)[:ASK_LIMIT]]
        if await notices.open_slots(window_id, family_id, teacher_id, teacher["name"], shown, bool(fitting),
                                    notices.BOOK_PAGE):
            asked += 1
    return asked


async def my_holds(actor: Principal, family_id: int) -> list[dict[str, Any]]:
    """The family's unexpired holds: teacher, local start and end, until when (for the page)."""
    family = await load_family(family_id)
    require_family_access(actor, family_id, family["school"])
    tz = (await load_school(family["school"]))["timezone"]
    rows = await ConferenceHold.select(*ConferenceHold.all_columns(),
                                       ConferenceHold.teacher.name.as_alias("teacher_name")).where(
        (ConferenceHold.family == family_id) & (ConferenceHold.expires_at > utcnow())).order_by(
        ConferenceHold.starts_at).run()
    return [{"teacher_id": r["teacher"], "teacher": r["teacher_name"], "start": local_text(r["starts_at"], tz),
             "end": local_text(r["ends_at"], tz), "expires_at": r["expires_at"]} for r in rows]


@use_case
async def book_held(actor: Principal, family_id: int) -> list[MeetingOut]:
    """Book every time the family is holding, in one transaction: all of them, or none (409 naming the time
    that could not be had, e.g. a hold that ran out and was taken)."""
    holds = await my_holds(actor, family_id)
    if not holds:
        raise Conflict("you are not holding any time; choose a time first (holds last a couple of minutes)", "start")
    return [await book(actor, family_id, BookIn(teacher_id=h["teacher_id"], start=h["start"])) for h in holds]
