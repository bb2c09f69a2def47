"""Private feeds behind an unguessable link: a family's bookings and conferences, an interpreter's
work, a room's bookings, a teacher's conference days.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from calendars import feeds, tokens
from calendars.feed_rows import (
    _OWNER_COLUMNS,
    CANCELLED,
    FEED_STATUSES,
    PAST,
    Feed,
    FeedCache,
    as_utc,
    conference_evening,
    event_columns,
    feed_event,
    finish_feed,
    local_title,
    modified_with,
    newest,
    owner_row,
    school_row,
    school_rows,
    staff_only,
    uid_domain,
)
from calendars.feeds import FeedEvent
from calendars.school_feed import grade_tags
from calendars.tables import FeedToken
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences.calendar import family_feed_item
from scheduler.conferences.rows import guardian_name, load_meetings, load_school, load_window
from scheduler.conferences.tables import ConferenceMeeting, ConferenceTeacher
from scheduler.core.db import fetch
from scheduler.core.errors import NotFound
from scheduler.core.languages import language_label
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.events.tables import Event


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


# Everything of a family's own that its feed shows, as rows of one shape, in one statement: its children's
# grades, its registrations, their childcare places, how many wait ahead of each of its waitlisted places, and
# its meetings in published conference windows. The feed's cache key is these rows; the feed is built from them.
_FAMILY_ROWS = (
    "SELECT 'grade' AS kind, c.id AS a, CAST(NULL AS bigint) AS b, CAST(NULL AS integer) AS c, c.grade AS t1, "
    "CAST(NULL AS varchar) AS t2, CAST(NULL AS varchar) AS t3, CAST(NULL AS varchar) AS t4, "
    "CAST(NULL AS timestamptz) AS at1, CAST(NULL AS timestamptz) AS at2, CAST(NULL AS timestamptz) AS at3 "
    "FROM child c WHERE c.family = {} "
    "UNION ALL SELECT 'reg', r.id, r.event, r.waitlist_seq, r.status, NULL, NULL, NULL, r.updated_at, NULL, NULL "
    "FROM registration r WHERE r.family = {} "
    "UNION ALL SELECT 'care', b.registration, b.event, NULL, b.status, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM childcare_booking b JOIN registration r ON r.id = b.registration WHERE r.family = {} "
    "UNION ALL SELECT 'ahead', mine.id, (SELECT COUNT(*) FROM registration o WHERE o.event = mine.event "
    "AND o.status = 'waitlisted' AND (COALESCE(o.waitlist_seq, 0) < COALESCE(mine.waitlist_seq, 0) "
    "OR (COALESCE(o.waitlist_seq, 0) = COALESCE(mine.waitlist_seq, 0) AND o.id < mine.id))), NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL FROM registration mine WHERE mine.family = {} AND mine.status = 'waitlisted' "
    "UNION ALL SELECT 'meeting', m.id, NULL, NULL, m.status, m.language, t.name, ro.name, m.starts_at, m.ends_at, "
    'm.updated_at FROM conference_meeting m JOIN conference_window w ON w.id = m."window" '
    "JOIN conference_teacher t ON t.id = m.teacher LEFT JOIN room ro ON ro.id = t.room "
    "WHERE m.family = {} AND w.status = 'published' "
    "ORDER BY 1, 2")


def _conference_events(meetings: list[dict[str, Any]], school: dict[str, Any], domain: str) -> list[FeedEvent]:
    """The family's parent-teacher conference meetings.

    Meetings are cancelled, never deleted, once a window is published, so
    their ``updated_at`` keeps Last-Modified monotonic (see ``feed_rows.last_modified_of``).
    A proposed meeting shows as confirmed: the feed format knows no
    "tentative", and the time is held for the family until they move it.
    """
    events = []
    for m in meetings:
        item = family_feed_item({"id": m["a"], "status": m["t1"], "language": m["t2"], "teacher_name": m["t3"],
                                 "room_name": m["t4"], "starts_at": as_utc(m["at1"]), "ends_at": as_utc(m["at2"]),
                                 "updated_at": as_utc(m["at3"])})
        events.append(FeedEvent(uid=feeds.event_uid("conference", m["a"], domain), title=item.title,
                                kind="conference", start=item.start, end=item.end, updated_at=item.updated_at,
                                school=school["name"], status="cancelled" if item.status == "cancelled" else "confirmed",
                                room=item.location, description=item.description,
                                cancelled_at=item.updated_at if item.status == "cancelled" else None))
    return events


_PRIVATE = FeedCache(2048)  # families, interpreters and rooms polling; bodies are shared with the memo of build()


def _frozen(row: dict[str, Any]) -> tuple:
    """A row as a cache key: its values, lists (arrays, JSON) as tuples."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in row.values())


def _until(part_valid_until: dt.datetime, now: dt.datetime, own: list[FeedEvent]) -> dt.datetime:
    """When the clock alone changes a private feed: the school's instant, or one of the owner's own entries leaving."""
    instants = [part_valid_until]
    for event in own:
        instants.append(event.end + PAST)
        if event.status == "cancelled":
            instants.append((event.cancelled_at or event.updated_at) + CANCELLED)
    return min(i for i in instants if i > now)


async def family_feed(settings: Settings, family: dict[str, Any], now: dt.datetime) -> Feed:
    """School events the family can attend plus its own places; nothing of other families.

    Shown: published events for everyone or for a grade of one of its
    children, and every event it holds a place at, with the place in the
    title (``Registered: ...``, ``Waitlist #3: ...``) and childcare as a count.

    Cached (:data:`_PRIVATE`) under a key holding everything the bytes and
    Last-Modified depend on: the school's ``feed_version`` (its events, rooms
    and row, see ``feed_rows.school_rows``) and the family's own rows read
    here -- its row, its children's grades, its registrations with their
    waitlist places and childcare counts, its conference meetings. A poll
    reads only those (one statement, :data:`_FAMILY_ROWS`) and builds
    nothing unless one of them changed; the entry also ends when the clock
    alone would change the feed.
    """
    school = await school_row("id", family["school"])
    own = await fetch(_FAMILY_ROWS, *[family["id"]] * 5)
    domain = uid_domain(settings)
    key = ("family", tuple(family.values()), school["id"], school["feed_version"], domain,
           tuple(tuple(r.values()) for r in own))
    cached = _PRIVATE.get(key, now)
    if cached is not None:
        return cached
    part = await school_rows(school, now)
    kinds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in own:
        kinds[r["kind"]].append(r)
    grades = grade_tags(r["t1"] for r in kinds["grade"])
    regs = [{"id": r["a"], "event": r["b"], "waitlist_seq": r["c"], "status": r["t1"], "updated_at": as_utc(r["at1"])}
            for r in kinds["reg"]]
    active = {r["event"]: r for r in regs if r["status"] != "cancelled"}
    live = {r["id"] for r in active.values()}
    care = Counter(r["b"] for r in kinds["care"] if r["a"] in live and r["t1"] != "cancelled")
    positions = {r["a"]: int(r["b"]) + 1 for r in kinds["ahead"]}
    slots = _conference_events(kinds["meeting"], school, domain)
    events = []
    for row in part.rows:
        reg = active.get(row["id"])
        if reg is None and (staff_only(row) or row["audience"] and not grades & set(row["audience"])):
            continue
        if reg is None:
            event = feed_event(row, school, domain)
            events.append(conference_evening(event, settings.public_url) if event.kind == "conference" else event)
            continue
        place = registration_note(reg["status"], positions.get(reg["id"]))
        notes = [n for n in (place, childcare_note(care[row["id"]]) if care[row["id"]] else None) if n]
        events.append(feed_event(row, school, domain, title=f"{place}: {local_title(row, family['language'])}" if place else None,
                                  note=". ".join(notes) + ("." if notes else ""), updated_at=reg["updated_at"]))
    newest_reg = max((r["updated_at"] for r in regs), default=None)
    lm = modified_with(part.modified, now, family["updated_at"], *(e.updated_at for e in slots), newest_reg)
    feed = finish_feed([*events, *slots], f"{school['name']} - {family['name']}", school, family["language"], now, lm)
    return _PRIVATE.put(key, feed, _until(part.valid_until, now, slots))


async def interpreter_feed(settings: Settings, interpreter: dict[str, Any], now: dt.datetime) -> Feed:
    """The interpreter's claimed and confirmed assignments; a cancelled one shows cancelled for 30 days.

    Cached like :func:`family_feed`: the key holds the interpreter's row, its
    assignments, the rows of their events and the school's version and
    newest assignment change (the feed's Last-Modified counts the school's).
    """
    school = await school_row("id", interpreter["school"])
    part = await school_rows(school, now)
    domain = uid_domain(settings)
    assignments = await InterpreterAssignment.select(
        InterpreterAssignment.event, InterpreterAssignment.language, InterpreterAssignment.status,
        InterpreterAssignment.starts_at, InterpreterAssignment.ends_at, InterpreterAssignment.updated_at).where(
        (InterpreterAssignment.interpreter == interpreter["id"])
        & InterpreterAssignment.status.is_in(["claimed", "confirmed", "cancelled"])
        & (InterpreterAssignment.ends_at >= now - PAST)).run()
    by_event: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in assignments:
        by_event[a["event"]].append(a)
    rows = await Event.select(*event_columns()).where(Event.id.is_in(list(by_event) or [-1])
                                                       & Event.status.is_in(list(FEED_STATUSES))).run()
    assigned = await newest(InterpreterAssignment, InterpreterAssignment.updated_at,
                            InterpreterAssignment.school == school["id"])
    key = ("interpreter", tuple(interpreter.values()), school["id"], school["feed_version"], domain, assigned,
           tuple(tuple(a.values()) for a in assignments), tuple(_frozen(r) for r in rows))
    cached = _PRIVATE.get(key, now)
    if cached is not None:
        return cached
    events = []
    for row in rows:
        mine = by_event[row["id"]]
        live = [a for a in mine if a["status"] != "cancelled"]
        shown = live or mine
        row = dict(row, starts_at=min(a["starts_at"] for a in shown), ends_at=max(a["ends_at"] for a in shown))
        if not live and row["status"] != "cancelled":
            row.update(status="cancelled", cancelled_at=max(a["updated_at"] for a in mine))
        languages = ", ".join(sorted({language_label(a["language"], "en") for a in shown}))
        state = "confirmed" if any(a["status"] == "confirmed" for a in live) else "claimed"
        events.append(feed_event(row, school, domain, title=f"Interpreting ({languages}): {row['title']}",
                                  note=f"You interpret {languages} ({state}).",
                                  updated_at=max(a["updated_at"] for a in mine)))
    lm = modified_with(part.modified, now, interpreter["updated_at"], assigned)
    feed = finish_feed(events, f"{school['name']} - interpreting ({interpreter['name']})", school, "en", now, lm)
    return _PRIVATE.put(key, feed, _until(part.valid_until, now, events))


async def room_feed(settings: Settings, room: dict[str, Any], now: dt.datetime) -> Feed:
    """Every published event in the room (cancelled ones for 30 days): the custodian's and front desk's view.

    Cached under the room's row and the school's version: a room's events
    and the room itself are rows the school's version covers.
    """
    school = await school_row("id", room["school"])
    domain = uid_domain(settings)
    key = ("room", tuple(room.values()), school["id"], school["feed_version"], domain)
    cached = _PRIVATE.get(key, now)
    if cached is not None:
        return cached
    part = await school_rows(school, now)
    events = [feed_event(r, school, domain) for r in part.rows if r["room"] == room["id"]]
    feed = finish_feed(events, f"{school['name']} - {room['name']}", school, "en", now, part.modified)
    return _PRIVATE.put(key, feed, part.valid_until)


TEACHER_REBUILD = dt.timedelta(days=1)

_NO_FEED = "no calendar feed at this address (unknown or revoked link)"


async def private_feed(settings: Settings, token: str) -> Feed:
    """The feed a private link points at.

    Found by an indexed equality lookup on the token's HMAC: unknown, revoked
    and owner-gone links all take the same path to the same 404 body.
    """
    found = await fetch("SELECT owner_kind, owner_id, revoked_at FROM feed_token WHERE token_hash = {}",
                        tokens.hash_token(token, settings.secret_key))
    row = found[0] if found else None
    owner = None
    if row is not None and row["revoked_at"] is None and row["owner_kind"] in _OWNER_COLUMNS:
        owner = await owner_row(row["owner_kind"], row["owner_id"])
    if owner is None:
        raise NotFound(_NO_FEED, "token")
    now = utcnow()
    if row["owner_kind"] == "family":
        return await family_feed(settings, owner, now)
    if row["owner_kind"] == "interpreter":
        return await interpreter_feed(settings, owner, now)
    return await room_feed(settings, owner, now)


async def teacher_feed(settings: Settings, token: str) -> Feed:
    """The teacher's meetings of a published window as an .ics feed (family names, no children).

    Last-Modified is the newest meeting or window change; meetings are never
    deleted once published (they are cancelled), so it never goes back.

    Cached (:data:`_PRIVATE`) under everything the bytes depend on: the
    teacher's and the window's rows, the school's name and zone, and the
    meeting rows read here (with their families' names and rooms). A poll
    reads those and builds nothing unless one changed; nothing in this feed
    depends on the clock, so an entry is rebuilt only daily (its DTSTAMP).
    """
    row = await FeedToken.select().where(FeedToken.token_hash == tokens.hash_token(token, settings.secret_key)).first().run()
    teacher = None
    if row is not None and row["revoked_at"] is None and row["owner_kind"] == "teacher":
        teacher = await ConferenceTeacher.select().where(ConferenceTeacher.id == row["owner_id"]).first().run()
    if teacher is None:
        raise NotFound("no calendar feed at this address (unknown or revoked link)", "token")
    window = await load_window(teacher["window"])
    school = await load_school(window["school"])
    rows = await load_meetings(ConferenceMeeting.teacher == teacher["id"]) if window["status"] == "published" else []
    domain = uid_domain(settings)
    now = utcnow()
    key = ("teacher", _frozen(teacher), _frozen(window), school["id"], school["name"], school["timezone"], domain,
           tuple(_frozen(r) for r in rows))
    cached = _PRIVATE.get(key, now)
    if cached is not None:
        return cached
    events = [feeds.FeedEvent(
        uid=feeds.event_uid("conference", r["id"], domain), title=f"Conference: {guardian_name(r) or r['family_name']}",
        kind="conference", start=r["starts_at"], end=r["ends_at"], updated_at=r["updated_at"], school=school["name"],
        status="cancelled" if r["status"] == "cancelled" else "confirmed", room=r["room_name"],
        description=f"Interpreter: {r['language']}" if r["language"] else "") for r in rows]
    spec = feeds.FeedSpec(name=f"{school['name']} - {teacher['name']} - conferences", timezone=school["timezone"],
                          language="en", refresh_minutes=15, now=now)
    body = feeds.build_feed(events, spec)
    modified = feeds.last_modified([r["updated_at"] for r in rows], window["updated_at"])
    return _PRIVATE.put(key, Feed(body=body, etag=feeds.feed_etag(body), last_modified=modified), now + TEACHER_REBUILD)
