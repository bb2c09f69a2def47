"""Calendar use cases: feeds built from rows, feed tokens, busy-time import.

The pure parts live beside this module (``feeds``, ``tokens``,
``ics_import``); this module only reads and writes rows and turns them into
the plain values those functions take. One transaction per writing use case;
domain errors (never HTTP) out.

Feeds are pure functions of stored rows, so nothing here caches a feed: every
request reads the rows again and rebuilds (cheaply, thanks to the builder's
content-keyed VEVENT cache, which cannot go stale because its key *is* the
content).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import msgspec
from piccolo.query.functions.aggregate import Max
from piccolo.table import Table

from calendars import feeds, tokens
from calendars.feeds import FeedEvent, FeedSpec
from calendars.ics_import import IcsImportError, import_busy
from calendars.tables import FeedToken
from resources.tables import Interpreter, InterpreterBusy, Room, School
from scheduler.auth import Principal, require_admin, require_family_access, require_interpreter_access
from scheduler.db import writing
from scheduler.errors import InvalidInput, NotFound, PayloadTooLarge
from scheduler.settings import Settings
from scheduler.tables import (
    ChildcareBooking,
    Child,
    Event,
    Family,
    FamilyDatedAvailability,
    InterpreterAssignment,
    Registration,
)
from scheduler.timeutil import format_local, utcnow

REFRESH_MINUTES = 60
FEED_STATUSES = ("published", "cancelled")  # a published event is never deleted nor set back to draft
OWNER_KINDS = ("family", "interpreter", "room")
MAX_UPLOAD_BYTES = 5_000_000  # the default of FB_MAX_UPLOAD_BYTES; callers pass the configured limit
IMPORT_DAYS_BACK, IMPORT_DAYS_AHEAD, IMPORT_MAX_DAYS = 1, 365, 731
_PAST = dt.timedelta(days=feeds.PAST_DAYS)
_CANCELLED = dt.timedelta(days=feeds.CANCELLED_DAYS)


@dataclass(frozen=True)
class Feed:
    """A built feed and its validators; the API layer turns it into HTTP."""

    body: bytes
    etag: str
    last_modified: dt.datetime


class FeedTokenOut(msgspec.Struct):
    token: str
    https: str
    webcal: str


class BusyOut(msgspec.Struct):
    start: str
    end: str


# ---------------------------------------------------------------- helpers


def _as_utc(value: Any) -> dt.datetime | None:
    """Aggregates come back as text on SQLite and as datetimes on PostgreSQL."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.timezone.utc)


def uid_domain(settings: Settings) -> str:
    """The right-hand side of every UID: the public host name of this installation.

    It must not change while clients are subscribed (a new domain = new UIDs =
    duplicated entries), so it comes from FB_BASE_URL, not from the request.
    """
    return urlsplit(settings.public_url).hostname or "family-bridge.invalid"


def event_columns() -> list:
    return [Event.id, Event.title, Event.kind, Event.description, Event.status, Event.starts_at, Event.ends_at,
            Event.sequence, Event.updated_at, Event.cancelled_at, Event.audience, Event.interpreter_languages,
            Event.childcare_children, Event.room.name.as_alias("room_name")]


async def _event_rows(where: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Scheduled published/cancelled events that may still be visible (the builder decides exactly)."""
    where &= Event.status.is_in(list(FEED_STATUSES)) & Event.starts_at.is_not_null()
    where &= Event.ends_at >= now - _PAST
    return await Event.select(*event_columns()).where(where).run()


_ROW_FIELDS = ("id", "title", "kind", "description", "status", "starts_at", "ends_at", "sequence", "updated_at",
               "cancelled_at", "audience", "interpreter_languages", "childcare_children", "room_name")


def feed_event(row: dict[str, Any], school: dict[str, Any], domain: str, *, title: str | None = None,
                note: str = "", updated_at: dt.datetime | None = None) -> FeedEvent:
    """The FeedEvent of an event row (plus, in private feeds, the owner's title, note and date)."""
    key = tuple(tuple(v) if isinstance(v, list) else v for v in (row[f] for f in _ROW_FIELDS))
    return _feed_event_of(key, school["name"], domain, title, note, updated_at)


@lru_cache(maxsize=feeds.VEVENT_CACHE_SIZE)
def _feed_event_of(key: tuple, school: str, domain: str, title: str | None, note: str,
                   updated_at: dt.datetime | None) -> FeedEvent:
    """Memoised on the row's full content (never stale: a changed row is a new key).

    Returning the *same* FeedEvent object for unchanged rows also makes the
    builder's caches cheap: equal tuples of identical objects compare by identity.
    """
    row = dict(zip(_ROW_FIELDS, key))
    cancelled = row["status"] == "cancelled"
    description = "\n\n".join(p for p in (note, row["description"].strip()) if p)
    return FeedEvent(
        uid=feeds.event_uid("event", row["id"], domain),
        title=title or row["title"], kind=row["kind"], start=row["starts_at"], end=row["ends_at"],
        updated_at=max(row["updated_at"], updated_at or row["updated_at"]), school=school,
        status="cancelled" if cancelled else "confirmed", sequence=row["sequence"], room=row["room_name"],
        interpreted_languages=row["interpreter_languages"], childcare=row["childcare_children"] > 0,
        description=description, cancelled_at=row["cancelled_at"] if cancelled else None,
        categories=row["audience"],
    )


async def _school(where: Any) -> dict[str, Any] | None:
    """Only the columns a feed uses: feeds must not break (or slow down) when a school gains columns."""
    return await School.select(School.id, School.name, School.timezone, School.updated_at).where(where).first().run()


_OWNER_COLUMNS = {
    "family": (Family, (Family.id, Family.school, Family.name, Family.language, Family.updated_at)),
    "interpreter": (Interpreter, (Interpreter.id, Interpreter.school, Interpreter.name, Interpreter.updated_at)),
    "room": (Room, (Room.id, Room.school, Room.name, Room.updated_at)),
}


async def _owner(kind: str, owner_id: int) -> dict[str, Any] | None:
    table, columns = _OWNER_COLUMNS[kind]
    return await table.select(*columns).where(table.id == owner_id).first().run()


async def _max(table: type[Table], column: Any, where: Any) -> dt.datetime | None:
    row = await table.select(Max(column, alias="m")).where(where).first().run()
    return _as_utc(row["m"]) if row else None


async def _last_modified(school_id: int, now: dt.datetime, *extra: dt.datetime | None) -> dt.datetime:
    """Last-Modified of any feed of the school, monotonic WITHOUT a watermark table.

    A feed changes when (a) a row it shows is edited, or (b) a row leaves it.
    (a) is covered by the ``updated_at`` of every row that can reach a feed
    (events, the school, its rooms; the caller adds the owner's rows such as
    registrations or assignments). (b) has two causes: an edit (which bumps
    ``updated_at``, so it is (a) again) or the clock -- an event leaves at
    end + 60 days, a cancelled one at cancelled_at + 30 days. Those *drop
    instants* are fixed per row, so once one has passed it is included for
    good. Taking the maximum over the candidate rows of both therefore never
    moves backwards *because candidate rows never disappear*: the candidates
    are every published or cancelled event of the whole school (not just the
    ones this feed shows, so an event moved to another room or audience still
    counts), a published event is never deleted (409) nor set back to draft,
    and registrations are cancelled, not deleted. A rescheduled event whose
    passed drop instant moves into the future is no exception: the edit's
    ``updated_at`` is later than that instant. Being school-wide makes the
    date conservative (a change elsewhere in the school may date a feed that
    did not change): that costs a client one full download, never a stale 304.
    The ETag, a hash of the exact bytes, stays the precise validator.

    Not covered, because the rows carry no timestamp: a child's grade edited
    or deleted (``update_child``/``delete_child`` do not bump the family's
    ``updated_at``) and a room deleted (its events' room is set to NULL). The
    ETag still changes then; only an ``If-Modified-Since``-only client could
    keep its old copy until the next dated change.
    """
    scope = (Event.school == school_id) & Event.status.is_in(list(FEED_STATUSES))
    edited = [
        await _max(Event, Event.updated_at, scope),
        await _max(School, School.updated_at, School.id == school_id),
        await _max(Room, Room.updated_at, Room.school == school_id),
        *extra,
    ]
    # a stamp ahead of this server's clock (skew between servers) counts as "now": never a future date
    stamps = [min(s, now) for s in edited if s is not None]
    ended = await _max(Event, Event.ends_at, scope & (Event.ends_at <= now - _PAST))
    if ended is not None:  # the query kept only drop instants that have passed
        stamps.append(ended + _PAST)
    cancelled = await _max(Event, Event.cancelled_at,
                           scope & (Event.status == "cancelled") & (Event.cancelled_at <= now - _CANCELLED))
    if cancelled is not None:
        stamps.append(cancelled + _CANCELLED)
    return feeds.last_modified(stamps) or now.replace(microsecond=0)


_BODIES: OrderedDict[tuple, bytes] = OrderedDict()
_BODIES_MAX = 32


def build(events: Iterable[FeedEvent], spec: FeedSpec) -> bytes:
    """``feeds.build_feed``, memoised on everything the bytes depend on.

    The bytes are a pure function of the *visible* events, the name, zone,
    language and refresh interval -- and of the current year only when no
    event is visible (the VTIMEZONE span). That tuple is the key, so the memo
    can never serve bytes that differ from a fresh build; it only skips
    re-joining thousands of VEVENTs on every poll. Bounded LRU.
    """
    shown = tuple(e for e in events if feeds.visible(e, spec.now))
    year = None if shown else spec.now.astimezone(ZoneInfo(spec.timezone)).year
    key = (shown, spec.name, spec.timezone, spec.language, spec.refresh_minutes, year)
    body = _BODIES.get(key)
    if body is None:
        body = feeds.build_feed(shown, spec)
        _BODIES[key] = body
        if len(_BODIES) > _BODIES_MAX:
            _BODIES.popitem(last=False)
    else:
        _BODIES.move_to_end(key)
    return body


def _finish(events: Iterable[FeedEvent], name: str, school: dict[str, Any], language: str, now: dt.datetime,
            last_modified: dt.datetime) -> Feed:
    spec = FeedSpec(name=name, timezone=school["timezone"], language=language, refresh_minutes=REFRESH_MINUTES,
                    now=now)
    body = build(events, spec)
    return Feed(body=body, etag=feeds.feed_etag(body), last_modified=last_modified)


# ---------------------------------------------------------------- feeds


_FINGERPRINT_SQL = """
SELECT s.id, s.name, s.timezone, s.updated_at,
  (SELECT COUNT(*) FROM event e WHERE e.school = s.id AND e.starts_at IS NOT NULL AND e.ends_at >= {}
     AND (e.status = 'published' OR (e.status = 'cancelled' AND e.cancelled_at > {}))) AS n_events,
  (SELECT MAX(e.updated_at) FROM event e WHERE e.school = s.id AND e.status IN ('published', 'cancelled')
     AND e.starts_at IS NOT NULL AND e.ends_at >= {}) AS events_at,
  (SELECT COALESCE(SUM(e.sequence), 0) FROM event e WHERE e.school = s.id
     AND e.status IN ('published', 'cancelled') AND e.starts_at IS NOT NULL AND e.ends_at >= {}) AS sequences,
  (SELECT COUNT(*) FROM room r WHERE r.school = s.id) AS n_rooms,
  (SELECT MAX(r.updated_at) FROM room r WHERE r.school = s.id) AS rooms_at
FROM school s WHERE s.slug = {}
"""


async def _school_fingerprint(slug: str, now: dt.datetime) -> dict[str, Any] | None:
    """The school and everything its feed's bytes and Last-Modified depend on, in one query.

    The feed changes only through an edit (every write to an event, room or
    school bumps its ``updated_at``, so a maximum moves), an event published
    or cancelled (its ``updated_at`` again) or the clock moving an event out
    (the count of still-visible rows drops). So equal fingerprints mean equal
    bytes, and the validators of one build can answer a later poll without
    reading 2,000 rows -- in any process, since only the rows decide it.
    One round trip, because this is the path nearly every poll takes. The sum
    of SEQUENCEs closes a gap the maximum leaves: two edits committing out of
    order of their timestamps move no maximum, but each bumps a SEQUENCE.
    """
    rows = await School.raw(_FINGERPRINT_SQL, now - _PAST, now - _CANCELLED, now - _PAST, now - _PAST, slug).run()
    if not rows:
        return None
    row = rows[0]
    row["fingerprint"] = (row["id"], row["name"], row["timezone"], str(row["updated_at"]), row["n_events"],
                          str(row["events_at"]), row["sequences"], row["n_rooms"], str(row["rooms_at"]),
                          now.astimezone(ZoneInfo(row["timezone"])).year)  # an empty feed's VTIMEZONE span
    return row


_VALIDATORS: OrderedDict[tuple, Feed] = OrderedDict()
_VALIDATORS_MAX = 256


async def school_feed(settings: Settings, slug: str, language: str | None = None, audience: str | None = None,
                      client_is_current: Callable[[Feed], bool] | None = None) -> Feed:
    """The public feed: published events (cancelled ones for 30 days); nothing about any family.

    Most polls come from calendar apps whose copy is current. When
    ``client_is_current`` says so for the validators last built for the same
    fingerprint, the answer is a body-less Feed (a 304) without building.
    """
    now = utcnow()
    school = await _school_fingerprint(slug, now)
    if school is None:
        raise NotFound(f"no school with slug {slug!r}", "slug")
    key = (school["fingerprint"], language or "en", audience, uid_domain(settings))
    known = _VALIDATORS.get(key)
    if known is not None and client_is_current is not None and client_is_current(known):
        return Feed(body=b"", etag=known.etag, last_modified=known.last_modified)
    rows = await _event_rows(Event.school == school["id"], now)
    if audience:
        rows = [r for r in rows if not r["audience"] or audience in r["audience"]]
    domain = uid_domain(settings)
    events = [feed_event(r, school, domain) for r in rows]
    name = school["name"] + (f" ({audience})" if audience else "")
    feed = _finish(events, name, school, language or "en", now, await _last_modified(school["id"], now))
    _VALIDATORS[key] = Feed(body=b"", etag=feed.etag, last_modified=feed.last_modified)
    if len(_VALIDATORS) > _VALIDATORS_MAX:
        _VALIDATORS.popitem(last=False)
    return feed


def grade_tags(grades: Iterable[str]) -> set[str]:
    """Audience tags a child's grade matches: ``3`` -> ``grade-3`` (and the grade as typed)."""
    tags = set()
    for grade in grades:
        g = grade.strip().lower()
        if g:
            tags |= {g, g if g.startswith("grade-") else f"grade-{g}"}
    return tags


def registration_note(status: str, waitlist_position: int | None) -> str | None:
    """How the family's own place shows in its feed; None when it has none."""
    if status == "confirmed":
        return "Registered"
    if status == "waitlisted":
        return f"Waitlist #{waitlist_position}" if waitlist_position else "Waitlist"
    if status == "offered":
        return "Seat offered - please confirm"
    return None


def childcare_note(children: int) -> str:
    """Counts only: a feed URL leaks easily, so it never carries a child's name."""
    return f"Childcare booked for {children} child{'ren' if children != 1 else ''}"


async def _waitlist_positions(regs: list[dict[str, Any]]) -> dict[int, int]:
    """Registration id -> 1-based place on its event's waitlist."""
    waiting = [r for r in regs if r["status"] == "waitlisted"]
    if not waiting:
        return {}
    others = await Registration.select(Registration.event, Registration.waitlist_seq, Registration.id).where(
        Registration.event.is_in([r["event"] for r in waiting]) & (Registration.status == "waitlisted")).run()
    ahead: dict[int, int] = {}
    for mine in waiting:
        key = (mine["waitlist_seq"] or 0, mine["id"])
        ahead[mine["id"]] = 1 + sum(1 for o in others if o["event"] == mine["event"]
                                    and (o["waitlist_seq"] or 0, o["id"]) < key)
    return ahead


async def conference_events(family_id: int, school: dict[str, Any], domain: str, now: dt.datetime
                            ) -> tuple[list[FeedEvent], list[dt.datetime | None]]:
    """The family's parent-teacher conference meetings, and the dates that move Last-Modified.

    Meetings are cancelled, never deleted, once a window is published, so
    their ``updated_at`` keeps Last-Modified monotonic (see :func:`_last_modified`).
    A proposed meeting shows as confirmed: the feed format knows no
    "tentative", and the time is held for the family until they move it.
    """
    from scheduler.conference_services import conference_feed_items

    items = await conference_feed_items(family_id)
    events = [FeedEvent(uid=feeds.event_uid("conference", item.uid_seed.rsplit("-", 1)[-1], domain),
                        title=item.title, kind="conference", start=item.start, end=item.end,
                        updated_at=item.updated_at, school=school["name"],
                        status="cancelled" if item.status == "cancelled" else "confirmed", room=item.location,
                        description=item.description,
                        cancelled_at=item.updated_at if item.status == "cancelled" else None)
              for item in items]
    return events, [item.updated_at for item in items]


async def family_feed(settings: Settings, family: dict[str, Any], now: dt.datetime) -> Feed:
    """School events the family can attend plus its own places; nothing of other families.

    Shown: published events for everyone or for a grade of one of its
    children, and every event it holds a place at, with the place in the
    title (``Registered: ...``, ``Waitlist #3: ...``) and childcare as a count.
    """
    school = await _school(School.id == family["school"])
    domain = uid_domain(settings)
    grades = grade_tags(r["grade"] for r in await Child.select(Child.grade).where(Child.family == family["id"]).run())
    regs = await Registration.select(Registration.id, Registration.event, Registration.status,
                                     Registration.waitlist_seq, Registration.updated_at).where(Registration.family == family["id"]).run()
    active = {r["event"]: r for r in regs if r["status"] != "cancelled"}
    care = Counter(b["event"] for b in await ChildcareBooking.select(ChildcareBooking.event).where(
        ChildcareBooking.registration.is_in([r["id"] for r in active.values()] or [-1])
        & (ChildcareBooking.status != "cancelled")).run())
    positions = await _waitlist_positions(list(active.values()))
    events = []
    for row in await _event_rows(Event.school == school["id"], now):
        reg = active.get(row["id"])
        if reg is None and row["audience"] and not grades & set(row["audience"]):
            continue
        if reg is None:
            events.append(feed_event(row, school, domain))
            continue
        place = registration_note(reg["status"], positions.get(reg["id"]))
        notes = [n for n in (place, childcare_note(care[row["id"]]) if care[row["id"]] else None) if n]
        events.append(feed_event(row, school, domain, title=f"{place}: {row['title']}" if place else None,
                                  note=". ".join(notes) + ("." if notes else ""), updated_at=reg["updated_at"]))
    slots, slot_stamps = await conference_events(family["id"], school, domain, now)
    extra = [family["updated_at"], *slot_stamps,
             await _max(Registration, Registration.updated_at, Registration.family == family["id"])]
    lm = await _last_modified(school["id"], now, *(_as_utc(x) for x in extra))
    return _finish([*events, *slots], f"{school['name']} - {family['name']}", school, family["language"], now, lm)


async def interpreter_feed(settings: Settings, interpreter: dict[str, Any], now: dt.datetime) -> Feed:
    """The interpreter's claimed and confirmed assignments; a cancelled one shows cancelled for 30 days."""
    school = await _school(School.id == interpreter["school"])
    domain = uid_domain(settings)
    assignments = await InterpreterAssignment.select(
        InterpreterAssignment.event, InterpreterAssignment.language, InterpreterAssignment.status,
        InterpreterAssignment.starts_at, InterpreterAssignment.ends_at, InterpreterAssignment.updated_at).where(
        (InterpreterAssignment.interpreter == interpreter["id"])
        & InterpreterAssignment.status.is_in(["claimed", "confirmed", "cancelled"])
        & (InterpreterAssignment.ends_at >= now - _PAST)).run()
    by_event: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in assignments:
        by_event[a["event"]].append(a)
    rows = await Event.select(*event_columns()).where(Event.id.is_in(list(by_event) or [-1])
                                                       & Event.status.is_in(list(FEED_STATUSES))).run()
    events = []
    for row in rows:
        mine = by_event[row["id"]]
        live = [a for a in mine if a["status"] != "cancelled"]
        shown = live or mine
        row = dict(row, starts_at=min(a["starts_at"] for a in shown), ends_at=max(a["ends_at"] for a in shown))
        if not live and row["status"] != "cancelled":
            row.update(status="cancelled", cancelled_at=max(a["updated_at"] for a in mine))
        languages = ", ".join(sorted({a["language"] for a in shown}))
        state = "confirmed" if any(a["status"] == "confirmed" for a in live) else "claimed"
        events.append(feed_event(row, school, domain, title=f"Interpreting ({languages}): {row['title']}",
                                  note=f"You interpret {languages} ({state}).",
                                  updated_at=max(a["updated_at"] for a in mine)))
    assigned = await _max(InterpreterAssignment, InterpreterAssignment.updated_at,
                          InterpreterAssignment.school == school["id"])
    lm = await _last_modified(school["id"], now, _as_utc(interpreter["updated_at"]), assigned)
    return _finish(events, f"{school['name']} - interpreting ({interpreter['name']})", school, "en", now, lm)


async def room_feed(settings: Settings, room: dict[str, Any], now: dt.datetime) -> Feed:
    """Every published event in the room (cancelled ones for 30 days): the custodian's and front desk's view."""
    school = await _school(School.id == room["school"])
    rows = await _event_rows((Event.school == school["id"]) & (Event.room == room["id"]), now)
    events = [feed_event(r, school, uid_domain(settings)) for r in rows]
    lm = await _last_modified(school["id"], now)
    return _finish(events, f"{school['name']} - {room['name']}", school, "en", now, lm)


_NO_FEED = "no calendar feed at this address (unknown or revoked link)"


async def private_feed(settings: Settings, token: str) -> Feed:
    """The feed a private link points at.

    Found by an indexed equality lookup on the token's HMAC: unknown, revoked
    and owner-gone links all take the same path to the same 404 body.
    """
    token_hash = tokens.hash_token(token, settings.secret_key)
    row = await FeedToken.select(FeedToken.owner_kind, FeedToken.owner_id, FeedToken.revoked_at).where(
        FeedToken.token_hash == token_hash).first().run()
    owner = None
    if row is not None and row["revoked_at"] is None and row["owner_kind"] in _OWNER_COLUMNS:
        owner = await _owner(row["owner_kind"], row["owner_id"])
    if owner is None:
        raise NotFound(_NO_FEED, "token")
    now = utcnow()
    if row["owner_kind"] == "family":
        return await family_feed(settings, owner, now)
    if row["owner_kind"] == "interpreter":
        return await interpreter_feed(settings, owner, now)
    return await room_feed(settings, owner, now)


# ---------------------------------------------------------------- tokens


async def _authorize_owner(actor: Principal, kind: str, owner_id: int) -> dict[str, Any]:
    """The owner row, after checking the actor may manage its feed link."""
    row = await _owner(kind, owner_id)
    if row is None:
        raise NotFound(f"no {kind} {owner_id}", f"{kind}_id")
    if kind == "family":
        require_family_access(actor, owner_id, row["school"])
    elif kind == "interpreter":
        require_interpreter_access(actor, owner_id, row["school"])
    else:
        require_admin(actor, row["school"])
    return row


async def _revoke(kind: str, owner_id: int, now: dt.datetime) -> None:
    await FeedToken.update({FeedToken.revoked_at: now}).where(
        (FeedToken.owner_kind == kind) & (FeedToken.owner_id == owner_id) & FeedToken.revoked_at.is_null()).run()


async def rotate_token(settings: Settings, actor: Principal, kind: str, owner_id: int) -> FeedTokenOut:
    """A new private link; every earlier link of the owner stops working in the same transaction.

    Only the HMAC is stored, so the link is shown this once. Feed contents do
    not change, so no event row is touched (and no Last-Modified moves).
    """
    await _authorize_owner(actor, kind, owner_id)
    token = tokens.new_token()
    async with writing():
        await _revoke(kind, owner_id, utcnow())
        await FeedToken.insert(FeedToken(owner_kind=kind, owner_id=owner_id,
                                         token_hash=tokens.hash_token(token, settings.secret_key))).run()
    links = tokens.subscribe_links(settings.public_url, f"/calendars/private/{token}.ics")
    return FeedTokenOut(token=token, https=links["https"], webcal=links["webcal"])


async def revoke_token(actor: Principal, kind: str, owner_id: int) -> None:
    """Every link of the owner stops working; none replaces it."""
    await _authorize_owner(actor, kind, owner_id)
    async with writing():
        await _revoke(kind, owner_id, utcnow())


# ---------------------------------------------------------------- busy-time import


def import_range(tz: str, date_from: dt.date | None, date_to: dt.date | None, now: dt.datetime
                 ) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the import: now-1 day .. now+365 days, or local midnights of from .. the day after to."""
    from scheduler.timeutil import zone

    start = now - dt.timedelta(days=IMPORT_DAYS_BACK)
    end = now + dt.timedelta(days=IMPORT_DAYS_AHEAD)
    if date_from is not None:
        start = dt.datetime.combine(date_from, dt.time(0), zone(tz)).astimezone(dt.timezone.utc)
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), zone(tz)).astimezone(dt.timezone.utc)
    if end <= start:
        raise InvalidInput([("to", f"'to' {date_to} is before 'from' {date_from}")])
    if end - start > dt.timedelta(days=IMPORT_MAX_DAYS):
        raise InvalidInput([("to", f"the range may span at most {IMPORT_MAX_DAYS} days")])
    return start, end


def _parse_busy(data: bytes, tz: str, start: dt.datetime, end: dt.datetime,
                max_bytes: int = MAX_UPLOAD_BYTES) -> list[tuple[dt.datetime, dt.datetime]]:
    if len(data) > max_bytes:  # HTTP refuses it earlier (scheduler/hardening.py); other callers land here
        raise PayloadTooLarge(f"the calendar file is {len(data)} bytes; the limit is {max_bytes}", "body")
    try:
        return [(i.start, i.end) for i in import_busy(data, start, end, tz)]
    except IcsImportError as error:
        # the field says where (the line, else the component); the message says what, naming the component
        field = f"line {error.line}" if error.line is not None else error.component or "body"
        message = error.message
        if error.line is not None and error.component and error.component not in message:
            message = f"{error.component}: {message}"
        raise InvalidInput([(field, message)]) from None


async def import_busy_times(actor: Principal, kind: str, owner_id: int, data: bytes,
                            date_from: dt.date | None = None, date_to: dt.date | None = None,
                            max_bytes: int = MAX_UPLOAD_BYTES) -> list[BusyOut]:
    """Replace the owner's imported busy times with those of an uploaded .ics, in one transaction.

    Parsing happens before the transaction: a malformed file raises and the
    earlier rows stay as they were. The owner's ``updated_at`` is bumped so
    anything derived from its availability (plans) can tell it changed.
    """
    owner = await _authorize_owner(actor, kind, owner_id)
    school = await School.select(School.timezone).where(School.id == owner["school"]).first().run()
    tz = school["timezone"]
    start, end = import_range(tz, date_from, date_to, utcnow())
    intervals = _parse_busy(data, tz, start, end, max_bytes)
    async with writing():
        if kind == "family":
            await FamilyDatedAvailability.delete().where((FamilyDatedAvailability.family == owner_id)
                                                         & (FamilyDatedAvailability.busy == True)).run()  # noqa: E712
            if intervals:
                await FamilyDatedAvailability.insert(*[FamilyDatedAvailability(
                    family=owner_id, starts_at=s, ends_at=e, busy=True) for s, e in intervals]).run()
            await Family.update({Family.updated_at: utcnow()}).where(Family.id == owner_id).run()
        else:
            await InterpreterBusy.delete().where(InterpreterBusy.interpreter == owner_id).run()
            if intervals:
                await InterpreterBusy.insert(*[InterpreterBusy(interpreter=owner_id, starts_at=s, ends_at=e)
                                               for s, e in intervals]).run()
            await Interpreter.update({Interpreter.updated_at: utcnow()}).where(Interpreter.id == owner_id).run()
    return [BusyOut(start=format_local(s, tz) or "", end=format_local(e, tz) or "") for s, e in intervals]
