"""Use cases for families, children, availability, events and users.

One transaction each, domain errors (never HTTP) out; the API layer only
parses and shapes. Local times in and out are in the school's zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count

from resources import weekly
from resources.schemas import AGE_BANDS
from resources.services import language_problems, school_by_slug
from resources.tables import Interpreter, School
from scheduler.access import Owner, owner_of
from scheduler.auth import (
    Principal,
    hash_api_token,
    new_api_token,
    require_admin,
    require_family_access,
    require_member,
)
from scheduler.db import locked, writing
from scheduler.errors import Conflict, InvalidInput, NotFound, Unauthorized
from scheduler.paging import PageRequest, fetch_page
from scheduler.schemas import (
    AudienceOut,
    AvailabilityIn,
    AvailabilityOut,
    ChildIn,
    ChildOut,
    DatedWindowOut,
    EventIn,
    EventOut,
    FamilyIn,
    FamilyOut,
    NewUserOut,
    UserIn,
    UserOut,
)
from scheduler.tables import (
    Child,
    Event,
    EventInterest,
    Family,
    FamilyAvailability,
    FamilyDatedAvailability,
    InterpreterAssignment,
    Registration,
    User,
)
from scheduler.timeutil import TimeError, date_problem, format_local, parse_local_spans, parse_typed, utcnow

# ---------------------------------------------------------------- auth


async def authenticate(token: str) -> Principal:
    row = await User.select().where(User.token_hash == hash_api_token(token)).first().run()
    if row is None:
        raise Unauthorized("unknown or revoked token")
    return Principal(user_id=row["id"], role=row["role"], school_id=row["school"], family_id=row["family"],
                     interpreter_id=row["interpreter"])


def _user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(id=row["id"], role=row["role"], name=row["name"], email=row["email"], school_id=row["school"],
                   family_id=row["family"], interpreter_id=row["interpreter"])


async def create_user(actor: Principal, slug: str | None, data: UserIn) -> NewUserOut:
    """An admin enrols someone and hands them a token (shown once)."""
    school_id = None
    if slug is not None:
        school_id = (await school_by_slug(slug))["id"]
    require_admin(actor, school_id)
    if school_id is None and data.role != "admin":
        raise InvalidInput([("role", "families and interpreters belong to a school; create them under /schools/{slug}/users")])
    problems: list[tuple[str, str]] = []
    if data.role == "family":
        if data.family_id is None:
            problems.append(("family_id", "a family user needs family_id"))
        elif not await Family.exists().where((Family.id == data.family_id) & (Family.school == school_id)).run():
            problems.append(("family_id", f"no family {data.family_id} in this school"))
    elif data.family_id is not None:
        problems.append(("family_id", f"only a family user has a family_id, not a {data.role}"))
    if data.role == "interpreter":
        if data.interpreter_id is None:
            problems.append(("interpreter_id", "an interpreter user needs interpreter_id"))
        elif not await Interpreter.exists().where((Interpreter.id == data.interpreter_id)
                                                  & (Interpreter.school == school_id)).run():
            problems.append(("interpreter_id", f"no interpreter {data.interpreter_id} in this school"))
    elif data.interpreter_id is not None:
        problems.append(("interpreter_id", f"only an interpreter user has an interpreter_id, not a {data.role}"))
    if "@" not in data.email:
        problems.append(("email", f"{data.email!r} is not an email address"))
    if problems:
        raise InvalidInput(problems)
    token = new_api_token()
    async with writing():
        row = (await User.insert(User(role=data.role, name=data.name, email=data.email, school=school_id,
                                      family=data.family_id, interpreter=data.interpreter_id,
                                      token_hash=hash_api_token(token))).returning(*User.all_columns()).run())[0]
    return NewUserOut(user=_user_out(row), token=token)


async def me(actor: Principal) -> UserOut:
    row = await User.select().where(User.id == actor.user_id).first().run()
    return _user_out(row)


# ---------------------------------------------------------------- families


def _family_out(row: dict[str, Any]) -> FamilyOut:
    return FamilyOut(id=row["id"], school_id=row["school"], name=row["name"], language=row["language"],
                     email=row["email"], guardians=row["guardians"], updated_at=row["updated_at"])


async def _family(family_id: int) -> dict[str, Any]:
    row = await Family.select().where(Family.id == family_id).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    return row


def _family_problems(data: FamilyIn) -> list[tuple[str, str]]:
    problems = language_problems([data.language], "language")
    problems = [("language", m) for _, m in problems]
    if "@" not in data.email or data.email.strip() != data.email:
        problems.append(("email", f"{data.email!r} is not an email address"))
    return problems


@owner_of("family_id")
async def _family_owner(family_id: int) -> Owner | None:
    row = await Family.select(Family.school).where(Family.id == family_id).first().run()
    return None if row is None else Owner(school=row["school"], family=family_id)


@owner_of("child_id")
async def _child_owner(child_id: int) -> Owner | None:
    row = await Child.select(Child.family, Child.family.school.as_alias("school")).where(Child.id == child_id).first().run()
    return None if row is None else Owner(school=row["school"], family=row["family"])


@owner_of("event_id")
async def _event_owner(event_id: int) -> Owner | None:
    row = await Event.select(Event.school).where(Event.id == event_id).first().run()
    return None if row is None else Owner(school=row["school"])


async def create_family(actor: Principal, slug: str, data: FamilyIn) -> FamilyOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    problems = _family_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        row = (await Family.insert(Family(school=school["id"], name=data.name, language=data.language,
                                          email=data.email, guardians=data.guardians))
               .returning(*Family.all_columns()).run())[0]
    return _family_out(row)


async def update_family(actor: Principal, family_id: int, data: FamilyIn) -> FamilyOut:
    row = await _family(family_id)
    require_family_access(actor, family_id, row["school"])
    problems = _family_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        await Family.update({Family.name: data.name, Family.language: data.language, Family.email: data.email,
                             Family.guardians: data.guardians, Family.updated_at: utcnow()}
                            ).where(Family.id == family_id).run()
    return _family_out(await _family(family_id))


async def get_family(actor: Principal, family_id: int) -> FamilyOut:
    row = await _family(family_id)
    require_family_access(actor, family_id, row["school"])
    return _family_out(row)


async def list_families(actor: Principal, slug: str, page: PageRequest, language: str | None = None
                        ) -> tuple[list[FamilyOut], int]:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    where = Family.school == school["id"]
    if language:
        where &= Family.language == language
    rows, total = await fetch_page(Family.select().where(where).order_by(Family.id), Family.count().where(where), page)
    return [_family_out(r) for r in rows], total


# ---------------------------------------------------------------- children


def _child_out(row: dict[str, Any]) -> ChildOut:
    return ChildOut(id=row["id"], family_id=row["family"], first_name=row["first_name"], grade=row["grade"],
                    age_band=row["age_band"])


GRADES = ("pre-k", "K", *(str(n) for n in range(1, 13)))
_GRADE_SPELLINGS = {"pk": "pre-k", "prek": "pre-k", "pre-k": "pre-k", "tk": "pre-k", "k": "K", "kg": "K",
                    "kindergarten": "K"}


def canonical_grade(text: str) -> str | None:
    """``K``, ``pre-k`` or ``1`` … ``12`` for the ways schools write them (``kg``, ``PK``, ``03``); None if none."""
    key = text.strip().casefold()
    if key in _GRADE_SPELLINGS:
        return _GRADE_SPELLINGS[key]
    return str(int(key)) if key.isdigit() and 1 <= int(key) <= 12 else None


def _child_problems(data: ChildIn) -> list[tuple[str, str]]:
    """Checks the age band and the grade, writing the grade the one way the school's other data uses."""
    problems = []
    grade = canonical_grade(data.grade)
    if grade is None:
        problems.append(("grade", f"unknown grade {data.grade!r} (one of {', '.join(GRADES)})"))
    else:
        data.grade = grade
    if data.age_band not in AGE_BANDS:
        problems.append(("age_band", f"unknown age band {data.age_band!r} (one of {', '.join(AGE_BANDS)})"))
    return problems


async def _child(child_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    row = await Child.select().where(Child.id == child_id).first().run()
    if row is None:
        raise NotFound(f"no child {child_id}", "child_id")
    return row, await _family(row["family"])


async def add_child(actor: Principal, family_id: int, data: ChildIn) -> ChildOut:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    problems = _child_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        row = (await Child.insert(Child(family=family_id, first_name=data.first_name, grade=data.grade,
                                        age_band=data.age_band)).returning(*Child.all_columns()).run())[0]
        await Family.update({Family.updated_at: utcnow()}).where(Family.id == family_id).run()
    return _child_out(row)


async def update_child(actor: Principal, child_id: int, data: ChildIn) -> ChildOut:
    row, family = await _child(child_id)
    require_family_access(actor, family["id"], family["school"])
    problems = _child_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        await Child.update({Child.first_name: data.first_name, Child.grade: data.grade, Child.age_band: data.age_band}
                           ).where(Child.id == child_id).run()
        await Family.update({Family.updated_at: utcnow()}).where(Family.id == family["id"]).run()
    return _child_out((await _child(child_id))[0])


async def get_child(actor: Principal, child_id: int) -> ChildOut:
    row, family = await _child(child_id)
    require_family_access(actor, family["id"], family["school"])
    return _child_out(row)


async def delete_child(actor: Principal, child_id: int) -> None:
    _, family = await _child(child_id)
    require_family_access(actor, family["id"], family["school"])
    async with writing():
        await Child.delete().where(Child.id == child_id).run()
        await Family.update({Family.updated_at: utcnow()}).where(Family.id == family["id"]).run()


async def list_children(actor: Principal, family_id: int) -> list[ChildOut]:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    rows = await Child.select().where(Child.family == family_id).order_by(Child.id).run()
    return [_child_out(r) for r in rows]


# ---------------------------------------------------------------- availability


async def set_family_availability(actor: Principal, family_id: int, data: AvailabilityIn) -> AvailabilityOut:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    school = await School.select(School.timezone).where(School.id == family["school"]).first().run()
    tz = school["timezone"]
    problems = weekly.window_problems(data.weekly, "weekly")
    dated_rows = [FamilyDatedAvailability(family=family_id, starts_at=start, ends_at=end, busy=data.dated[i].busy)
                  for i, start, end in parse_local_spans(data.dated, tz, "dated", problems)]
    if problems:
        raise InvalidInput(problems)
    async with writing():
        await weekly.replace(FamilyAvailability, FamilyAvailability.family, family_id, data.weekly, "weekly")
        await FamilyDatedAvailability.delete().where(FamilyDatedAvailability.family == family_id).run()
        if dated_rows:
            await FamilyDatedAvailability.insert(*dated_rows).run()
        await Family.update({Family.updated_at: utcnow()}).where(Family.id == family_id).run()
    return await get_family_availability(actor, family_id)


async def get_family_availability(actor: Principal, family_id: int) -> AvailabilityOut:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    school = await School.select(School.timezone).where(School.id == family["school"]).first().run()
    rows = await FamilyDatedAvailability.select().where(FamilyDatedAvailability.family == family_id
                                                        ).order_by(FamilyDatedAvailability.starts_at).run()
    dated = [DatedWindowOut(start=format_local(r["starts_at"], school["timezone"]),
                            end=format_local(r["ends_at"], school["timezone"]), busy=r["busy"]) for r in rows]
    return AvailabilityOut(weekly=await weekly.load(FamilyAvailability, FamilyAvailability.family, family_id),
                           dated=dated)


# ---------------------------------------------------------------- events


def _event_out(row: dict[str, Any], tz: str) -> EventOut:
    return EventOut(
        id=row["id"], school_id=row["school"], title=row["title"], kind=row["kind"], description=row["description"],
        duration_minutes=row["duration_minutes"], earliest_date=row["earliest_date"], latest_date=row["latest_date"],
        min_capacity=row["min_capacity"], room_tags=row["room_tags"], audience=row["audience"],
        interpreter_languages=row["interpreter_languages"], childcare_children=row["childcare_children"],
        fixed_start=format_local(row["fixed_start"], tz), status=row["status"],
        starts_at=format_local(row["starts_at"], tz), ends_at=format_local(row["ends_at"], tz), room_id=row["room"],
        sequence=row["sequence"], updated_at=row["updated_at"], cancelled_at=row["cancelled_at"],
    )


async def _event(event_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    row = await Event.select().where(Event.id == event_id).first().run()
    if row is None:
        raise NotFound(f"no event {event_id}", "event_id")
    school = await School.select().where(School.id == row["school"]).first().run()
    return row, school


def _event_values(data: EventIn, tz: str) -> dict[str, Any]:
    """Validated column values, or InvalidInput listing every problem."""
    problems = language_problems(data.interpreter_languages, "interpreter_languages")
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
        "childcare_children": data.childcare_children, "fixed_start": fixed,
    }


async def create_event(actor: Principal, slug: str, data: EventIn) -> EventOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    values = _event_values(data, school["timezone"])
    async with writing():
        row = (await Event.insert(Event(school=school["id"], **values)).returning(*Event.all_columns()).run())[0]
    return _event_out(row, school["timezone"])


async def update_event(actor: Principal, event_id: int, data: EventIn) -> EventOut:
    """Edit an event's planning data; a published event's SEQUENCE goes up so calendars refresh it."""
    row, school = await _event(event_id)
    require_admin(actor, school["id"])
    if row["status"] == "cancelled":
        raise Conflict(f"event {event_id} is cancelled; create a new one instead", "status")
    values = _event_values(data, school["timezone"])
    changed = {k: v for k, v in values.items() if row[k] != v}
    if changed:
        update = {getattr(Event, k): v for k, v in changed.items()} | {Event.updated_at: utcnow()}
        if row["status"] == "published":
            update[Event.sequence] = row["sequence"] + 1
            if row["starts_at"] is not None and "duration_minutes" in changed:
                update[Event.ends_at] = row["starts_at"] + dt.timedelta(minutes=values["duration_minutes"])
        async with writing():
            await Event.update(update).where(Event.id == event_id).run()
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
        await InterpreterAssignment.update({
            InterpreterAssignment.starts_at: starts, InterpreterAssignment.ends_at: ends,
            InterpreterAssignment.status: "open", InterpreterAssignment.interpreter: None,
            InterpreterAssignment.claimed_at: None, InterpreterAssignment.updated_at: utcnow(),
        }).where((InterpreterAssignment.event == event_id) & (InterpreterAssignment.status != "cancelled")).run()
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


async def set_interests(actor: Principal, family_id: int, event_ids: list[int]) -> list[int]:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    ids = sorted(set(event_ids))
    known = {r["id"] for r in await Event.select(Event.id).where(
        (Event.school == family["school"]) & Event.id.is_in(ids or [-1])).run()}
    missing = [(f"event_ids[{event_ids.index(i)}]", f"no event {i} in this school") for i in ids if i not in known]
    if missing:
        raise InvalidInput(missing)
    async with writing():
        await EventInterest.delete().where(EventInterest.family == family_id).run()
        if ids:
            await EventInterest.insert(*[EventInterest(family=family_id, event=i) for i in ids]).run()
    return ids


async def get_interests(actor: Principal, family_id: int) -> list[int]:
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    rows = await EventInterest.select(EventInterest.event).where(EventInterest.family == family_id).run()
    return sorted(r["event"] for r in rows)
