"""Use cases for events: create, edit, cancel, move, delete, list, and who hears of a change."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from resources.services import language_problems, school_by_slug
from resources.tables import Room, School
from scheduler.assignments import services as assignments
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.bookings import services as bookings
from scheduler.bookings.tables import Registration
from scheduler.core.access import owner_of
from scheduler.core.auth import (
    Principal,
    require_admin,
    require_member,
)
from scheduler.core.db import locked, use_case, writing
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.paging import PageRequest, fetch_page
from scheduler.core.timeutil import TimeError, date_problem, format_local, parse_typed, utcnow
from scheduler.events.schemas import AudienceOut, EventIn, EventOut, EventText, OverrideOut
from scheduler.events.tables import Event

owner_of("event_id", "SELECT school, NULL AS family, NULL AS interpreter FROM event WHERE id = {}", fixed=True)


def _event_out(row: dict[str, Any], tz: str) -> EventOut:
    return EventOut(
        id=row["id"], school_id=row["school"], title=row["title"], kind=row["kind"], description=row["description"],
        duration_minutes=row["duration_minutes"], earliest_date=row["earliest_date"], latest_date=row["latest_date"],
        min_capacity=row["min_capacity"], room_tags=row["room_tags"], audience=row["audience"],
        interpreter_languages=row["interpreter_languages"], childcare_children=row["childcare_children"],
        fixed_start=format_local(row["fixed_start"], tz), status=row["status"],
        starts_at=format_local(row["starts_at"], tz), ends_at=format_local(row["ends_at"], tz), room_id=row["room"],
        sequence=row["sequence"], updated_at=row["updated_at"], cancelled_at=row["cancelled_at"],
        seat_limit=row["seat_limit"], seats=row["seats"],
        translations={lang: EventText(**text) for lang, text in texts(row).items()},
        series=row.get("series"), override=OverrideOut(**json.loads(row["override"])) if row.get("override") else None,
    )


def texts(row: dict[str, Any]) -> dict[str, dict[str, str]]:
    """An event row's other-language titles and descriptions (``{language: {title, description}}``)."""
    try:
        value = json.loads(row.get("translations") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def localized(row: dict[str, Any], language: str) -> tuple[str, str]:
    """(title, description) in ``language`` when the school wrote them, else as written first."""
    text = texts(row).get(language)
    if text and text.get("title"):
        return text["title"], text.get("description") or row.get("description") or ""
    return row["title"], row.get("description") or ""


async def _event(event_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    row = await Event.select().where(Event.id == event_id).first().run()
    if row is None:
        raise NotFound(f"no event {event_id}", "event_id")
    school = await School.select().where(School.id == row["school"]).first().run()
    return row, school


def _event_values(data: EventIn, school: dict[str, Any]) -> dict[str, Any]:
    """Validated column values, or InvalidInput listing every problem."""
    tz = school["timezone"]
    problems = language_problems(data.interpreter_languages, "interpreter_languages")
    offered = set(school["languages"] or [])
    problems += [(f"translations.{lang}", f"{lang!r} is not one of the school's languages "
                                          f"({', '.join(sorted(offered)) or 'none set'})")
                 for lang in sorted(data.translations) if lang not in offered]
    if data.seat_limit is not None and not 1 <= data.seat_limit <= 100_000:
        problems.append(("seat_limit", "between 1 and 100000 adults, or empty for the room's capacity"))
    problems += [(name, problem) for name in ("earliest_date", "latest_date")
                 if (problem := date_problem(getattr(data, name)))]
    if data.latest_date < data.earliest_date:
        problems.append(("latest_date", f"latest date {data.latest_date} is before earliest date {data.earliest_date}"))
    fixed = None
    if data.fixed_start is not None:
        try:
            fixed = parse_typed(data.fixed_start, tz)
        except TimeError as exc:
            problems.append(("fixed_start", str(exc)))
        else:
            local_day = dt.datetime.fromisoformat(format_local(fixed, tz)).date()
            if not data.earliest_date <= local_day <= data.latest_date:
                problems.append(("fixed_start", f"{data.fixed_start} is outside {data.earliest_date}..{data.latest_date}"))
    if problems:
        raise InvalidInput(problems)
    return {
        "title": data.title, "kind": data.kind, "description": data.description,
        "duration_minutes": data.duration_minutes, "earliest_date": data.earliest_date,
        "latest_date": data.latest_date, "min_capacity": data.min_capacity, "room_tags": sorted(set(data.room_tags)),
        "audience": sorted(set(data.audience)), "interpreter_languages": sorted(set(data.interpreter_languages)),
        "childcare_children": data.childcare_children, "fixed_start": fixed, "seat_limit": data.seat_limit,
        "translations": json.dumps({lang: {"title": t.title, "description": t.description}
                                    for lang, t in sorted(data.translations.items())}, sort_keys=True),
    }


async def create_event(actor: Principal, slug: str, data: EventIn) -> EventOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    values = _event_values(data, school)
    async with writing():
        row = (await Event.insert(Event(school=school["id"], **values)).returning(*Event.all_columns()).run())[0]
    return _event_out(row, school["timezone"])


@use_case
async def update_event(actor: Principal, event_id: int, data: EventIn) -> EventOut:
    """Edit an event's planning data; a published event's SEQUENCE goes up so calendars refresh it.

    A published event's seats follow a new seat limit (never below the adults
    who hold one); when they grow, the waitlist moves up in the same transaction.
    """
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    if row["status"] == "cancelled":
        raise Conflict(f"event {event_id} is cancelled; create a new one instead", "status")
    values = _event_values(data, school)
    changed = {k: v for k, v in values.items() if row[k] != v}
    grew = False
    if changed:
        update = {getattr(Event, k): v for k, v in changed.items()} | {Event.updated_at: utcnow()}
        if row["status"] == "published":
            update[Event.sequence] = row["sequence"] + 1
            if row["starts_at"] is not None and "duration_minutes" in changed:
                update[Event.ends_at] = row["starts_at"] + dt.timedelta(minutes=values["duration_minutes"])
            if "seat_limit" in changed and row["room"] is not None:
                room = await Room.select(Room.capacity).where(Room.id == row["room"]).first().run()
                seats = min(room["capacity"], values["seat_limit"] or room["capacity"])
                taken = await bookings.seats_taken(event_id)
                if seats < taken:
                    raise Conflict(f"{taken} adults already hold a seat; the limit cannot go below that", "seat_limit")
                update[Event.seats], grew = seats, seats > (row["seats"] or 0)
        await Event.update(update).where(Event.id == event_id).run()
        if grew:
            await bookings.promote_after_change(event_id)
    return await get_event(actor, event_id)


async def cancel_event(actor: Principal, event_id: int) -> EventOut:
    """Cancelled, not deleted: calendars must learn of it (STATUS:CANCELLED)."""
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    if row["status"] != "cancelled":
        now = utcnow()
        async with writing():
            await Event.update({Event.status: "cancelled", Event.cancelled_at: now, Event.updated_at: now,
                                Event.sequence: row["sequence"] + 1}).where(Event.id == event_id).run()
    return await get_event(actor, event_id)


async def move_event(actor: Principal, event_id: int, start: str) -> EventOut:
    """Move a published event to a new local start; families are told by the event-change sweep.

    Interpreters agreed to the old time, so their claims are released and the
    assignments open again at the new time; the room must be free then.
    """
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    tz = school["timezone"]
    try:
        starts = parse_typed(start, tz)
    except TimeError as exc:
        raise InvalidInput([("start", str(exc))]) from exc
    if starts <= utcnow():
        raise InvalidInput([("start", f"{start} has already passed")])
    async with writing():
        # status, sequence and room read under the lock, so a concurrent edit's bump is not lost
        row = await locked(Event.select().where(Event.id == event_id)).first().run()
        if row["status"] != "published":
            raise Conflict(f"only a published event can be moved; this one is {row['status']}", "status")
        ends = starts + dt.timedelta(minutes=row["duration_minutes"])
        if row["room"] is not None and await Event.exists().where(
                (Event.room == row["room"]) & (Event.id != event_id) & (Event.status == "published")
                & (Event.starts_at < ends) & (Event.ends_at > starts)).run():
            raise Conflict(f"the room is taken at {start}", "start")
        await Event.update({Event.starts_at: starts, Event.ends_at: ends, Event.fixed_start: starts,
                            Event.sequence: row["sequence"] + 1, Event.updated_at: utcnow()}
                           ).where(Event.id == event_id).run()
        reopened = await InterpreterAssignment.update({
            InterpreterAssignment.starts_at: starts, InterpreterAssignment.ends_at: ends,
            InterpreterAssignment.status: "open", InterpreterAssignment.interpreter: None,
            InterpreterAssignment.claimed_at: None, InterpreterAssignment.updated_at: utcnow(),
        }).where((InterpreterAssignment.event == event_id) & (InterpreterAssignment.status != "cancelled")
                 ).returning(InterpreterAssignment.id).run()
        await assignments.tell_reopened([r["id"] for r in reopened])
    return await get_event(actor, event_id)


async def who_is_told(actor: Principal, event_id: int) -> AudienceOut:
    """Who hears of a change to this event: registered and waiting families, interpreters holding it."""
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    counts = {"confirmed": 0, "waitlisted": 0, "offered": 0}
    for r in await Registration.select(Registration.status, Count(Registration.id, alias="n")).where(
            (Registration.event == event_id) & Registration.status.is_in(list(counts))).group_by(
            Registration.status).run():
        counts[r["status"]] = r["n"]
    interpreters = await InterpreterAssignment.count().where(
        (InterpreterAssignment.event == event_id) & InterpreterAssignment.status.is_in(["claimed", "confirmed"])).run()
    return AudienceOut(families=counts["confirmed"] + counts["offered"], waitlisted=counts["waitlisted"],
                       interpreters=interpreters)


async def delete_event(actor: Principal, event_id: int) -> None:
    """Only drafts are deleted; anything families may have seen is cancelled instead."""
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    if row["status"] not in ("draft", "proposed"):
        raise Conflict(f"event {event_id} is {row['status']}; cancel it instead of deleting", "status")
    async with writing():
        await Event.delete().where(Event.id == event_id).run()


def _visible_statuses(actor: Principal) -> tuple[str, ...] | None:
    """Families and interpreters see what was published (and its cancellation); admins see drafts too."""
    return None if actor.role == "admin" else ("published", "cancelled")


async def get_event(actor: Principal, event_id: int) -> EventOut:
    row, school = await _event(event_id)
    require_member(actor, school["id"])
    visible = _visible_statuses(actor)
    if visible is not None and row["status"] not in visible:
        raise NotFound(f"no event {event_id}", "event_id")
    return _event_out(row, school["timezone"])


async def list_events(actor: Principal, slug: str, page: PageRequest, status: str | None = None,
                      kind: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None
                      ) -> tuple[list[EventOut], int]:
    """Events of a school; dates filter on the scheduled start, or the planning window when unscheduled."""
    school = await school_by_slug(slug)
    require_member(actor, school["id"])
    where = Event.school == school["id"]
    visible = _visible_statuses(actor)
    if visible is not None:
        where &= Event.status.is_in(list(visible))
    if status:
        where &= Event.status == status
    if kind:
        where &= Event.kind == kind
    if date_from:
        where &= Event.latest_date >= date_from
    if date_to:
        where &= Event.earliest_date <= date_to
    rows, total = await fetch_page(Event.select().where(where).order_by(Event.id), Event.count().where(where), page)
    return [_event_out(r, school["timezone"]) for r in rows], total


async def school_events(school_id: int, status: str, upcoming_only: bool = False) -> list[dict[str, Any]]:
    """Events of one status with their room and seats taken, soonest first (drafts by id).

    Conference evenings are left out: families book those meeting by meeting
    (their itinerary), not as one event with seats.
    """
    where = (Event.school == school_id) & (Event.status == status) & (Event.kind != "conference")
    if upcoming_only:
        where &= Event.starts_at >= utcnow() - dt.timedelta(hours=3)
    rows = await Event.select(Event.id, Event.title, Event.kind, Event.description, Event.translations,
                              Event.duration_minutes, Event.earliest_date, Event.latest_date, Event.starts_at,
                              Event.ends_at, Event.seats, Event.interpreter_languages, Event.childcare_children,
                              Event.audience, Event.series, Event.override, Event.min_capacity, Event.seat_limit,
                              Event.room.name.as_alias("room_name")).where(where).order_by(
        Event.starts_at if status != "draft" else Event.id).run()
    # seats are counted in adults, as registrations take them (confirmed, or offered and held)
    taken = {r["event"]: r["n"] for r in await Registration.select(
        Registration.event, Sum(Registration.adults, alias="n")).where(
        Registration.event.is_in([r["id"] for r in rows] or [-1])
        & Registration.status.is_in(["confirmed", "offered"])).group_by(Registration.event).run()}
    work: dict[int, dict[str, int]] = {}
    for a in await InterpreterAssignment.select(
            InterpreterAssignment.event, InterpreterAssignment.status, Count(InterpreterAssignment.id, alias="n")).where(
            InterpreterAssignment.event.is_in([r["id"] for r in rows] or [-1])
            & (InterpreterAssignment.status != "cancelled")).group_by(
            InterpreterAssignment.event, InterpreterAssignment.status).run():
        work.setdefault(a["event"], {})[a["status"]] = a["n"]
    for r in rows:
        r["confirmed"] = taken.get(r["id"], 0)
        r["interpreting"] = work.get(r["id"], {})
    return rows
