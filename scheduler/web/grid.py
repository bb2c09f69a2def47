"""PURE: the family's weekly availability as a grid of half-hour cells a phone user can tap.

Stored availability is a list of windows (weekday, start, end in minutes);
the page shows cells. A window that does not fall on half hours is shown by
every cell it touches fully, and saving the grid stores whole cells: the
page edits in half hours, the API keeps any minute.
"""

from __future__ import annotations

from collections.abc import Iterable

STEP = 30
FIRST = 7 * 60
LAST = 21 * 60
SLOTS = list(range(FIRST, LAST, STEP))


def cells(windows: Iterable[tuple[int, int, int]]) -> set[tuple[int, int]]:
    """(weekday, start, end) windows -> the (weekday, cell start) cells they cover entirely."""
    out: set[tuple[int, int]] = set()
    for weekday, start, end in windows:
        out.update((weekday, slot) for slot in SLOTS if start <= slot and slot + STEP <= end)
    return out


def windows(picked: Iterable[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Tapped cells -> the fewest windows: neighbouring cells of one day merge."""
    out: list[tuple[int, int, int]] = []
    for weekday, slot in sorted(set(picked)):
        if out and out[-1][0] == weekday and out[-1][2] == slot:
            out[-1] = (weekday, out[-1][1], slot + STEP)
        else:
            out.append((weekday, slot, slot + STEP))
    return out


def parse(values: Iterable[str]) -> set[tuple[int, int]]:
    """Form values "weekday-minute" (e.g. "2-1080"); anything else is not a cell of the grid."""
    out: set[tuple[int, int]] = set()
    for value in values:
        day, _, minute = value.partition("-")
        if day.isdigit() and minute.isdigit() and int(day) < 7 and int(minute) in SLOTS:
            out.add((int(day), int(minute)))
    return out
