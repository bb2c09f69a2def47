"""Check-in at the door: by the family's code, by the family, or a walk-in by name; undo; search; counts.

Staff (the school's admins and teachers) check families in on a phone that
may be offline: each check-in is made on the phone with a ``client_ref``
and sent later, maybe twice, maybe from two phones at once. So every
check-in runs under the event's lock (``bookings.lock_event``) and:

* a ``client_ref`` seen before answers the row it made (a retried sync is a
  no-op; the same ref for another event is refused);
* a family already checked in answers the existing check-in ("already"),
  never a second row, whoever sent it;
* the phone's ``checked_in_at`` is kept when it falls inside the event's
  days (the local day before the event to the day after it ends) and is not
  in the future; otherwise the time the server received it is kept instead
  and the answer says so. Clamping rather than refusing: a phone with a
  wrong clock must not lose a family's check-in in its queue.

Check-ins are taken from the day before the event to the day after it, for
published events only. Search finds the event's registered families by
family, guardian or child name (case and accents ignored) and, for a
family walking in without registering, the school's other families; never
a family of another school.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from resources.tables import School
from scheduler.attendance import codes
from scheduler.attendance.schemas import BatchOut, CheckInItem, CheckInList, CheckInOut, Counts, ItemResult
from scheduler.attendance.tables import CheckIn
from scheduler.bookings import services as bookings
from scheduler.bookings.tables import Registration
from scheduler.core.auth import Principal, require_member
from scheduler.core.db import use_case
from scheduler.core.errors import T_, Conflict, DomainError, Forbidden, InvalidInput, NotFound
from scheduler.core.timeutil import as_utc, utcnow, zone
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family

STAFF = ("admin", "teacher")
FUTURE_SLACK = dt.timedelta(minutes=5)  # a phone a little ahead of the server is not "in the future"
ROSTER_RESULTS = 20  # families of the school shown for a search, beside the registered ones


def fold(text: str) -> str:
    """Lower case without accents: "García" and "garcia" match."""
    return "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c)).casefold()


def require_staff(actor: Principal, school_id: int) -> None:
    """The door is staff work: the school's admins and teachers (and district admins)."""
    if actor.role not in STAFF:
        raise Forbidden("only the school's staff check families in")
    require_member(actor, school_id)


async def door_event(actor: Principal, event_id: int) -> dict[str, Any]:
    """The event with its school's zone, for staff of its school."""
    event = await Event.select(Event.id, Event.title, Event.school, Event.status, Event.starts_at, Event.ends_at,
                               Event.school.timezone.as_alias("timezone")).where(Event.id == event_id).first().run()
    if event is None:
        raise NotFound(f"no event {event_id}", "event_id")
    require_staff(actor, event["school"])
    return event


def window(event: dict[str, Any], timezone: str) -> tuple[dt.datetime, dt.datetime] | None:
    """From the start of the local day before the event to the end of the local day after it (None: no time)."""
    starts, ends = as_utc(event["starts_at"]), as_utc(event["ends_at"]) or as_utc(event["starts_at"])
    if starts is None:
        return None
    tz = zone(timezone)
    first = starts.astimezone(tz).date() - dt.timedelta(days=1)
    last = ends.astimezone(tz).date() + dt.timedelta(days=2)  # exclusive: midnight ending the day after
    return (dt.datetime.combine(first, dt.time(), tz).astimezone(dt.timezone.utc),
            dt.datetime.combine(last, dt.time(), tz).astimezone(dt.timezone.utc))


def _open(event: dict[str, Any], timezone: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if event["status"] != "published":
        raise Conflict(T_("this event is not published: there is no check-in"), "event_id")
    bounds = window(event, timezone)
    if bounds is None or not bounds[0] <= now < bounds[1]:
        raise Conflict(T_("check-in is open from the day before the event to the day after it"), "event_id")
    return bounds


def _when(given: dt.datetime | None, bounds: tuple[dt.datetime, dt.datetime], now: dt.datetime
          ) -> tuple[dt.datetime, str]:
    """The phone's time when it is believable, else the server's (and a note saying so)."""
    if given is None:
        return now, ""
    given = as_utc(given)
    if bounds[0] <= given < bounds[1] and given <= now + FUTURE_SLACK:
        return given, ""
    return now, "checked_in_at was outside the event's days or in the future; the server's time is kept"


_COLUMNS = (CheckIn.id, CheckIn.event, CheckIn.client_ref, CheckIn.registration, CheckIn.family,
            CheckIn.walk_in_name, CheckIn.adults, CheckIn.children, CheckIn.checked_in_at, CheckIn.recorded_at,
            CheckIn.family.name.as_alias("family_name"))


def _out(row: dict[str, Any]) -> CheckInOut:
    kind = "registered" if row["registration"] else ("family" if row["family"] else "walk_in")
    return CheckInOut(id=row["id"], event_id=row["event"], client_ref=row["client_ref"], kind=kind,
                      registration_id=row["registration"], family_id=row["family"],
                      name=row["family_name"] or row["walk_in_name"], adults=row["adults"], children=row["children"],
                      checked_in_at=as_utc(row["checked_in_at"]), recorded_at=as_utc(row["recorded_at"]))


async def _row(where: Any) -> dict[str, Any] | None:
    return await CheckIn.select(*_COLUMNS).where(where).first().run()


def _one_of(item: CheckInItem) -> str:
    given = [k for k in ("code", "family_id", "walk_in_name") if getattr(item, k) not in (None, "")]
    if len(given) != 1:
        raise InvalidInput([(given[1] if given else "code",
                             T_("give exactly one of a code, a family or a walk-in's name"))])
    if given[0] == "walk_in_name" and not item.walk_in_name.strip():
        raise InvalidInput([("walk_in_name", T_("write the name of the person walking in"))])
    return given[0]


async def _party(item: CheckInItem, how: str, event: dict[str, Any], secret: str) -> tuple[int | None, int | None]:
    """(registration, family) the item names, checked against the event and its school."""
    if how == "walk_in_name":
        return None, None
    if how == "code":
        registration_id = codes.registration_of(secret, item.code or "")
        if registration_id is None:
            raise InvalidInput([("code", T_("this code is not valid: check it and type it again"))])
        reg = await Registration.select(Registration.id, Registration.event, Registration.family,
                                        Registration.status).where(Registration.id == registration_id).first().run()
        if reg is None or reg["event"] != event["id"]:
            raise InvalidInput([("code", T_("this code is for another event"))])
        if reg["status"] != "confirmed":
            raise Conflict(T_("this registration is not confirmed (cancelled or on the waitlist)"), "code")
        return reg["id"], reg["family"]
    family = await Family.select(Family.id, Family.school).where(Family.id == item.family_id).first().run()
    if family is None or family["school"] != event["school"]:
        raise NotFound(T_("no such family at this school"), "family_id")
    reg = await Registration.select(Registration.id).where(
        (Registration.event == event["id"]) & (Registration.family == family["id"])
        & (Registration.status == "confirmed")).first().run()
    return (reg["id"] if reg else None), family["id"]


@use_case
async def check_in(actor: Principal, event_id: int, item: CheckInItem, secret: str,
                   now: dt.datetime | None = None) -> tuple[str, CheckInOut, str]:
    """Check one party in: ("checked_in" | "already", the check-in, a note). See the module docstring."""
    now = now or utcnow()
    event = await bookings.lock_event(event_id)
    school = await School.select(School.timezone).where(School.id == event["school"]).first().run()
    require_staff(actor, event["school"])
    seen = await _row(CheckIn.client_ref == item.client_ref)
    if seen is not None:  # the same tap sent again (a retried sync, or two phones sharing a queue)
        if seen["event"] != event_id:
            raise Conflict(T_("this client_ref was used for another event"), "client_ref")
        return "checked_in", _out(seen), ""
    bounds = _open(event, school["timezone"], now)
    how = _one_of(item)
    registration_id, family_id = await _party(item, how, event, secret)
    if family_id is not None:
        existing = await _row((CheckIn.event == event_id) & (CheckIn.family == family_id))
        if existing is not None:
            return "already", _out(existing), ""
    adults = item.adults
    if adults is None and registration_id is not None:
        adults = (await Registration.select(Registration.adults).where(
            Registration.id == registration_id).first().run())["adults"]
    when, note = _when(item.checked_in_at, bounds, now)
    inserted = await CheckIn.insert(CheckIn(
        event=event_id, registration=registration_id, family=family_id,
        walk_in_name=(item.walk_in_name or "").strip() if family_id is None else "",
        adults=1 if adults is None else adults, children=item.children or 0, client_ref=item.client_ref,
        checked_in_at=when, recorded_at=now, recorded_by=actor.user_id)).returning(CheckIn.id).run()
    return "checked_in", _out(await _row(CheckIn.id == inserted[0]["id"])), note


async def check_in_batch(actor: Principal, event_id: int, items: list[CheckInItem], secret: str,
                         now: dt.datetime | None = None) -> BatchOut:
    """A phone's queue: each item in its own transaction and answered on its own, so one refused item (a
    forged code, a family of another school) loses none of the others. The phone drops an item from its
    queue once it has an answer for it, whatever the answer."""
    await door_event(actor, event_id)
    results = []
    for item in items:
        try:
            outcome, row, note = await check_in(actor, event_id, item, secret, now)
            results.append(ItemResult(client_ref=item.client_ref, outcome=outcome, check_in=row, note=note))
        except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
            field, reason = reason_of(exc)
            results.append(ItemResult(client_ref=item.client_ref, outcome="refused", field=field, reason=reason))
    return BatchOut(results=results, counts=await counts(event_id))


def reason_of(exc: DomainError) -> tuple[str, str]:
    """(field, message) of a refusal: the first problem of an invalid input."""
    return exc.problems[0] if isinstance(exc, InvalidInput) else (exc.field or "", exc.message)


@use_case
async def undo(actor: Principal, event_id: int, check_in_id: int) -> None:
    """Take back a check-in made by mistake (the family can be checked in again)."""
    event = await bookings.lock_event(event_id)
    require_staff(actor, event["school"])
    gone = await CheckIn.delete().where((CheckIn.id == check_in_id) & (CheckIn.event == event_id)).returning(
        CheckIn.id).run()
    if not gone:
        raise NotFound(T_("no such check-in at this event"), "check_in_id")


async def counts(event_id: int) -> Counts:
    rows = await CheckIn.select(CheckIn.registration, CheckIn.adults, CheckIn.children).where(
        CheckIn.event == event_id).run()
    registered = await Registration.count().where((Registration.event == event_id)
                                                  & (Registration.status == "confirmed")).run()
    return Counts(registered=registered, registered_checked_in=sum(1 for r in rows if r["registration"]),
                  walk_ins=sum(1 for r in rows if not r["registration"]), checked_in=len(rows),
                  people=sum(r["adults"] + r["children"] for r in rows))


async def list_check_ins(actor: Principal, event_id: int) -> CheckInList:
    """Every check-in of the event, latest first, with the counts."""
    await door_event(actor, event_id)
    rows = await CheckIn.select(*_COLUMNS).where(CheckIn.event == event_id).order_by(
        CheckIn.checked_in_at, ascending=False).order_by(CheckIn.id, ascending=False).run()
    return CheckInList(counts=await counts(event_id), items=[_out(r) for r in rows])


def _matches(words: list[str], *texts: str) -> bool:
    haystack = " ".join(fold(t) for t in texts)
    return all(w in haystack for w in words)


async def search(actor: Principal, event_id: int, q: str = "") -> list[dict[str, Any]]:
    """The door list: the event's registered families (all, or those matching ``q``), then, when searching,
    families of the same school without a registration (walking in). Each with its check-in, if any."""
    event = await door_event(actor, event_id)
    words = fold(q).split()
    regs = await Registration.select(Registration.id, Registration.family, Registration.adults,
                                     Registration.family.name.as_alias("name"),
                                     Registration.family.guardians.as_alias("guardians")).where(
        (Registration.event == event_id) & (Registration.status == "confirmed")).run()
    registered = {r["family"] for r in regs}
    roster = await Family.select(Family.id, Family.name, Family.guardians).where(
        Family.school == event["school"]).order_by(Family.name).run() if words else []
    family_ids = list(registered | {f["id"] for f in roster})
    kids: dict[int, list[str]] = {}
    for c in await Child.select(Child.family, Child.first_name).where(Child.family.is_in(family_ids or [-1])).run():
        kids.setdefault(c["family"], []).append(c["first_name"])
    done = {r["family"]: r for r in await CheckIn.select(CheckIn.id, CheckIn.family).where(
        (CheckIn.event == event_id) & CheckIn.family.is_not_null()).run()}

    def entry(family_id: int, name: str, guardians: list[str], registration: int | None, adults: int) -> dict:
        check = done.get(family_id)
        return {"family_id": family_id, "name": name, "guardians": list(guardians or []),
                "children": kids.get(family_id, []), "registration_id": registration, "adults": adults,
                "check_in_id": check["id"] if check else None,
                "search": fold(" ".join([name, *(guardians or []), *kids.get(family_id, [])]))}

    out = [entry(r["family"], r["name"], r["guardians"], r["id"], r["adults"])
           for r in sorted(regs, key=lambda r: fold(r["name"]))
           if _matches(words, r["name"], *(r["guardians"] or []), *kids.get(r["family"], []))]
    walk_ins = [entry(f["id"], f["name"], f["guardians"], None, 1) for f in roster
                if f["id"] not in registered and _matches(words, f["name"], *(f["guardians"] or []),
                                                          *kids.get(f["id"], []))]
    return out + walk_ins[:ROSTER_RESULTS]


async def named_walk_ins(event_id: int) -> list[dict[str, Any]]:
    """Walk-ins checked in by name (not in the roster), for the door page."""
    return await CheckIn.select(CheckIn.id, CheckIn.walk_in_name, CheckIn.adults, CheckIn.children).where(
        (CheckIn.event == event_id) & CheckIn.family.is_null()).order_by(CheckIn.id).run()


async def family_codes(family_id: int, secret: str) -> dict[int, str]:
    """Registration id -> door code, for the family's confirmed registrations (its page shows them)."""
    rows = await Registration.select(Registration.id).where(
        (Registration.family == family_id) & (Registration.status == "confirmed")).run()
    return {r["id"]: codes.door_code(secret, r["id"]) for r in rows}
