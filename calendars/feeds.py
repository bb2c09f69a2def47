"""Calendar feeds: plain rows in, RFC 5545 bytes out.

PURE on purpose: no database, no web framework, no clock. The caller reads
rows, turns them into :class:`FeedEvent` values and passes ``now`` in
:class:`FeedSpec`. That makes the central promise of the feed easy to keep and
to test: *same rows -> same bytes -> same ETag*, so calendar clients polling
every few minutes get cheap ``304 Not Modified`` answers and never see
spurious changes.

Determinism rules followed below:

* DTSTAMP and LAST-MODIFIED come from the row's ``updated_at``, never from the
  clock (RFC 5545 lets DTSTAMP be the time the information was last revised
  when a METHOD is present, which is exactly what a published feed is).
* Events are sorted by (start, end, uid); properties are written sorted by
  icalendar.
* VTIMEZONE is generated from the IANA database (icalendar's
  ``Timezone.from_tzid``) for whole calendar years around the events, so the
  component only changes when the set of years changes.

Visibility: events ending more than :data:`PAST_DAYS` days ago are dropped;
cancelled events stay (``STATUS:CANCELLED``) for :data:`CANCELLED_DAYS` days
after the cancellation, so subscribed clients learn about the cancellation
instead of the event silently disappearing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vDDDTypes, vDuration

from calendars import i18n_text

PRODID = "-//Family Bridge//Family Bridge Calendar Feeds 1.0//EN"
PAST_DAYS = 60
CANCELLED_DAYS = 30

Status = Literal["confirmed", "cancelled"]
Method = Literal["REQUEST", "CANCEL", "PUBLISH"]

_UID_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event as a feed sees it; built by the caller from database rows.

    All datetimes must be timezone-aware (they are normalised to UTC).
    ``translations`` maps a language tag to ``(title, description)``; the
    default ``title``/``description`` are used when the feed language has no
    entry. ``cancelled_at`` drives the 30-day retention of cancelled events;
    when missing, ``updated_at`` is taken as the cancellation time.
    """

    uid: str
    title: str
    kind: str
    start: datetime
    end: datetime
    updated_at: datetime
    school: str
    status: Status = "confirmed"
    sequence: int = 0
    room: str | None = None
    url: str | None = None
    interpreted_languages: tuple[str, ...] = ()
    childcare: bool = False
    description: str = ""
    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    cancelled_at: datetime | None = None
    categories: tuple[str, ...] = ()
    transparent: bool = False  # shown but not busy (a conference evening: each family's own times are what count)

    def __post_init__(self) -> None:
        # Freeze the containers too: the serialised VEVENT is memoised on this
        # value, so a caller mutating its dict or list afterwards must not be
        # able to change what the event means (or make the cache stale).
        object.__setattr__(self, "interpreted_languages", tuple(self.interpreted_languages))
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(
            self,
            "translations",
            MappingProxyType({k: (str(v[0]), str(v[1])) for k, v in self.translations.items()}),
        )
        for name in ("start", "end", "updated_at", "cancelled_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"FeedEvent.{name} must be timezone-aware, got {value!r}")
        if self.end < self.start:
            raise ValueError(f"FeedEvent {self.uid}: end {self.end} is before start {self.start}")
        if self.status not in ("confirmed", "cancelled"):
            raise ValueError(f"FeedEvent {self.uid}: unknown status {self.status!r}")
        if self.sequence < 0:
            raise ValueError(f"FeedEvent {self.uid}: SEQUENCE must be >= 0")
        if self.url and ("\r" in self.url or "\n" in self.url):
            raise ValueError(f"FeedEvent {self.uid}: a URL may not contain a line break")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What is common to the whole feed.

    ``timezone`` is an IANA name (e.g. ``America/Chicago``) in which DTSTART
    and DTEND are written; ``now`` is passed in so the build stays pure.
    """

    name: str
    timezone: str
    language: str
    refresh_minutes: int
    now: datetime

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for unknown zones, early and clearly
        if self.now.utcoffset() is None:
            raise ValueError("FeedSpec.now must be timezone-aware")
        if self.refresh_minutes <= 0:
            raise ValueError("FeedSpec.refresh_minutes must be positive")


def event_uid(kind: str, row_id: int | str, domain: str) -> str:
    """A UID that never changes for the life of a row: ``<kind>-<id>@<domain>``.

    Built only from the immutable primary key (never from title or time), so
    moving or renaming an event updates it in clients instead of duplicating
    it. ``kind`` distinguishes tables (``event``, ``conference``...) whose ids
    may collide.
    """
    if not _UID_PART.match(kind) or not _UID_PART.match(str(row_id)) or not _UID_PART.match(domain):
        raise ValueError(f"unsafe UID parts: {kind!r}, {row_id!r}, {domain!r}")
    return f"{kind}-{row_id}@{domain}"


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def visible(event: FeedEvent, now: datetime) -> bool:
    """Whether ``event`` belongs in a feed built at ``now``.

    Events ending more than 60 days ago are gone (feeds stay small); a
    cancelled event stays for 30 days after its cancellation so clients that
    synced it see it cancelled rather than merely vanished.
    """
    if _utc(event.end) < _utc(now) - timedelta(days=PAST_DAYS):
        return False
    if event.status == "cancelled":
        cancelled = event.cancelled_at or event.updated_at
        return _utc(now) < _utc(cancelled) + timedelta(days=CANCELLED_DAYS)
    return True


def _sort_key(event: FeedEvent) -> tuple[datetime, datetime, str]:
    return (_utc(event.start), _utc(event.end), event.uid)


def _localized(event: FeedEvent, language: str) -> tuple[str, str]:
    """(title, description) in ``language``: exact tag, then base tag, then default."""
    for key in (language, i18n_text.base_language(language)):
        if key in event.translations:
            return event.translations[key]
    return event.title, event.description


def description_text(event: FeedEvent, language: str) -> str:
    """The DESCRIPTION: the (translated) text, then interpretation and childcare."""
    _, text = _localized(event, language)
    tail = _description_tail(tuple(sorted(event.interpreted_languages)), event.childcare, language)
    return text.strip() + "\n\n" + tail if text.strip() else tail


@lru_cache(maxsize=4096)
def _description_tail(interpreted: tuple[str, ...], childcare: bool, language: str) -> str:
    """The interpretation and childcare sentences: few combinations, shared by many events."""
    sentence = i18n_text.interpreted_sentence(interpreted, language)
    care = i18n_text.childcare_sentence(childcare, language)
    return sentence + "\n\n" + care if sentence else care


def build_vevent(event: FeedEvent, tz: ZoneInfo, language: str) -> Event:
    """The one VEVENT builder shared by feeds and single-event invitations.

    Sharing it guarantees an emailed invitation and the feed agree on UID and
    SEQUENCE, so clients merge them into one entry.
    """
    title, _ = _localized(event, language)
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", _utc(event.updated_at))
    vevent.add("LAST-MODIFIED", _utc(event.updated_at))
    vevent.add("DTSTART", event.start.astimezone(tz))
    vevent.add("DTEND", event.end.astimezone(tz))
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("SUMMARY", title)
    vevent.add("LOCATION", ", ".join(p for p in (event.room, event.school) if p))
    vevent.add("DESCRIPTION", description_text(event, language))
    if event.url:
        vevent.add("URL", event.url)
    categories = [event.kind, *(c for c in event.categories if c != event.kind)]
    vevent.add("CATEGORIES", categories)
    vevent.add("STATUS", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    vevent.add("TRANSP", "TRANSPARENT" if event.status == "cancelled" or event.transparent else "OPAQUE")
    return vevent


@lru_cache(maxsize=64)
def _vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    """VTIMEZONE text for whole years, cached: generation scans the zone's offsets."""
    component = Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    for observance in component.subcomponents:
        # icalendar writes each observance as DTSTART (+ RDATE for later
        # onsets). RFC 5545 counts DTSTART as the first onset, but some
        # consumers (the strict `ical` package, via dateutil's rruleset)
        # only enumerate RRULE/RDATE and would ignore a DTSTART-only
        # observance. Repeating DTSTART in RDATE is valid and removes the
        # ambiguity.
        onsets = [observance["DTSTART"].dt]
        existing = observance.pop("RDATE", None)
        for prop in existing if isinstance(existing, list) else [existing] if existing else []:
            onsets.extend(item.dt for item in prop.dts)
        observance.add("RDATE", onsets)
    return component.to_ical()


@lru_cache(maxsize=64)
def _writes_utc(tzid: str) -> bool:
    """Whether icalendar writes this zone as UTC ``...Z`` (UTC, Etc/UTC, GMT...).

    Such feeds need no VTIMEZONE; adding one would be an unused component.
    """
    probe = datetime(2000, 1, 1, tzinfo=ZoneInfo(tzid))
    return vDDDTypes(probe).to_ical().endswith(b"Z")


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A fresh VTIMEZONE for ``tzid`` covering ``first_year``..``last_year`` inclusive."""
    return Timezone.from_ical(_vtimezone_ical(tzid, first_year, last_year))


def _years(events: Sequence[FeedEvent], tz: ZoneInfo, now: datetime) -> tuple[int, int]:
    """The local years the events span (the current one for none): the earliest start and the latest end."""
    if not events:
        return now.astimezone(tz).year, now.astimezone(tz).year
    return min(e.start for e in events).astimezone(tz).year, max(e.end for e in events).astimezone(tz).year


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    return cal


VEVENT_CACHE_SIZE = 20_000  # ~0.6 kB of bytes + the key event each: tens of MB at most


@lru_cache(maxsize=VEVENT_CACHE_SIZE)
def vevent_bytes(event: FeedEvent, tzid: str, language: str) -> bytes:
    """Serialized VEVENT, written directly as RFC 5545 text and memoised on the (frozen, hashable) event.

    Byte for byte what icalendar writes for :func:`build_vevent` (a unit
    test compares the two on generated events, any text included): the same
    property order (icalendar's canonical order, then alphabetical), TEXT
    escaping, folding before 75 octets without splitting a character or an
    escape, and CRLF. icalendar spent ~0.2 ms per event building property
    objects and folding character by character; this is a few string
    operations, so a cold feed of a school year builds in tens of
    milliseconds. :func:`build_vevent` stays the reference and serves
    invitations. Any change to the row yields a different ``FeedEvent`` and
    a cache miss, so the cache can never serve stale text. Size it above the
    number of (event, zone, language) combinations served, or a cyclic LRU
    scan evicts everything before it is reused.
    """
    title, _ = _localized(event, language)
    stamp = _utc_text(event.updated_at)
    categories = ",".join(_escape(c) for c in (event.kind, *(c for c in event.categories if c != event.kind)))
    cancelled = event.status == "cancelled"
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _escape(title),
        _local_line("DTSTART", event.start, tzid),
        _local_line("DTEND", event.end, tzid),
        "DTSTAMP:" + stamp,
        "UID:" + _escape(event.uid),
        f"SEQUENCE:{event.sequence}",
        "CATEGORIES:" + categories,
        "DESCRIPTION:" + _escape(description_text(event, language)),
        "LAST-MODIFIED:" + stamp,
        "LOCATION:" + _escape(", ".join(p for p in (event.room, event.school) if p)),
        "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
        "TRANSP:" + ("TRANSPARENT" if cancelled or event.transparent else "OPAQUE"),
    ]
    if event.url:
        lines.append("URL:" + event.url)
    lines.append("END:VEVENT")
    return b"\r\n".join(_fold(line) for line in lines) + b"\r\n"


def _escape(text: str) -> str:
    """RFC 5545 TEXT escaping, in icalendar's order (which also turns any line break into ``\\n``)."""
    if not _NEEDS_ESCAPE.search(text):  # most titles and names: nothing to do
        return text
    return (text.replace(r"\N", "\n").replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,")
            .replace("\r\n", r"\n").replace("\n", r"\n").replace("\r", r"\n"))


def _fold(line: str, limit: int = 75) -> bytes:
    """A content line folded as icalendar folds it: pieces under ``limit`` octets, never cut inside a UTF-8
    character nor right after a backslash or caret (an escape stays whole); continuations start with a space."""
    data = line.encode("utf-8")
    if len(data) < limit:  # the common case: nothing to fold
        return data
    pieces = []
    start = 0
    while len(data) - start >= limit:
        cut = start + limit - 1
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: back to the start of its character
            cut -= 1
        if cut - start > 1 and data[cut - 1] in b"\\^":
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


_NEEDS_ESCAPE = re.compile(r"[\\;,\r\n]")


def _stamp(v: datetime) -> str:
    """``YYYYMMDDTHHMMSS``: what strftime writes, at a third of its cost (three per event in a cold build)."""
    return f"{v.year:04d}{v.month:02d}{v.day:02d}T{v.hour:02d}{v.minute:02d}{v.second:02d}"


def _utc_text(value: datetime) -> str:
    return _stamp(_utc(value)) + "Z"


def _local_line(name: str, value: datetime, tzid: str) -> str:
    """DTSTART/DTEND in the feed's zone (``;TZID=``), or in UTC (``Z``) for a zone icalendar writes as UTC."""
    if _writes_utc(tzid):
        return f"{name}:{_utc_text(value)}"
    return f"{name};TZID={tzid}:{_stamp(value.astimezone(ZoneInfo(tzid)))}"


_END = b"END:VCALENDAR\r\n"


def build_feed(events: Iterable[FeedEvent], spec: FeedSpec) -> bytes:
    """A subscribable ``METHOD:PUBLISH`` calendar of the visible events.

    Pure and deterministic: the same events and spec give the same bytes
    (input order does not matter). ``spec.now`` only decides visibility.
    Byte-identical to adding every VEVENT to one icalendar ``Calendar`` and
    calling ``to_ical`` (a unit test checks this); the header and the
    memoised VEVENTs are only spliced together.
    """
    chosen = sorted((e for e in events if visible(e, spec.now)), key=_sort_key)
    years = (0, 0) if _writes_utc(spec.timezone) else _years(chosen, ZoneInfo(spec.timezone), spec.now)
    before, after = _feed_head(spec.timezone, spec.refresh_minutes, *years)
    named = _fold("NAME:" + _escape(spec.name)) + b"\r\n" + _fold("X-WR-CALNAME:" + _escape(spec.name)) + b"\r\n"
    return before + named + after + b"".join(vevent_bytes(e, spec.timezone, spec.language) for e in chosen) + _END


_NAMED = "Family Bridge feed name"  # stands in for the name in the cached header; no escaping, no folding


@lru_cache(maxsize=256)
def _feed_head(tzid: str, refresh_minutes: int, first_year: int, last_year: int) -> tuple[bytes, bytes]:
    """Everything before the first VEVENT (properties and VTIMEZONE) from icalendar, cut around the two name
    lines; cached, as it depends only on these arguments (icalendar took ~2 ms to write it, and every family's
    feed has its own name)."""
    cal = _calendar("PUBLISH")
    cal.add("NAME", _NAMED)
    cal.add("X-WR-CALNAME", _NAMED)
    cal.add("X-WR-TIMEZONE", tzid)
    refresh = timedelta(minutes=refresh_minutes)
    cal.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(refresh))
    if not _writes_utc(tzid):
        cal.add_component(vtimezone(tzid, first_year, last_year))
    head = cal.to_ical()
    lines = f"NAME:{_NAMED}\r\nX-WR-CALNAME:{_NAMED}\r\n".encode()
    if not head.endswith(_END) or head.count(lines) != 1:  # pragma: no cover - icalendar contract
        raise RuntimeError("unexpected calendar serialisation")
    before, _, after = head[: -len(_END)].partition(lines)
    return before, after


def build_invitation(
    event: FeedEvent,
    spec: FeedSpec,
    method: Method = "REQUEST",
    organizer: str | None = None,
    attendees: Sequence[str] = (),
) -> bytes:
    """A one-event calendar for an e-mail attachment (iTIP REQUEST or CANCEL).

    Uses the same VEVENT builder, hence the same UID, as the feed. For CANCEL
    the event is marked ``STATUS:CANCELLED`` whatever its row says; the caller
    must have bumped SEQUENCE (design rule: any change bumps it). iTIP wants
    ORGANIZER (and ATTENDEEs for REQUEST): pass ``mailto:`` addresses.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported METHOD {method!r}")
    cal = _calendar(method)
    tz = ZoneInfo(spec.timezone)
    if not _writes_utc(spec.timezone):
        first, last = _years([event], tz, spec.now)
        cal.add_component(vtimezone(spec.timezone, first, last))
    vevent = build_vevent(event, tz, spec.language)
    if method == "CANCEL":
        vevent["STATUS"] = "CANCELLED"
        vevent["TRANSP"] = "TRANSPARENT"
    if organizer:
        vevent.add("ORGANIZER", organizer)
    for attendee in attendees:
        vevent.add("ATTENDEE", attendee)
    cal.add_component(vevent)
    return cal.to_ical()


def build_invitations(
    events: Sequence[FeedEvent],
    spec: FeedSpec,
    method: Method = "PUBLISH",
    organizer: str | None = None,
    attendees: Sequence[str] = (),
) -> bytes:
    """Several events in one e-mail attachment, one VEVENT each (a family's conference itinerary).

    iTIP allows several UIDs in one object only with PUBLISH; REQUEST and
    CANCEL stay one event per object (:func:`build_invitation`). Same VEVENT
    builder as the feed, so the UIDs agree with the family's private feed.
    """
    if len(events) == 1 and method != "PUBLISH":
        return build_invitation(events[0], spec, method, organizer, attendees)
    if method != "PUBLISH":
        raise ValueError("several events go in one object only with METHOD:PUBLISH")
    cal = _calendar(method)
    tz = ZoneInfo(spec.timezone)
    if not _writes_utc(spec.timezone):
        first, last = _years(events, tz, spec.now)
        cal.add_component(vtimezone(spec.timezone, first, last))
    for event in sorted(events, key=_sort_key):
        vevent = build_vevent(event, tz, spec.language)
        if organizer:
            vevent.add("ORGANIZER", organizer)
        for attendee in attendees:
            vevent.add("ATTENDEE", attendee)
        cal.add_component(vevent)
    return cal.to_ical()


def feed_etag(body: bytes) -> str:
    """Strong ETag of the exact bytes: a quoted sha256 prefix (128 bits)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def last_modified(
    updated_ats: Iterable[datetime], feed_changed_at: datetime | None = None
) -> datetime | None:
    """Last-Modified for a feed: max(row ``updated_at``, ``feed_changed_at``), UTC, whole seconds.

    Why a watermark: the maximum ``updated_at`` of the rows *currently in the
    feed* can move backwards -- delete the most recently edited event, or let
    it age out of the 60-day / 30-day windows, and the maximum drops. A client
    holding the newer date would then get ``304 Not Modified`` for a feed that
    did change. So the caller keeps a per-feed ``feed_changed_at`` and MUST
    bump it (to the current time) whenever a row is deleted or leaves the feed
    (the sweep job that ages rows out is a good place). Taking the max of both
    makes Last-Modified monotonic. It is truncated to seconds because HTTP
    dates have no fractions, so ``If-Modified-Since`` compares exactly.
    Returns None when there is nothing to date the feed by.
    """
    stamps = [_utc(t) for t in updated_ats]
    if feed_changed_at is not None:
        stamps.append(_utc(feed_changed_at))
    if not stamps:
        return None
    return max(stamps).replace(microsecond=0)
