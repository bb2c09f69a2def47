"""Registrations: a seat, childcare places and an interpreter need, booked together or not at all.

Every use case here runs inside one write transaction opened by the caller
(``scheduler.accounts.idempotency.once``) and starts by locking the event row, so
all bookings of one event are serialised: PostgreSQL by ``SELECT … FOR
UPDATE``, SQLite by ``BEGIN IMMEDIATE``. Capacity is therefore counted and
taken under the same lock — never check-then-insert across transactions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection
from typing import Any

import arrow
from piccolo.query.functions.aggregate import Sum

from resources import services as resource_services
from resources.childcare_capacity import fits, staff_on_duty
from resources.tables import ChildcareResource, Interpreter, School
from scheduler.assignments import services as assignments
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.bookings.reads import registration_outs
from scheduler.bookings.schemas import RegistrationIn, RegistrationOut
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin, require_family_access
from scheduler.core.db import fetch, for_update_of, locked, use_case
from scheduler.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from scheduler.core.languages import INSTRUCTION_LANGUAGE, is_language_code, language_name
from scheduler.core.timeutil import utcnow
from scheduler.events.tables import Event
from scheduler.families.tables import Family
from scheduler.notifications.outbox import notify

LIVE = ("confirmed", "waitlisted", "offered")
HOLDING = ["confirmed", "offered"]  # statuses that occupy a seat and childcare places


async def lock_event(event_id: int) -> dict[str, Any]:
    event = await locked(Event.select().where(Event.id == event_id)).first().run()
    if event is None:
        raise NotFound(f"no event {event_id}", "event_id")
    return event


def _bookable(event: dict[str, Any]) -> None:
    """Only published events that have not started take registrations."""
    if event["status"] != "published":
        state = "cancelled" if event["status"] == "cancelled" else "not published yet"
        raise Conflict(f"event {event['id']} is {state}; it takes no registrations", "event_id")
    if event["starts_at"] is None or event["starts_at"] <= utcnow():
        raise Conflict(f"event {event['id']} has already started", "event_id")


# The childcare room's cap, its ratios, its staffing on the event's weekday and the places booked, as rows
# of one shape (kind, a, b, c, band): a booking with children reads them in one round trip.
_CHILDCARE = ("SELECT 'room' AS kind, capacity AS a, 0 AS b, 0 AS c, '' AS band FROM childcare_resource WHERE id = {} "
              "UNION ALL SELECT 'ratio', children_per_staff, 0, 0, age_band FROM childcare_ratio WHERE childcare = {} "
              "UNION ALL SELECT 'staff', start_minute, end_minute, staff, '' FROM childcare_staffing "
              "WHERE childcare = {} AND weekday = {} "
              "UNION ALL SELECT 'booked', 0, 0, 0, age_band FROM childcare_booking "
              "WHERE event = {} AND status IN ('confirmed', 'offered')")


class Capacity:
    """What is taken and what is left at one event, read under the event lock.

    Childcare figures are read only when a booking involves children: most
    registrations bring none, and this is the hottest path of the service.
    """

    def __init__(self, event: dict[str, Any], tz: str, seats_used: int) -> None:
        self.event, self.tz, self.seats_used = event, tz, seats_used
        self.childcare: tuple[int, dict[str, int], int, Counter] | None = None

    @classmethod
    async def load(cls, event: dict[str, Any], tz: str) -> Capacity:
        used = await Registration.select(Sum(Registration.adults)).where(
            (Registration.event == event["id"]) & Registration.status.is_in(HOLDING)).first().run()
        return cls(event, tz, used["sum"] or 0)

    async def _childcare(self) -> tuple[int, dict[str, int], int, Counter]:
        """(staff on duty, ratios, room cap, children booked by band), read once, in one statement."""
        if self.childcare is None:
            event, staff, ratios, room_cap, booked = self.event, 0, {}, 0, Counter()
            cared = event["childcare"] is not None
            start = arrow.get(event["starts_at"]).to(self.tz) if cared else None
            windows = []
            for row in await fetch(_CHILDCARE, event["childcare"], event["childcare"], event["childcare"],
                                   start.weekday() if start else 0, event["id"]):
                if row["kind"] == "room":
                    room_cap = row["a"]
                elif row["kind"] == "ratio":
                    ratios[row["band"]] = row["a"]
                elif row["kind"] == "staff":
                    windows.append((row["a"], row["b"], row["c"]))
                else:
                    booked[row["band"]] += 1
            if start is not None:
                end = arrow.get(event["ends_at"]).to(self.tz)
                end_minute = end.hour * 60 + end.minute if end.date() == start.date() else 24 * 60
                staff = staff_on_duty(windows, start.hour * 60 + start.minute, end_minute)
            self.childcare = (staff, ratios, room_cap, booked)
        return self.childcare

    async def fits(self, adults: int, bands: Counter) -> bool:
        """Hard rule: the seat and every childcare place fit together, or nothing does."""
        if self.seats_used + adults > (self.event["seats"] or 0):
            return False
        if not bands:
            return True
        staff, ratios, room_cap, booked = await self._childcare()
        return fits(staff, ratios, room_cap, booked, bands)

    async def take(self, adults: int, bands: Counter) -> None:
        self.seats_used += adults
        if bands:
            (await self._childcare())[3].update(bands)


owner_of("registration_id", "SELECT e.school, r.family, NULL AS interpreter FROM registration r "
                            "JOIN event e ON e.id = r.event WHERE r.id = {}", fixed=True)


async def _school(school_id: int) -> dict[str, Any]:
    return await School.select().where(School.id == school_id).first().run()


def _acting_family(actor: Principal, data: RegistrationIn, school_id: int) -> int:
    """Families register themselves; a school admin may register a family on its behalf."""
    if actor.role == "family":
        if data.family_id not in (None, actor.family_id):
            raise Forbidden("a family may register only itself", "family_id")
        return actor.family_id
    if actor.role == "admin":
        require_admin(actor, school_id)
        if data.family_id is None:
            raise InvalidInput([("family_id", "an administrator must say which family to register")])
        return data.family_id
    raise Forbidden("interpreters do not register for events")


_CHILDREN = ("SELECT c.id, c.age_band, EXISTS (SELECT 1 FROM childcare_ratio r WHERE r.childcare = {} "
             "AND r.age_band = c.age_band) AS taken FROM child c WHERE c.family = {}")


async def _children(family_id: int, child_ids: list[int], event: dict[str, Any]) -> list[dict[str, Any]]:
    """The children a registration brings, checked: the family's, listed once, of an age band the room takes."""
    if not child_ids:  # most registrations bring no child: no query
        return []
    problems: list[tuple[str, str]] = []
    if len(set(child_ids)) != len(child_ids):
        problems.append(("child_ids", "a child is listed twice"))
    rows = {r["id"]: r for r in await fetch(_CHILDREN, event["childcare"], family_id)}
    if len(child_ids) > len(rows):
        problems.append(("child_ids", f"{len(child_ids)} children listed but the family has {len(rows)}"))
    for i, cid in enumerate(child_ids):
        if cid not in rows:
            problems.append((f"child_ids[{i}]", f"child {cid} is not in this family"))
    if event["childcare"] is None:
        problems.append(("child_ids", "no childcare is offered at this event"))
    if problems:
        raise InvalidInput(problems)
    refused = [(i, cid) for i, cid in enumerate(child_ids) if not rows[cid]["taken"]]
    if refused:
        care = await ChildcareResource.select(ChildcareResource.name).where(
            ChildcareResource.id == event["childcare"]).first().run()
        raise InvalidInput([(f"child_ids[{i}]", f"{care['name']} does not take {rows[cid]['age_band']} children")
                            for i, cid in refused])
    return [rows[cid] for cid in child_ids]


async def _out(reg: dict[str, Any]) -> RegistrationOut:
    return (await registration_outs([reg]))[0]


async def ensure_interpreter(event: dict[str, Any], language: str, covered: bool | None = None) -> None:
    """Open an assignment for a language the event does not cover yet, and tell its interpreters.

    ``covered``: whether a live assignment for the language exists, when the
    caller already read it under the event lock (a registration does).
    """
    if language == INSTRUCTION_LANGUAGE:
        return
    if covered is None:
        covered = await InterpreterAssignment.exists().where(
            (InterpreterAssignment.event == event["id"]) & (InterpreterAssignment.language == language)
            & (InterpreterAssignment.status != "cancelled")).run()
    if covered:
        return
    row = (await InterpreterAssignment.insert(InterpreterAssignment(
        event=event["id"], school=event["school"], language=language, status="open", starts_at=event["starts_at"],
        ends_at=event["ends_at"])).returning(InterpreterAssignment.id).run())[0]
    if language not in event["interpreter_languages"]:
        languages = sorted({*event["interpreter_languages"], language})
        # the feed's description names interpreted languages: calendars must refresh
        await Event.update({Event.interpreter_languages: languages, Event.sequence: Event.sequence + 1,
                            Event.updated_at: utcnow()}).where(Event.id == event["id"]).run()
        event["interpreter_languages"] = languages
    for person in await Interpreter.select(Interpreter.id, Interpreter.email).where(
            (Interpreter.school == event["school"]) & Interpreter.languages.any(language)).run():
        await notify("assignment_open", f"assignment-open:{row['id']}:{person['id']}", person["email"],
                     interpreter=person["id"], event=event["id"], school=event["school"],
                     payload={"assignment": row["id"], "language": language_name(language)})


async def withdraw_interpreter(event: dict[str, Any], language: str, planned: Collection[str] = ()) -> list[int]:
    """The inverse of :func:`ensure_interpreter`, for a registration that is gone.

    When no live registration at the event needs ``language`` any more and the
    event did not ask for it itself (``planned``: the languages its plan
    placed), its unclaimed assignment is cancelled and the language leaves the
    event's description (SEQUENCE goes up, as when it was added). Claimed work
    stays. Runs under the event lock; answers the cancelled assignment ids.
    """
    if language == INSTRUCTION_LANGUAGE or language in planned:
        return []
    if await Registration.exists().where((Registration.event == event["id"]) & (Registration.language == language)
                                         & Registration.status.is_in(list(LIVE))).run():
        return []
    live = await InterpreterAssignment.select(InterpreterAssignment.id).where(
        (InterpreterAssignment.event == event["id"]) & (InterpreterAssignment.language == language)
        & (InterpreterAssignment.status != "cancelled")).run()
    withdrawn = await assignments.withdraw_open([a["id"] for a in live])
    if withdrawn and language in event["interpreter_languages"]:
        languages = [lang for lang in event["interpreter_languages"] if lang != language]
        await Event.update({Event.interpreter_languages: languages, Event.sequence: Event.sequence + 1,
                            Event.updated_at: utcnow()}).where(Event.id == event["id"]).run()
        event["interpreter_languages"] = languages
    return withdrawn


async def _confirm(reg: dict[str, Any], event: dict[str, Any], family: dict[str, Any], kind: str,
                   covered: bool | None = None) -> None:
    await ensure_interpreter(event, reg["language"] or family["language"], covered)
    await notify(kind, f"registration:{reg['id']}:confirmed", family["email"], family["language"],
                 family=family["id"], event=event["id"], school=event["school"], payload={"registration": reg["id"]})


_LOCK_EVENT = ("SELECT e.id, e.school, e.status, e.starts_at, e.ends_at, e.seats, e.childcare, "
               "e.interpreter_languages, s.timezone AS timezone, f.id AS family_id, f.school AS family_school, "
               "f.language AS family_language, f.email AS family_email "
               "FROM event e JOIN school s ON s.id = e.school LEFT JOIN family f ON f.id = {} WHERE e.id = {}")
_TAKEN = ("SELECT (SELECT status FROM registration WHERE event = {} AND family = {} "
          "AND status IN ('confirmed', 'waitlisted', 'offered') LIMIT 1) AS existing, "
          "(SELECT COALESCE(SUM(adults), 0) FROM registration WHERE event = {} "
          "AND status IN ('confirmed', 'offered')) AS seats_used, "
          "(SELECT COALESCE(MAX(waitlist_seq), 0) FROM registration WHERE event = {}) AS last_seq, "
          "(SELECT COUNT(*) FROM registration WHERE event = {} AND status = 'waitlisted') AS waiting, "
          "(SELECT COUNT(*) FROM interpreter_assignment WHERE event = {} AND language = {} "
          "AND status <> 'cancelled') AS interpreted")
_INSERT = ("INSERT INTO registration (event, family, adults, language, status, waitlist_seq, created_at, updated_at) "
           "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id")


@use_case
async def register(actor: Principal, event_id: int, data: RegistrationIn) -> RegistrationOut:
    """Book a seat and childcare together, or join the waitlist when either is full.

    The hottest use case of the service (the evening registration opens), so
    its reads are few raw statements rather than a dozen Piccolo queries: the
    event locked with its school's zone and the family (one statement), then
    -- only once the lock is held, so nothing counted can change before the
    insert -- the family's live place, the seats taken, the waitlist's end and
    whether the language already has an interpreter (one statement). The
    lock comes first and alone on purpose: a subquery in a ``FOR UPDATE``
    statement would read its snapshot from before the lock wait and could
    count seats another booking had just taken.
    """
    candidate = actor.family_id if actor.role == "family" else data.family_id
    rows = await fetch(_LOCK_EVENT + for_update_of("e"), candidate, event_id)
    if not rows:
        raise NotFound(f"no event {event_id}", "event_id")
    event = rows[0]
    family_id = _acting_family(actor, data, event["school"])
    if event["family_id"] is None or event["family_school"] != event["school"]:
        raise InvalidInput([("family_id", f"no family {family_id} at this event's school")])
    _bookable(event)
    language = data.language or event["family_language"]
    if not is_language_code(language):
        raise InvalidInput([("language", f"unknown language code {language!r}")])
    taken = (await fetch(_TAKEN, event_id, family_id, event_id, event_id, event_id, event_id, language))[0]
    if taken["existing"] is not None:
        raise Conflict(f"this family is already {taken['existing']} for event {event_id}", "event_id")
    children = await _children(family_id, data.child_ids, event)
    bands = Counter(c["age_band"] for c in children)
    capacity = Capacity(event, event["timezone"], int(taken["seats_used"]))
    confirmed = await capacity.fits(data.adults, bands)
    status = "confirmed" if confirmed else "waitlisted"
    seq = None if confirmed else int(taken["last_seq"]) + 1
    now = utcnow()
    reg_id = (await fetch(_INSERT, event_id, family_id, data.adults, language, status, seq, now, now))[0]["id"]
    if children:
        await ChildcareBooking.insert(*[ChildcareBooking(registration=reg_id, event=event_id, child=c["id"],
                                                         childcare=event["childcare"], age_band=c["age_band"],
                                                         status=status) for c in children]).run()
    family = {"id": family_id, "email": event["family_email"], "language": event["family_language"]}
    if confirmed:
        await _confirm({"id": reg_id, "language": language}, event, family, "registration_confirmed",
                       covered=taken["interpreted"] > 0)
    else:
        await notify("registration_waitlisted", f"registration:{reg_id}:waitlisted", family["email"],
                     family["language"], family=family_id, event=event_id, school=event["school"],
                     payload={"registration": reg_id})
    return RegistrationOut(id=reg_id, event_id=event_id, family_id=family_id, status=status,
                           waitlist_position=None if confirmed else int(taken["waiting"]) + 1, adults=data.adults,
                           language=language, child_ids=list(data.child_ids), created_at=now)


async def _set_status(registration_ids: list[int], status: str, at: dt.datetime | None = None,
                      offered_until: dt.datetime | None = None) -> None:
    """A registration and its childcare places always change status together."""
    values = {Registration.status: status, Registration.updated_at: at or utcnow()}
    if offered_until is not None:
        values[Registration.offered_until] = offered_until
    await Registration.update(values).where(Registration.id.is_in(registration_ids)).run()
    await ChildcareBooking.update({ChildcareBooking.status: status}).where(
        ChildcareBooking.registration.is_in(registration_ids)).run()


async def _registration_of(actor: Principal, event: dict[str, Any], registration_id: int) -> dict[str, Any]:
    """One registration of a locked event, if the actor is its family or an admin of the school."""
    reg = await Registration.select().where((Registration.id == registration_id)
                                            & (Registration.event == event["id"])).first().run()
    if reg is None:
        raise NotFound(f"no registration {registration_id} for event {event['id']}", "registration_id")
    require_family_access(actor, reg["family"], event["school"])
    return reg


async def promote(event: dict[str, Any], tz: str, offer_hours: int = 0, now: dt.datetime | None = None
                  ) -> list[int]:
    """Confirm (or, with ``offer_hours``, offer) in waitlist order every waiting family whose seat
    and childcare now fit together.

    One pass suffices: confirming someone only uses capacity, so a family
    skipped because it did not fit cannot fit later in the same pass. An
    offer holds the seat like a confirmation until it is accepted or expires
    (``scheduler.notifications.sweeps.expired_offers`` passes it on).
    """
    if event["status"] != "published":
        return []
    capacity = await Capacity.load(event, tz)
    promoted = []
    waiting = await Registration.select().where((Registration.event == event["id"])
                                                & (Registration.status == "waitlisted")
                                                ).order_by(Registration.waitlist_seq).run()
    # every waiting family's childcare in one statement: a popular event's waitlist is long, and this runs
    # under the event's lock
    bands_of: dict[int, Counter] = defaultdict(Counter)
    for k in await ChildcareBooking.select(ChildcareBooking.registration, ChildcareBooking.age_band).where(
            ChildcareBooking.registration.is_in([r["id"] for r in waiting] or [-1])).run():
        bands_of[k["registration"]][k["age_band"]] += 1
    for reg in waiting:
        if capacity.seats_used + 1 > (event["seats"] or 0):
            break  # not a seat left (every registration brings an adult): nobody further down fits either
        bands = bands_of[reg["id"]]
        if not await capacity.fits(reg["adults"], bands):
            continue
        await capacity.take(reg["adults"], bands)
        family = await Family.select().where(Family.id == reg["family"]).first().run()
        if offer_hours > 0:
            await _offer(reg, event, family, offer_hours, now or utcnow())
            promoted.append(reg["id"])
            continue
        await _set_status([reg["id"]], "confirmed")
        await _confirm(reg, event, family, "waitlist_promoted")
        promoted.append(reg["id"])
    return promoted


async def _offer(reg: dict[str, Any], event: dict[str, Any], family: dict[str, Any], hours: int,
                 now: dt.datetime) -> None:
    until = now + dt.timedelta(hours=hours)
    await _set_status([reg["id"]], "offered", at=now, offered_until=until)
    await notify("waitlist_offered", f"registration:{reg['id']}:offered:{int(until.timestamp())}", family["email"],
                 family["language"], family=family["id"], event=event["id"], school=event["school"],
                 payload={"registration": reg["id"], "offered_until": until.isoformat()})


@use_case
async def accept(actor: Principal, event_id: int, registration_id: int) -> RegistrationOut:
    """The family takes the seat it was offered, before the offer runs out."""
    event = await lock_event(event_id)
    reg = await _registration_of(actor, event, registration_id)
    if reg["status"] == "confirmed":
        return await _out(reg)
    if reg["status"] != "offered" or reg["offered_until"] is None or reg["offered_until"] <= utcnow():
        raise Conflict(f"registration {registration_id} has no open offer (it is {reg['status']})", "registration_id")
    await _set_status([registration_id], "confirmed")
    family = await Family.select().where(Family.id == reg["family"]).first().run()
    await _confirm(reg, event, family, "waitlist_promoted")
    return await _out(await Registration.select().where(Registration.id == registration_id).first().run())


@use_case
async def expire_offers(event_id: int, now: dt.datetime) -> list[int]:
    """Offers of one event that ran out become cancellations, and the seat goes to the next family.

    Idempotent: under the event lock an offer is expired once; a second run
    finds none and offers nothing new.
    """
    event = await lock_event(event_id)
    expired = await Registration.select(Registration.id).where(
        (Registration.event == event_id) & (Registration.status == "offered")
        & (Registration.offered_until <= now)).run()
    if not expired:
        return []
    ids = [r["id"] for r in expired]
    await _set_status(ids, "cancelled")
    school = await _school(event["school"])
    return await promote(event, school["timezone"], school["waitlist_offer_hours"], now)


async def release(event: dict[str, Any], registration_ids: list[int]) -> list[int]:
    """Cancel registrations of a locked event, freeing their seats and childcare places, and give
    what was freed to the waitlist (the school's offer setting decides confirm or offer).

    The one path every cancellation takes (a family's, an account deletion's),
    so a freed seat is never left unpromoted. Answers the promoted registration ids.
    """
    await _set_status(registration_ids, "cancelled")
    school = await _school(event["school"])
    return await promote(event, school["timezone"], school["waitlist_offer_hours"])


@use_case
async def cancel(actor: Principal, event_id: int, registration_id: int) -> RegistrationOut:
    """Free the seat and childcare places, then promote whoever now fits."""
    event = await lock_event(event_id)
    reg = await _registration_of(actor, event, registration_id)
    if reg["status"] != "cancelled":
        await release(event, [registration_id])
        reg = await Registration.select().where(Registration.id == registration_id).first().run()
    return await _out(reg)


async def promote_for_childcare(childcare_id: int) -> list[int]:
    """After staffing grows, fill waitlists of upcoming events using this childcare room."""
    promoted: list[int] = []
    upcoming = await Event.select(Event.id).where((Event.childcare == childcare_id) & (Event.status == "published")
                                                  & (Event.starts_at > utcnow())).order_by(Event.id).run()
    for row in upcoming:
        promoted += await promote_after_change(row["id"])
    return promoted


async def seats_taken(event_id: int) -> int:
    """Adults holding a seat (confirmed, or offered and not yet expired)."""
    rows = await Registration.select(Registration.adults).where(
        (Registration.event == event_id) & Registration.status.is_in(HOLDING)).run()
    return sum(r["adults"] for r in rows)


async def promote_after_change(event_id: int) -> list[int]:
    """More room at an event (seats raised, more childcare staff): fill its waitlist, under its lock."""
    event = await lock_event(event_id)
    school = await _school(event["school"])
    return await promote(event, school["timezone"], school["waitlist_offer_hours"])


async def list_for_event(actor: Principal, event_id: int) -> list[RegistrationOut]:
    event = await Event.select(Event.school).where(Event.id == event_id).first().run()
    if event is None:
        raise NotFound(f"no event {event_id}", "event_id")
    where = Registration.event == event_id
    if actor.role == "family":
        where &= Registration.family == actor.family_id
    else:
        require_admin(actor, event["school"])
    return await registration_outs(await Registration.select().where(where).order_by(Registration.id).run())


async def list_for_family(actor: Principal, family_id: int) -> list[RegistrationOut]:
    family = await Family.select().where(Family.id == family_id).first().run()
    if family is None:
        raise NotFound(f"no family {family_id}", "family_id")
    require_family_access(actor, family_id, family["school"])
    return await registration_outs(
        await Registration.select().where(Registration.family == family_id).order_by(Registration.id).run())



@use_case
async def set_staffing(actor: Principal, childcare_id: int, windows: list) -> list[dict]:
    """More staff means more places: the waitlists they unblock are filled in the same transaction."""
    saved = await resource_services.set_staffing(actor, childcare_id, windows)
    await promote_for_childcare(childcare_id)
    return saved
