"""Use cases for families, their children, availability and interests.

One transaction each, domain errors (never HTTP) out; the API layer only parses and shapes. Local
times in and out are in the school's zone.
"""

from __future__ import annotations

from typing import Any

from resources import weekly
from resources.schemas import AGE_BANDS
from resources.services import language_problems, school_by_slug
from resources.tables import School
from scheduler.core.access import owner_of
from scheduler.core.auth import (
    Principal,
    require_admin,
    require_family_access,
)
from scheduler.core.db import use_case, writing
from scheduler.core.errors import InvalidInput, NotFound
from scheduler.core.grades import GRADES, canonical_grade
from scheduler.core.paging import PageRequest, fetch_page
from scheduler.core.phones import channel_problems, default_channels, normalize_phone
from scheduler.core.timeutil import format_local, parse_local_spans, utcnow
from scheduler.events.tables import Event
from scheduler.families.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    ChildIn,
    ChildOut,
    DatedWindowOut,
    FamilyIn,
    FamilyOut,
)
from scheduler.families.tables import Child, EventInterest, Family, FamilyAvailability, FamilyDatedAvailability


def _family_out(row: dict[str, Any]) -> FamilyOut:
    return FamilyOut(id=row["id"], school_id=row["school"], name=row["name"], language=row["language"],
                     email=row["email"], guardians=row["guardians"], updated_at=row["updated_at"],
                     phone=row.get("phone") or "", channels=row.get("channels") or "email")


async def _family(family_id: int) -> dict[str, Any]:
    row = await Family.select().where(Family.id == family_id).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    return row


def _family_problems(data: FamilyIn, current: dict[str, Any] | None = None
                    ) -> tuple[list[tuple[str, str]], str, str]:
    """Problems, and the phone (E.164) and channels the family will have (``current``: its row, when it exists)."""
    problems = language_problems([data.language], "language")
    problems = [("language", m) for _, m in problems]
    if "@" not in data.email or data.email.strip() != data.email:
        problems.append(("email", f"{data.email!r} is not an email address"))
    phone = normalize_phone(data.phone) if data.phone is not None else (current or {}).get("phone", "")
    if phone is None:
        problems.append(("phone", f"{data.phone!r} is not a phone number (write it with its country code, "
                                  "e.g. +16125550123)"))
        phone = ""
    channels = data.channels or ((current or {}).get("channels") if current else default_channels(data.email, phone))
    problems += channel_problems(channels or "email", data.email, phone)
    return problems, phone, channels or "email"


owner_of("family_id", "SELECT school, id AS family, NULL AS interpreter FROM family WHERE id = {}")


owner_of("child_id", "SELECT f.school, c.family, NULL AS interpreter FROM child c JOIN family f ON f.id = c.family "
                     "WHERE c.id = {}")


async def create_family(actor: Principal, slug: str, data: FamilyIn) -> FamilyOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    problems, phone, channels = _family_problems(data)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        row = (await Family.insert(Family(school=school["id"], name=data.name, language=data.language,
                                          email=data.email, guardians=data.guardians, phone=phone,
                                          channels=channels))
               .returning(*Family.all_columns()).run())[0]
    return _family_out(row)


async def update_family(actor: Principal, family_id: int, data: FamilyIn) -> FamilyOut:
    row = await _family(family_id)
    require_family_access(actor, family_id, row["school"])
    problems, phone, channels = _family_problems(data, row)
    if problems:
        raise InvalidInput(problems)
    async with writing():
        await Family.update({Family.name: data.name, Family.language: data.language, Family.email: data.email,
                             Family.guardians: data.guardians, Family.phone: phone, Family.channels: channels,
                             Family.updated_at: utcnow()}
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


def _child_out(row: dict[str, Any]) -> ChildOut:
    return ChildOut(id=row["id"], family_id=row["family"], first_name=row["first_name"], grade=row["grade"],
                    age_band=row["age_band"])


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


async def _interest_events(family: dict[str, Any], ids: list[int], field: str, given: list[int]
                           ) -> list[tuple[str, str]]:
    known = {r["id"] for r in await Event.select(Event.id).where(
        (Event.school == family["school"]) & Event.id.is_in(ids or [-1]) & (Event.status != "cancelled")).run()}
    return [(f"{field}[{given.index(i)}]", f"no event {i} of this school to say this of") for i in ids
            if i not in known]


async def set_interests(actor: Principal, family_id: int, event_ids: list[int], not_for_us: list[int] = ()
                        ) -> tuple[list[int], list[int]]:
    """Replace what the family said: the events it would come to, and those that are not for it."""
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    yes, no = sorted(set(event_ids)), sorted(set(not_for_us))
    problems = [(f"not_for_us[{list(not_for_us).index(i)}]", f"event {i} is also in event_ids: say one or the other")
                for i in no if i in yes]
    problems += await _interest_events(family, yes, "event_ids", event_ids)
    problems += await _interest_events(family, no, "not_for_us", list(not_for_us))
    if problems:
        raise InvalidInput(problems)
    async with writing():
        await EventInterest.delete().where(EventInterest.family == family_id).run()
        rows = [EventInterest(family=family_id, event=i, choice="yes") for i in yes]
        rows += [EventInterest(family=family_id, event=i, choice="no") for i in no]
        if rows:
            await EventInterest.insert(*rows).run()
    return yes, no


@use_case
async def say_of_event(actor: Principal, family_id: int, event_id: int, choice: str) -> str:
    """One event: "yes" (I'd come), "no" (not for us) or "" (take back what we said)."""
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    if choice not in ("yes", "no", ""):
        raise InvalidInput([("choice", "must be yes, no or empty")])
    if problems := await _interest_events(family, [event_id], "event_id", [event_id]):
        raise InvalidInput(problems)
    await EventInterest.delete().where((EventInterest.family == family_id) & (EventInterest.event == event_id)).run()
    if choice:
        await EventInterest.insert(EventInterest(family=family_id, event=event_id, choice=choice)).run()
    return choice


async def get_interests(actor: Principal, family_id: int) -> tuple[list[int], list[int]]:
    """(events the family would come to, events not for it)."""
    family = await _family(family_id)
    require_family_access(actor, family_id, family["school"])
    rows = await EventInterest.select(EventInterest.event, EventInterest.choice).where(
        EventInterest.family == family_id).run()
    return (sorted(r["event"] for r in rows if r["choice"] != "no"),
            sorted(r["event"] for r in rows if r["choice"] == "no"))
