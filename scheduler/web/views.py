"""Read-only queries that shape what the pages show and the API has no route for.

Writes never happen here: every change a page makes goes through the same
service function the JSON API calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.query.functions.aggregate import Count

from scheduler.auth import Principal, require_admin
from resources.tables import Interpreter
from scheduler.tables import Child, Event, Family, FamilyAvailability, InterpreterAssignment, Outbox, Registration
from scheduler.timeutil import utcnow
from scheduler.web import heatmap


async def availability_heatmap(actor: Principal, school_id: int, grade: str = "", language: str = ""
                               ) -> heatmap.Heatmap:
    """The weekly windows of the school's families, narrowed to a grade and/or a home language."""
    require_admin(actor, school_id)
    where = Family.school == school_id
    if language:
        where &= Family.language == language
    if grade:
        where &= Family.id.is_in(Child.select(Child.family).where(Child.grade == grade))
    families = await Family.count().where(where).run()
    rows = await FamilyAvailability.select(
        FamilyAvailability.family, FamilyAvailability.weekday, FamilyAvailability.start_minute,
        FamilyAvailability.end_minute).where(FamilyAvailability.family.is_in(Family.select(Family.id).where(where))
                                             ).run()
    return heatmap.build(((r["family"], r["weekday"], r["start_minute"], r["end_minute"]) for r in rows), families)


async def filter_choices(school_id: int) -> dict[str, list[str]]:
    """The grades and languages present in the school, for the heatmap's filters."""
    grades = await Child.select(Child.grade).where(Child.family.school == school_id).distinct().run()
    languages = await Family.select(Family.language).where(Family.school == school_id).distinct().run()
    order = {g: i for i, g in enumerate(["pre-k", "PK", "K", *map(str, range(1, 13))])}
    return {"grades": sorted({g["grade"] for g in grades}, key=lambda g: (order.get(g, 99), g)),
            "languages": sorted({r["language"] for r in languages})}


async def school_events(school_id: int, status: str, upcoming_only: bool = False) -> list[dict[str, Any]]:
    """Events of one status with their room and seats taken, soonest first (drafts by id).

    Conference evenings are left out: families book those meeting by meeting
    (their itinerary), not as one event with seats.
    """
    where = (Event.school == school_id) & (Event.status == status) & (Event.kind != "conference")
    if upcoming_only:
        where &= Event.starts_at >= utcnow() - dt.timedelta(hours=3)
    rows = await Event.select(Event.id, Event.title, Event.kind, Event.duration_minutes, Event.earliest_date,
                              Event.latest_date, Event.starts_at, Event.seats, Event.interpreter_languages,
                              Event.childcare_children, Event.room.name.as_alias("room_name")).where(where).order_by(
        Event.starts_at if status != "draft" else Event.id).run()
    taken = {r["event"]: r["n"] for r in await Registration.select(
        Registration.event, Count(Registration.id, alias="n")).where(
        Registration.event.is_in([r["id"] for r in rows] or [-1]) & (Registration.status == "confirmed")
    ).group_by(Registration.event).run()}
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


async def interpreter_names(school_id: int) -> dict[int, str]:
    rows = await Interpreter.select(Interpreter.id, Interpreter.name).where(Interpreter.school == school_id).run()
    return {r["id"]: r["name"] for r in rows}


BOOKING_MAIL = ("registration_confirmed", "registration_waitlisted", "waitlist_offered", "waitlist_promoted")


async def booking_mail(family_id: int) -> dict[int, dict[str, Any]]:
    """Per event, the newest booking e-mail to this family and how its delivery went (status, attempts).

    The page says what is true of the e-mail rather than promising it: "sent",
    "not sent yet, we keep trying", or "could not be delivered".
    """
    rows = await Outbox.select(Outbox.event, Outbox.status, Outbox.attempts, Outbox.id).where(
        (Outbox.family == family_id) & Outbox.kind.is_in(list(BOOKING_MAIL)) & Outbox.event.is_not_null()
    ).order_by(Outbox.id).run()
    return {r["event"]: r for r in rows}  # ordered by id: the newest per event wins
