"""Childcare places by staff ratio: pure arithmetic, no database.

Licensing rules give a ratio per age band (one adult per 4 infants, per 15
school-age children…). A mixed group is legal when the staff it needs,
summed as exact fractions over the bands, does not exceed the staff on
duty — so an infant "costs" as much supervision as 3.75 school-age
children. The room's own cap limits the head count whatever the staffing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from fractions import Fraction


def staff_on_duty(windows: Iterable[tuple[int, int, int]], start: int, end: int) -> int:
    """The fewest staff present at any minute of [start, end).

    ``windows`` are (start minute, end minute, staff) of one weekday; where
    windows overlap their staff add up, and a gap means nobody is there.
    """
    windows = [w for w in windows if w[0] < end and w[1] > start]
    points = sorted({start, *(w[0] for w in windows if start < w[0] < end), *(w[1] for w in windows if start < w[1] < end)})
    least = None
    for p in points:
        here = sum(staff for s, e, staff in windows if s <= p < e)
        least = here if least is None else min(least, here)
    return least or 0


def staff_needed(children: Mapping[str, int], ratios: Mapping[str, int]) -> Fraction:
    """Exact staff-equivalents the group needs; KeyError for a band the room does not take."""
    return sum((Fraction(n, ratios[band]) for band, n in children.items() if n), Fraction(0))


def fits(staff: int, ratios: Mapping[str, int], room_cap: int, booked: Mapping[str, int],
         adding: Mapping[str, int]) -> bool:
    """Hard rule: the booked children plus ``adding`` stay within ratio and room cap."""
    if any(band not in ratios for band, n in adding.items() if n):
        return False
    group = Counter(booked)
    group.update(adding)
    if sum(group.values()) > room_cap:
        return False
    return staff_needed(group, ratios) <= staff


def places_left(staff: int, ratios: Mapping[str, int], room_cap: int, booked: Mapping[str, int], band: str) -> int:
    """How many more children of ``band`` could still be booked."""
    if band not in ratios:
        return 0
    spare_staff = staff - staff_needed(booked, ratios)
    by_ratio = int(spare_staff * ratios[band]) if spare_staff > 0 else 0
    return max(0, min(by_ratio, room_cap - sum(booked.values())))
