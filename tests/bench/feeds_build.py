"""Benchmark: build a feed of 2,000 events with the pure feed builder.

Run:  .venv/bin/python tests/bench/feeds_build.py [--events 2000] [--runs 7]

Prints two figures because the builder memoises each serialised VEVENT on the
frozen ``FeedEvent`` (see ``calendars.feeds.vevent_bytes``):

* cold: cache cleared before every run -- every event goes through icalendar;
  the cost of the first build after a process start or after all rows change.
* warm: the same rows again -- the common case of a client polling a feed
  whose rows did not change (still filters, sorts, rebuilds header/VTIMEZONE).
* one changed: warm except one event edited (new SEQUENCE) -- a typical edit.
* icalendar: the same VEVENTs serialised by icalendar (``build_vevent(...).to_ical()``), what a cold build
  cost before VEVENTs were written directly -- measured in the same run, so the ratio holds on a busy machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from calendars import feeds
from calendars.feeds import FeedEvent, FeedSpec, build_feed, event_uid

UTC = timezone.utc


def sample(n: int) -> tuple[list[FeedEvent], FeedSpec]:
    now = datetime(2027, 8, 20, 12, tzinfo=UTC)
    start = datetime(2027, 8, 23, 13, tzinfo=UTC)
    events = [
        FeedEvent(
            uid=event_uid("event", i, "lincoln.familybridge.example"),
            title=f"Family Workshop {i}",
            kind="workshop" if i % 3 else "conference",
            start=start + timedelta(hours=4 * i),
            end=start + timedelta(hours=4 * i + 1),
            updated_at=now - timedelta(days=i % 30),
            school="Lincoln Elementary",
            room=f"Room {i % 40}",
            url=f"https://lincoln.familybridge.example/events/{i}",
            interpreted_languages=("es", "vi") if i % 2 else ("ar",),
            childcare=i % 2 == 0,
            description="Games and puzzles to play at home with your child.",
            translations={"es": (f"Taller familiar {i}", "Juegos y acertijos para jugar en casa.")},
            status="cancelled" if i % 50 == 0 else "confirmed",
            cancelled_at=now - timedelta(days=1) if i % 50 == 0 else None,
            sequence=i % 4,
        )
        for i in range(n)
    ]
    spec = FeedSpec("Lincoln Elementary", "America/Chicago", "es", 60, now)
    return events, spec


def timed(fn: object, runs: int, setup: object = None) -> tuple[list[float], bytes]:
    times: list[float] = []
    body = b""
    for _ in range(runs):
        if setup is not None:
            setup()  # type: ignore[operator]
        t0 = time.perf_counter()
        body = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return times, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    events, spec = sample(args.events)

    cold, body = timed(lambda: build_feed(events, spec), args.runs, feeds.vevent_bytes.cache_clear)
    build_feed(events, spec)
    warm, body_warm = timed(lambda: build_feed(events, spec), args.runs)
    assert body == body_warm

    counter = iter(range(10**9))

    def one_changed() -> bytes:
        k = next(counter)
        edited = replace(events[7], sequence=100 + k)
        return build_feed([*events[:7], edited, *events[8:]], spec)

    changed, _ = timed(one_changed, args.runs)
    zone = feeds.ZoneInfo(spec.timezone)
    reference, _ = timed(lambda: b"".join(feeds.build_vevent(e, zone, spec.language).to_ical() for e in events),
                         max(1, args.runs // 3))
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"events: {args.events}  feed size: {len(body):,} bytes ({len(body) / args.events:.0f} B/event)")
    print(f"cold (no VEVENT cache)  median {ms(cold):7.1f} ms  (min {min(cold) * 1000:.1f})")
    print(f"warm (unchanged rows)   median {ms(warm):7.1f} ms  (min {min(warm) * 1000:.1f})")
    print(f"warm, one event edited  median {ms(changed):7.1f} ms  (min {min(changed) * 1000:.1f})")
    print(f"icalendar, same VEVENTs median {ms(reference):7.1f} ms  (cold build at {ms(cold) / ms(reference):.0%} of it)")


if __name__ == "__main__":
    main()
