"""Use cases for schools, rooms, interpreters and childcare: one transaction each.

Every write checks the actor's role first, then the data, and raises a
domain error naming the field; nothing is written when anything is wrong.
"""

from __future__ import annotations

from typing import Any

from resources import weekly
from resources.schemas import (
    AGE_BANDS,
    ChildcareIn,
    ChildcareOut,
    InterpreterIn,
    InterpreterOut,
    RatioIn,
    RoomIn,
    RoomOut,
    SchoolIn,
    SchoolOut,
    StaffingWindow,
    WeeklyWindow,
)
from resources.tables import (
    ChildcareRatio,
    ChildcareResource,
    ChildcareStaffing,
    Interpreter,
    InterpreterAvailability,
    Room,
    RoomAvailability,
    School,
)
from scheduler.conferences.tables import ConferenceTeacher
from scheduler.core.access import owner_of
from scheduler.core.auth import (
    Principal,
    require_admin,
    require_district_admin,
    require_interpreter_access,
    require_member,
)
from scheduler.core.db import is_unique_violation, writing
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.languages import is_language_code
from scheduler.core.paging import PageRequest, fetch_page
from scheduler.core.timeutil import TimeError, utcnow, zone
from scheduler.events.tables import Event

# Common licensing defaults (children per adult); each school edits its own.
DEFAULT_RATIOS = {"infant": 4, "toddler": 6, "preschool": 10, "school-age": 15}


def language_problems(codes: list[str], field: str) -> list[tuple[str, str]]:
    return [
        (f"{field}[{i}]", f"unknown language code {c!r} (use ISO 639, e.g. 'es')")
        for i, c in enumerate(codes)
        if not is_language_code(c)
    ]


# ---------------------------------------------------------------- schools


def _school_out(row: dict[str, Any]) -> SchoolOut:
    return SchoolOut(**{k: row[k] for k in SchoolOut.__struct_fields__})


async def school_by_slug(slug: str) -> dict[str, Any]:
    row = await School.select().where(School.slug == slug).first().run()
    if row is None:
        raise NotFound(f"no school with slug {slug!r}", "slug")
    return row


def _school_problems(data: SchoolIn) -> list[tuple[str, str]]:
    problems = language_problems(data.languages, "languages")
    try:
        zone(data.timezone)
    except TimeError as exc:
        problems.insert(0, ("timezone", str(exc)))
    return problems


owner_of("slug", "SELECT id AS school, NULL AS family, NULL AS interpreter FROM school WHERE slug = {}")


owner_of("room_id", "SELECT school, NULL AS family, NULL AS interpreter FROM room WHERE id = {}")


owner_of("interpreter_id", "SELECT school, NULL AS family, id AS interpreter FROM interpreter WHERE id = {}")


owner_of("childcare_id", "SELECT school, NULL AS family, NULL AS interpreter FROM childcare_resource "
                         "WHERE id = {}")


async def create_school(actor: Principal, data: SchoolIn) -> SchoolOut:
    require_district_admin(actor)
    problems = _school_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        if await School.exists().where(School.slug == data.slug).run():
            raise Conflict(f"slug {data.slug!r} is already taken", "slug")
        try:
            row = (await School.insert(School(name=data.name, slug=data.slug, timezone=data.timezone,
                                              languages=sorted(set(data.languages)))).returning(*School.all_columns()).run())[0]
        except Exception as exc:
            if is_unique_violation(exc):
                raise Conflict(f"slug {data.slug!r} is already taken", "slug") from exc
            raise
    return _school_out(row)


async def update_school(actor: Principal, slug: str, data: SchoolIn) -> SchoolOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    problems = _school_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        if data.slug != slug and await School.exists().where(School.slug == data.slug).run():
            raise Conflict(f"slug {data.slug!r} is already taken", "slug")
        await School.update({School.name: data.name, School.slug: data.slug, School.timezone: data.timezone,
                             School.languages: sorted(set(data.languages)), School.updated_at: utcnow()}
                            ).where(School.id == school["id"]).run()
    return _school_out(await school_by_slug(data.slug))


async def get_school(actor: Principal, slug: str) -> SchoolOut:
    school = await school_by_slug(slug)
    require_member(actor, school["id"])
    return _school_out(school)


async def list_schools(actor: Principal, page: PageRequest) -> tuple[list[SchoolOut], int]:
    query, count = School.select().order_by(School.id), School.count()
    if not actor.is_district_admin:
        query, count = query.where(School.id == actor.school_id), count.where(School.id == actor.school_id)
    rows, total = await fetch_page(query, count, page)
    return [_school_out(r) for r in rows], total


# ---------------------------------------------------------------- rooms


def _room_out(row: dict[str, Any]) -> RoomOut:
    return RoomOut(id=row["id"], school_id=row["school"], name=row["name"], capacity=row["capacity"], tags=row["tags"])


async def _room(room_id: int) -> dict[str, Any]:
    row = await Room.select().where(Room.id == room_id).first().run()
    if row is None:
        raise NotFound(f"no room {room_id}", "room_id")
    return row


async def create_room(actor: Principal, slug: str, data: RoomIn) -> RoomOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    async with writing():
        row = (await Room.insert(Room(school=school["id"], name=data.name, capacity=data.capacity,
                                      tags=sorted(set(data.tags)))).returning(*Room.all_columns()).run())[0]
    return _room_out(row)


async def update_room(actor: Principal, room_id: int, data: RoomIn) -> RoomOut:
    room = await _room(room_id)
    require_admin(actor, room["school"])
    async with writing():
        await Room.update({Room.name: data.name, Room.capacity: data.capacity, Room.tags: sorted(set(data.tags)),
                           Room.updated_at: utcnow()}).where(Room.id == room_id).run()
    return _room_out(await _room(room_id))


async def get_room(actor: Principal, room_id: int) -> RoomOut:
    room = await _room(room_id)
    require_member(actor, room["school"])
    return _room_out(room)


async def delete_room(actor: Principal, room_id: int) -> None:
    """Only a room nothing upcoming depends on: published events and conference teachers keep theirs."""

    room = await _room(room_id)
    require_admin(actor, room["school"])
    async with writing():
        event = await Event.select(Event.id).where((Event.room == room_id) & (Event.status == "published")
                                                   & (Event.ends_at > utcnow())).first().run()
        if event is not None:
            raise Conflict(f"room {room_id} hosts upcoming event {event['id']}; move or cancel it first", "room_id")
        if await ConferenceTeacher.exists().where(ConferenceTeacher.room == room_id).run():
            raise Conflict(f"room {room_id} is a conference teacher's room; give them another first", "room_id")
        await Room.delete().where(Room.id == room_id).run()


async def list_rooms(actor: Principal, slug: str, page: PageRequest, tag: str | None = None) -> tuple[list[RoomOut], int]:
    school = await school_by_slug(slug)
    require_member(actor, school["id"])
    where = Room.school == school["id"]
    if tag:
        where &= Room.tags.any(tag)
    rows, total = await fetch_page(Room.select().where(where).order_by(Room.id), Room.count().where(where), page)
    return [_room_out(r) for r in rows], total


async def set_room_availability(actor: Principal, room_id: int, windows: list[WeeklyWindow]) -> list[dict]:
    room = await _room(room_id)
    require_admin(actor, room["school"])
    async with writing():
        await weekly.replace(RoomAvailability, RoomAvailability.room, room_id, windows, "windows")
    return await weekly.load(RoomAvailability, RoomAvailability.room, room_id)


async def get_room_availability(actor: Principal, room_id: int) -> list[dict]:
    room = await _room(room_id)
    require_member(actor, room["school"])
    return await weekly.load(RoomAvailability, RoomAvailability.room, room_id)


# ---------------------------------------------------------------- interpreters


def _interpreter_out(row: dict[str, Any]) -> InterpreterOut:
    return InterpreterOut(id=row["id"], school_id=row["school"], name=row["name"], email=row["email"],
                          languages=row["languages"], max_events_per_day=row["max_events_per_day"])


async def _interpreter(interpreter_id: int) -> dict[str, Any]:
    row = await Interpreter.select().where(Interpreter.id == interpreter_id).first().run()
    if row is None:
        raise NotFound(f"no interpreter {interpreter_id}", "interpreter_id")
    return row


def _interpreter_problems(data: InterpreterIn) -> list[tuple[str, str]]:
    problems = language_problems(data.languages, "languages")
    if "@" not in data.email:
        problems.insert(0, ("email", f"{data.email!r} is not an email address"))
    return problems


def _interpreter_values(data: InterpreterIn) -> dict[str, Any]:
    return {"name": data.name, "email": data.email.strip(), "languages": sorted(set(data.languages)),
            "max_events_per_day": data.max_events_per_day}


async def create_interpreter(actor: Principal, slug: str, data: InterpreterIn) -> InterpreterOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    problems = _interpreter_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        row = (await Interpreter.insert(Interpreter(school=school["id"], **_interpreter_values(data)))
               .returning(*Interpreter.all_columns()).run())[0]
    return _interpreter_out(row)


async def update_interpreter(actor: Principal, interpreter_id: int, data: InterpreterIn) -> InterpreterOut:
    row = await _interpreter(interpreter_id)
    require_interpreter_access(actor, interpreter_id, row["school"])
    problems = _interpreter_problems(data)
    if problems:
        raise InvalidInput(problems)
    values = _interpreter_values(data)
    async with writing():
        await Interpreter.update({getattr(Interpreter, k): v for k, v in values.items()} | {Interpreter.updated_at: utcnow()}
                                 ).where(Interpreter.id == interpreter_id).run()
    return _interpreter_out(await _interpreter(interpreter_id))


async def get_interpreter(actor: Principal, interpreter_id: int) -> InterpreterOut:
    row = await _interpreter(interpreter_id)
    require_interpreter_access(actor, interpreter_id, row["school"])
    return _interpreter_out(row)


async def delete_interpreter(actor: Principal, interpreter_id: int) -> None:
    row = await _interpreter(interpreter_id)
    require_admin(actor, row["school"])
    async with writing():
        await Interpreter.delete().where(Interpreter.id == interpreter_id).run()


async def list_interpreters(actor: Principal, slug: str, page: PageRequest, language: str | None = None
                            ) -> tuple[list[InterpreterOut], int]:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    where = Interpreter.school == school["id"]
    if language:
        where &= Interpreter.languages.any(language)
    rows, total = await fetch_page(Interpreter.select().where(where).order_by(Interpreter.id),
                                   Interpreter.count().where(where), page)
    return [_interpreter_out(r) for r in rows], total


async def set_interpreter_availability(actor: Principal, interpreter_id: int, windows: list[WeeklyWindow]) -> list[dict]:
    row = await _interpreter(interpreter_id)
    require_interpreter_access(actor, interpreter_id, row["school"])
    async with writing():
        await weekly.replace(InterpreterAvailability, InterpreterAvailability.interpreter, interpreter_id, windows, "windows")
    return await weekly.load(InterpreterAvailability, InterpreterAvailability.interpreter, interpreter_id)


async def get_interpreter_availability(actor: Principal, interpreter_id: int) -> list[dict]:
    row = await _interpreter(interpreter_id)
    require_interpreter_access(actor, interpreter_id, row["school"])
    return await weekly.load(InterpreterAvailability, InterpreterAvailability.interpreter, interpreter_id)


# ---------------------------------------------------------------- childcare


def _childcare_out(row: dict[str, Any]) -> ChildcareOut:
    return ChildcareOut(id=row["id"], school_id=row["school"], name=row["name"], capacity=row["capacity"],
                        room_id=row["room"])


async def _childcare(childcare_id: int) -> dict[str, Any]:
    row = await ChildcareResource.select().where(ChildcareResource.id == childcare_id).first().run()
    if row is None:
        raise NotFound(f"no childcare resource {childcare_id}", "childcare_id")
    return row


async def _check_room_of_school(room_id: int | None, school_id: int) -> None:
    if room_id is None:
        return
    if not await Room.exists().where((Room.id == room_id) & (Room.school == school_id)).run():
        raise InvalidInput([("room_id", f"no room {room_id} in this school")])


async def create_childcare(actor: Principal, slug: str, data: ChildcareIn) -> ChildcareOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    async with writing():
        await _check_room_of_school(data.room_id, school["id"])
        row = (await ChildcareResource.insert(ChildcareResource(school=school["id"], name=data.name, capacity=data.capacity,
                                                                room=data.room_id))
               .returning(*ChildcareResource.all_columns()).run())[0]
        await ChildcareRatio.insert(*[ChildcareRatio(childcare=row["id"], age_band=band, children_per_staff=n)
                                      for band, n in DEFAULT_RATIOS.items()]).run()
    return _childcare_out(row)


async def update_childcare(actor: Principal, childcare_id: int, data: ChildcareIn) -> ChildcareOut:
    row = await _childcare(childcare_id)
    require_admin(actor, row["school"])
    async with writing():
        await _check_room_of_school(data.room_id, row["school"])
        await ChildcareResource.update({ChildcareResource.name: data.name, ChildcareResource.capacity: data.capacity,
                                        ChildcareResource.room: data.room_id, ChildcareResource.updated_at: utcnow()}
                                       ).where(ChildcareResource.id == childcare_id).run()
    return _childcare_out(await _childcare(childcare_id))


async def get_childcare(actor: Principal, childcare_id: int) -> ChildcareOut:
    row = await _childcare(childcare_id)
    require_member(actor, row["school"])
    return _childcare_out(row)


async def delete_childcare(actor: Principal, childcare_id: int) -> None:
    row = await _childcare(childcare_id)
    require_admin(actor, row["school"])
    async with writing():
        await ChildcareResource.delete().where(ChildcareResource.id == childcare_id).run()


async def list_childcare(actor: Principal, slug: str, page: PageRequest) -> tuple[list[ChildcareOut], int]:
    school = await school_by_slug(slug)
    require_member(actor, school["id"])
    where = ChildcareResource.school == school["id"]
    rows, total = await fetch_page(ChildcareResource.select().where(where).order_by(ChildcareResource.id),
                                   ChildcareResource.count().where(where), page)
    return [_childcare_out(r) for r in rows], total


async def set_staffing(actor: Principal, childcare_id: int, windows: list[StaffingWindow]) -> list[dict]:
    row = await _childcare(childcare_id)
    require_admin(actor, row["school"])
    async with writing():
        await weekly.replace(ChildcareStaffing, ChildcareStaffing.childcare, childcare_id, windows, "windows")
    return await weekly.load(ChildcareStaffing, ChildcareStaffing.childcare, childcare_id)


async def get_staffing(actor: Principal, childcare_id: int) -> list[dict]:
    row = await _childcare(childcare_id)
    require_member(actor, row["school"])
    return await weekly.load(ChildcareStaffing, ChildcareStaffing.childcare, childcare_id)


async def set_ratios(actor: Principal, childcare_id: int, ratios: list[RatioIn]) -> list[RatioIn]:
    row = await _childcare(childcare_id)
    require_admin(actor, row["school"])
    problems = [(f"ratios[{i}].age_band", f"unknown age band {r.age_band!r} (one of {', '.join(AGE_BANDS)})")
                for i, r in enumerate(ratios) if r.age_band not in AGE_BANDS]
    seen: set[str] = set()
    for i, r in enumerate(ratios):
        if r.age_band in seen:
            problems.append((f"ratios[{i}].age_band", f"age band {r.age_band!r} given twice"))
        seen.add(r.age_band)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        await ChildcareRatio.delete().where(ChildcareRatio.childcare == childcare_id).run()
        if ratios:
            await ChildcareRatio.insert(*[ChildcareRatio(childcare=childcare_id, age_band=r.age_band,
                                                         children_per_staff=r.children_per_staff) for r in ratios]).run()
    return await get_ratios(actor, childcare_id)


async def get_ratios(actor: Principal, childcare_id: int) -> list[RatioIn]:
    row = await _childcare(childcare_id)
    require_member(actor, row["school"])
    rows = await ChildcareRatio.select().where(ChildcareRatio.childcare == childcare_id).run()
    order = {b: i for i, b in enumerate(AGE_BANDS)}
    return [RatioIn(age_band=r["age_band"], children_per_staff=r["children_per_staff"])
            for r in sorted(rows, key=lambda r: order.get(r["age_band"], 99))]


async def interpreter_names(school_id: int) -> dict[int, str]:
    rows = await Interpreter.select(Interpreter.id, Interpreter.name).where(Interpreter.school == school_id).run()
    return {r["id"]: r["name"] for r in rows}
