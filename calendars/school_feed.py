"""A school's public feed: everything published, by grade and language, with a cheap 304 path."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from calendars.feed_rows import CANCELLED, PAST, Feed, event_rows, feed_event, finish_feed, last_modified_of, uid_domain
from resources.tables import School
from scheduler.core.errors import NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.events.tables import Event

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
    rows = await School.raw(_FINGERPRINT_SQL, now - PAST, now - CANCELLED, now - PAST, now - PAST, slug).run()
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
    rows = await event_rows(Event.school == school["id"], now)
    if audience:
        rows = [r for r in rows if not r["audience"] or audience in r["audience"]]
    domain = uid_domain(settings)
    events = [feed_event(r, school, domain) for r in rows]
    name = school["name"] + (f" ({audience})" if audience else "")
    feed = finish_feed(events, name, school, language or "en", now, await last_modified_of(school["id"], now))
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
