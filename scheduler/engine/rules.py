"""The hard rules of engine-format v1, one small function each.

Shared by the verifier, the greedy placer, the candidate pruning and the
explainer, so "what is allowed" is written exactly once. All times are
absolute minutes; intervals are half-open.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from .model import Childcare, Event, Family, Instance, Interpreter, Interval, Room
from .timeutil import exists, is_first_occurrence, to_naive


def on_grid(instance: Instance, start: int) -> bool:
    """Hard rule: a start's local minutes-of-day are divisible by slot_minutes,
    and it is the (first occurrence of an) existing local time."""
    naive = to_naive(start, instance.tz)
    mod = naive.hour * 60 + naive.minute
    return mod % instance.slot_minutes == 0 and is_first_occurrence(start, instance.tz)


def start_exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """Hard rule: a start is never a nonexistent (spring-forward gap) local time."""
    return exists(naive, tz)


def inside(interval: Interval, start: int, end: int) -> bool:
    """True if [start, end) lies inside the half-open interval."""
    return interval[0] <= start and end <= interval[1]


def inside_window(event: Event, start: int) -> bool:
    """Hard rule: [start, start + duration) lies inside the event's window."""
    return inside(event.window, start, start + event.duration)


def inside_horizon(instance: Instance, event: Event, start: int) -> bool:
    """Hard rule: [start, start + duration) lies inside the horizon (dates inclusive)."""
    return inside(instance.horizon, start, start + event.duration)


def matches_fixed_start(event: Event, start: int) -> bool:
    """Hard rule: if fixed_start is set, the start equals it."""
    return event.fixed_start is None or event.fixed_start == start


def inside_availability(available: Sequence[Interval], start: int, end: int) -> bool:
    """Hard rule: [start, end) lies inside ONE of the available intervals.

    Intervals are deliberately not merged: the format says "inside one of its
    available intervals", and an independent checker reads it that way.
    """
    return any(a <= start and end <= b for a, b in available)


def room_fits(event: Event, room: Room) -> bool:
    """Hard rule: the room seats the event and has every tag it needs."""
    return room.capacity >= event.min_capacity and event.room_tags <= room.tags


def interpreter_speaks(interpreter: Interpreter, language: str) -> bool:
    """Hard rule: an interpreter only covers a language they speak."""
    return language in interpreter.languages


def childcare_fits(event: Event, care: Childcare) -> bool:
    """Hard rule: the childcare resource has a place for every child."""
    return care.capacity >= event.childcare_children


def overlaps(a: Interval, b: Interval) -> bool:
    """Hard rule helper: half-open intervals overlap iff each starts before the other ends.

    Back-to-back events ([18:00, 19:00) then [19:00, 20:00)) do not overlap.
    """
    return a[0] < b[1] and b[0] < a[1]


def overlapping_pairs(items: Iterable[tuple[str, Interval]]) -> list[tuple[str, str]]:
    """Hard rule: no two uses of one resource (or one audience) overlap.

    Returns the ids of every overlapping pair (sorted sweep, O(n log n + k)).
    """
    seq = sorted(items, key=lambda x: (x[1][0], x[1][1], x[0]))
    out = []
    active: list[tuple[str, Interval]] = []
    for name, iv in seq:
        active = [x for x in active if x[1][1] > iv[0]]
        out.extend((x[0], name) for x in active if overlaps(x[1], iv))
        active.append((name, iv))
    return out


def within_daily_limit(interpreter: Interpreter, events_that_day: int) -> bool:
    """Hard rule: an interpreter is booked for at most max_events_per_day events
    starting on one local date (no limit when absent)."""
    return interpreter.max_events_per_day is None or events_that_day <= interpreter.max_events_per_day


def share_audience(a: Event, b: Event) -> bool:
    """Hard rule helper: two events that share an audience tag must not overlap."""
    return bool(a.audience & b.audience)


def family_attends(family: Family, event: Event, start: int) -> bool:
    """Objective rule: a family counts if it lists the event and is available
    for the whole event inside one of its intervals."""
    return event.id in family.interests and inside_availability(family.available, start, start + event.duration)


def valid_start(instance: Instance, event: Event, start: int) -> bool:
    """Hard rule 1 in full: on the grid, inside window and horizon, fixed start respected."""
    return (on_grid(instance, start) and inside_window(event, start)
            and inside_horizon(instance, event, start) and matches_fixed_start(event, start))
