"""From rows to a feed: the rows an event contributes, their validators, and the built bodies kept per
change.

Feeds are pure functions of stored rows (``calendars.feeds``); this module reads the rows and turns
them into the plain values the builder takes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import msgspec
from piccolo.query.functions.aggregate import Max
from piccolo.table import Table

from calendars import feeds
from calendars.feeds import FeedEvent, FeedSpec
from scheduler.core.db import fetch
from scheduler.core.settings import Settings
from scheduler.core.timeutil import as_utc
from scheduler.events.tables import Event

REFRESH_MINUTES = 60


FEED_STATUSES = ("published", "cancelled")  # a published event is never deleted nor set back to draft


OWNER_KINDS = ("family", "interpreter", "room")






PAST = dt.timedelta(days=feeds.PAST_DAYS)


CANCELLED = dt.timedelta(days=feeds.CANCELLED_DAYS)


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


def uid_domain(settings: Settings) -> str:
    """The right-hand side of every UID: the public host name of this installation.

    It must not change while clients are subscribed (a new domain = new UIDs =
    duplicated entries), so it comes from FB_BASE_URL, not from the request.
    """
    return urlsplit(settings.public_url).hostname or "family-bridge.invalid"


def event_columns() -> list:
    return [Event.id, Event.title, Event.kind, Event.description, Event.status, Event.starts_at, Event.ends_at,
            Event.sequence, Event.updated_at, Event.cancelled_at, Event.audience, Event.interpreter_languages,
            Event.childcare_children, Event.translations, Event.room, Event.room.name.as_alias("room_name")]


async def event_rows(where: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Scheduled published/cancelled events that may still be visible (the builder decides exactly)."""
    where &= Event.status.is_in(list(FEED_STATUSES)) & Event.starts_at.is_not_null()
    where &= Event.ends_at >= now - PAST
    return await Event.select(*event_columns()).where(where).run()


_ROW_FIELDS = ("id", "title", "kind", "description", "status", "starts_at", "ends_at", "sequence", "updated_at",
               "cancelled_at", "audience", "interpreter_languages", "childcare_children", "room_name", "translations")


def staff_only(row: dict[str, Any]) -> bool:
    """Interpreter blocks of a conference evening: staff work (the interpreters' and admins' views), not
    something a family's or the public calendar shows. ``conferences/publishing.py`` hangs every block on
    an event of kind ``conference`` with its languages; the evening itself carries none."""
    return row["kind"] == "conference" and bool(row["interpreter_languages"])


def conference_evening(event: FeedEvent, public_url: str) -> FeedEvent:
    """A conference evening as families see it: once, free/transparent, with the link to book their times."""
    url = f"{public_url}/family#conf-book"
    return dataclasses.replace(event, transparent=True, url=url,
                               description="\n\n".join(p for p in (event.description, f"Book your times: {url}") if p))


def feed_event(row: dict[str, Any], school: dict[str, Any], domain: str, *, title: str | None = None,
                note: str = "", updated_at: dt.datetime | None = None) -> FeedEvent:
    """The FeedEvent of an event row (plus, in private feeds, the owner's title, note and date)."""
    key = tuple(tuple(v) if isinstance(v, list) else v for v in (row[f] for f in _ROW_FIELDS))
    return _feed_event_of(key, school["name"], domain, title, note, updated_at)


def local_title(row: dict[str, Any], language: str) -> str:
    """The event's title in ``language`` (its base tag too), else the school's own."""
    texts = json.loads(row.get("translations") or "{}")
    for key in (language, language.split("-")[0]):
        if (texts.get(key) or {}).get("title"):
            return texts[key]["title"]
    return row["title"]


@lru_cache(maxsize=feeds.VEVENT_CACHE_SIZE)
def _feed_event_of(key: tuple, school: str, domain: str, title: str | None, note: str,
                   updated_at: dt.datetime | None) -> FeedEvent:
    """Memoised on the row's full content (never stale: a changed row is a new key).

    Returning the *same* FeedEvent object for unchanged rows also makes the
    builder's caches cheap: equal tuples of identical objects compare by identity.
    """
    row = dict(zip(_ROW_FIELDS, key))
    # An owner's own title (a private feed's "Interpreting: ...") is already in
    # the reader's language; only the school's text has per-language versions.
    texts = {} if title else {lang: (t.get("title") or row["title"], t.get("description") or row["description"])
                              for lang, t in json.loads(row.get("translations") or "{}").items()}
    cancelled = row["status"] == "cancelled"
    description = "\n\n".join(p for p in (note, row["description"].strip()) if p)
    return FeedEvent(
        uid=feeds.event_uid("event", row["id"], domain),
        title=title or row["title"], kind=row["kind"], start=row["starts_at"], end=row["ends_at"],
        updated_at=max(row["updated_at"], updated_at or row["updated_at"]), school=school,
        status="cancelled" if cancelled else "confirmed", sequence=row["sequence"], room=row["room_name"],
        interpreted_languages=row["interpreter_languages"], childcare=row["childcare_children"] > 0,
        description=description, cancelled_at=row["cancelled_at"] if cancelled else None,
        categories=row["audience"], translations=texts,
    )


class FeedCache:
    """Values (built feeds, a school's rows) by a key that names everything they depend on, each until an instant.

    The invalidation rule is the caller's key (see :func:`school_rows`,
    ``school_feed`` and ``private_feeds``); this only bounds the memory
    (least recently used first) and forgets an entry at its ``valid_until``.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Any, tuple[Any, dt.datetime]] = OrderedDict()

    def get(self, key: Any, now: dt.datetime) -> Any:
        """The value kept under ``key`` (None when there is none, or its time ran out)."""
        entry = self.entries.get(key)
        if entry is None or now >= entry[1]:
            return None
        self.entries.move_to_end(key)
        return entry[0]

    def put(self, key: Any, value: Any, valid_until: dt.datetime) -> Any:
        self.entries[key] = (value, valid_until)
        self.entries.move_to_end(key)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


_SCHOOL = "SELECT id, name, timezone, feed_version FROM school WHERE "


async def school_row(column: str, value: Any) -> dict[str, Any] | None:
    """The school by ``id`` or ``slug``: only the columns a feed uses, and its ``feed_version`` (see
    :func:`school_rows`). One indexed lookup: nearly every poll makes it and little else."""
    rows = await fetch(_SCHOOL + {"id": "id = {}", "slug": "slug = {}"}[column], value)
    return rows[0] if rows else None


@dataclass(frozen=True)
class SchoolRows:
    """What every feed of one school reads about the school as a whole, and until when it holds.

    ``rows``: every published or cancelled event that may still show
    (:func:`event_rows`; shared, never to be changed by a caller);
    ``modified``: the school-wide Last-Modified (:func:`last_modified_of`);
    ``valid_until``: when the clock alone changes either (:func:`next_change`).
    """

    rows: list[dict[str, Any]]
    modified: dt.datetime
    valid_until: dt.datetime


_SCHOOL_ROWS = FeedCache(64)  # schools of a district; ~2,000 rows each


async def school_rows(school: dict[str, Any], now: dt.datetime) -> SchoolRows:
    """The school's event rows and Last-Modified, read once per change of the school.

    Invalidation rule: kept under the school's ``feed_version`` (which the
    database replaces in the same transaction as any write to the school's
    row, rooms or events: migration 2026-12-01T06:03:36) and only until
    ``valid_until``; a poll that reads another version, or comes later,
    reads the rows again. Rows read after a newer commit than the version
    read are only ever newer, never stale.
    """
    key = (school["id"], school["feed_version"])
    cached = _SCHOOL_ROWS.get(key, now)
    if cached is not None:
        return cached
    rows = await event_rows(Event.school == school["id"], now)
    part = SchoolRows(rows, await last_modified_of(school["id"], now), next_change(rows, now, school["timezone"]))
    return _SCHOOL_ROWS.put(key, part, part.valid_until)


def modified_with(school_modified: dt.datetime, now: dt.datetime, *extra: Any) -> dt.datetime:
    """A private feed's Last-Modified: the school's and the owner's own rows' dates (none after ``now``)."""
    stamps = [school_modified] + [min(as_utc(x), now) for x in extra if x is not None]
    return feeds.last_modified(stamps) or now.replace(microsecond=0)


_OWNER_COLUMNS = {  # the columns of a private feed's owner that its feed shows (every poll reads them)
    "family": "SELECT id, school, name, language, updated_at FROM family WHERE id = {}",
    "interpreter": "SELECT id, school, name, updated_at FROM interpreter WHERE id = {}",
    "room": "SELECT id, school, name, updated_at FROM room WHERE id = {}",
}


async def owner_row(kind: str, owner_id: int) -> dict[str, Any] | None:
    rows = await fetch(_OWNER_COLUMNS[kind], owner_id)
    return rows[0] if rows else None


async def newest(table: type[Table], column: Any, where: Any) -> dt.datetime | None:
    row = await table.select(Max(column, alias="m")).where(where).first().run()
    return as_utc(row["m"]) if row else None


async def last_modified_of(school_id: int, now: dt.datetime) -> dt.datetime:
    """Last-Modified of any feed of the school, monotonic WITHOUT a watermark table.

    A feed changes when (a) a row it shows is edited, or (b) a row leaves it.
    (a) is covered by the ``updated_at`` of every row that can reach a feed
    (events, the school, its rooms; :func:`modified_with` adds the owner's rows
    such as registrations or assignments). (b) has two causes: an edit (which bumps
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
    row = (await fetch(_NEWEST, school_id, school_id, school_id, school_id, now - PAST, school_id,
                       now - CANCELLED))[0]
    edited = [as_utc(row[k]) for k in ("events_at", "school_at", "rooms_at")]
    # a stamp ahead of this server's clock (skew between servers) counts as "now": never a future date
    stamps = [min(s, now) for s in edited if s is not None]
    if row["ended"] is not None:  # the query kept only drop instants that have passed
        stamps.append(as_utc(row["ended"]) + PAST)
    if row["cancelled"] is not None:
        stamps.append(as_utc(row["cancelled"]) + CANCELLED)
    return feeds.last_modified(stamps) or now.replace(microsecond=0)


_LIVE = "status IN ('published', 'cancelled')"  # FEED_STATUSES
_NEWEST = (f"SELECT (SELECT MAX(updated_at) FROM event WHERE school = {{}} AND {_LIVE}) AS events_at, "
           "(SELECT MAX(updated_at) FROM school WHERE id = {}) AS school_at, "
           "(SELECT MAX(updated_at) FROM room WHERE school = {}) AS rooms_at, "
           f"(SELECT MAX(ends_at) FROM event WHERE school = {{}} AND {_LIVE} AND ends_at <= {{}}) AS ended, "
           f"(SELECT MAX(cancelled_at) FROM event WHERE school = {{}} AND status = 'cancelled' "
           "AND cancelled_at <= {}) AS cancelled")


_GZIPPED: OrderedDict[str, bytes] = OrderedDict()


def gzipped(feed: Feed) -> bytes:
    """The feed's body gzip-compressed (a school year: ~1 MB -> ~0.1 MB), once per body.

    Memoised on the ETag, a hash of the exact bytes, so it can never pair a
    body with another body's compression. Bounded LRU.
    """
    packed = _GZIPPED.get(feed.etag)
    if packed is None:
        packed = _GZIPPED[feed.etag] = gzip.compress(feed.body, compresslevel=6, mtime=0)
        if len(_GZIPPED) > _BODIES_MAX:
            _GZIPPED.popitem(last=False)
    else:
        _GZIPPED.move_to_end(feed.etag)
    return packed


def next_change(rows: Iterable[dict[str, Any]], now: dt.datetime, tz: str) -> dt.datetime:
    """The first instant after ``now`` at which the clock alone changes a feed of these event rows.

    An event leaves 60 days after its end and a cancelled one 30 days after
    its cancellation (``calendars.feeds.visible``); an empty feed's VTIMEZONE
    covers the current year. A cache of a feed built at ``now`` serves it
    until then (unless the rows change, which the caller's key catches).
    ``rows`` must be every candidate row, also those a filter hides: a
    drop also moves Last-Modified (:func:`last_modified_of`).
    """
    local = now.astimezone(ZoneInfo(tz))
    instants = [dt.datetime(local.year + 1, 1, 1, tzinfo=ZoneInfo(tz))]
    for row in rows:
        instants.append(as_utc(row["ends_at"]) + PAST)
        if row["status"] == "cancelled" and row["cancelled_at"] is not None:
            instants.append(as_utc(row["cancelled_at"]) + CANCELLED)
    return min(i for i in instants if i > now)


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


def finish_feed(events: Iterable[FeedEvent], name: str, school: dict[str, Any], language: str, now: dt.datetime,
            last_modified: dt.datetime) -> Feed:
    spec = FeedSpec(name=name, timezone=school["timezone"], language=language, refresh_minutes=REFRESH_MINUTES,
                    now=now)
    body = build(events, spec)
    return Feed(body=body, etag=feeds.feed_etag(body), last_modified=last_modified)
