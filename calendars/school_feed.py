"""A school's public feed: everything published, by grade and language, with a cheap 304 path."""

from __future__ import annotations

from collections.abc import Iterable

from calendars.feed_rows import (
    Feed,
    FeedCache,
    conference_evening,
    feed_event,
    finish_feed,
    school_row,
    school_rows,
    staff_only,
    uid_domain,
)
from scheduler.core.errors import NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow

_FEEDS = FeedCache(256)  # (school, language, audience) variants kept; a 2,000-event body is ~1 MB (+ ~0.1 MB gzipped)


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
    school = await school_row("slug", slug)
    if school is None:
        raise NotFound(f"no school with slug {slug!r}", "slug")
    key = (school["id"], school["feed_version"], language or "en", audience, uid_domain(settings))
    cached = _FEEDS.get(key, now)
    if cached is not None:
        return cached
    part = await school_rows(school, now)
    rows = [r for r in part.rows if (not audience or not r["audience"] or audience in r["audience"])
            and not staff_only(r)]
    domain = uid_domain(settings)
    events = [feed_event(r, school, domain) for r in rows]
    events = [conference_evening(e, settings.public_url) if e.kind == "conference" else e for e in events]
    name = school["name"] + (f" ({audience})" if audience else "")
    feed = finish_feed(events, name, school, language or "en", now, part.modified)
    return _FEEDS.put(key, feed, part.valid_until)


def grade_tags(grades: Iterable[str]) -> set[str]:
    """Audience tags a child's grade matches: ``3`` -> ``grade-3`` (and the grade as typed)."""
    tags = set()
    for grade in grades:
        g = grade.strip().lower()
        if g:
            tags |= {g, g if g.startswith("grade-") else f"grade-{g}"}
    return tags
