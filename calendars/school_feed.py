"""A school's public feed: everything published, by grade and language, with a cheap 304 path."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from calendars.feed_rows import Feed, event_rows, feed_event, finish_feed, last_modified_of, next_change, uid_domain
from scheduler.core.db import fetch
from scheduler.core.errors import NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.events.tables import Event

_SCHOOL = "SELECT id, name, timezone, feed_version FROM school WHERE slug = {}"


@dataclass(frozen=True)
class _Cached:
    feed: Feed
    valid_until: dt.datetime


_FEEDS: OrderedDict[tuple, _Cached] = OrderedDict()
_FEEDS_MAX = 256  # (school, language, audience) variants kept; a 2,000-event body is ~1 MB (+ ~0.1 MB gzipped)


async def school_feed(settings: Settings, slug: str, language: str | None = None, audience: str | None = None
                      ) -> Feed:
    """The public feed: published events (cancelled ones for 30 days); nothing about any family.

    Built once per change and served from this process's cache: most polls
    cost one indexed lookup of the school's row. Invalidation rule: an entry
    is keyed by the school's ``feed_version``, which the database replaces
    (a random value) in the same transaction as any insert, update or delete
    of the school's row, its rooms or its events (triggers: migration
    2026-12-01T06:03:36), so after any change the next poll, in any process,
    reads a new version and builds again; and an entry is used only until ``valid_until``, the first
    instant at which the clock alone changes the feed (an event leaving 60
    days after its end, a cancelled one 30 days after its cancellation, a new
    year for an empty feed's VTIMEZONE). A body built from rows newer than
    the version read (a commit in between) is only ever newer, never stale.
    """
    now = utcnow()
    found = await fetch(_SCHOOL, slug)
    if not found:
        raise NotFound(f"no school with slug {slug!r}", "slug")
    school = found[0]
    key = (school["id"], school["feed_version"], language or "en", audience, uid_domain(settings))
    cached = _FEEDS.get(key)
    if cached is not None and now < cached.valid_until:
        _FEEDS.move_to_end(key)
        return cached.feed
    rows = await event_rows(Event.school == school["id"], now)
    valid_until = next_change(rows, now, school["timezone"])
    if audience:
        rows = [r for r in rows if not r["audience"] or audience in r["audience"]]
    domain = uid_domain(settings)
    events = [feed_event(r, school, domain) for r in rows]
    name = school["name"] + (f" ({audience})" if audience else "")
    feed = finish_feed(events, name, school, language or "en", now, await last_modified_of(school["id"], now))
    _FEEDS[key] = _Cached(feed, valid_until)
    if len(_FEEDS) > _FEEDS_MAX:
        _FEEDS.popitem(last=False)
    return feed


def grade_tags(grades: Iterable[str]) -> set[str]:
    """Audience tags a child's grade matches: ``3`` -> ``grade-3`` (and the grade as typed)."""
    tags = set()
    for grade in grades:
        g = grade.strip().lower()
        if g:
            tags |= {g, g if g.startswith("grade-") else f"grade-{g}"}
    return tags
