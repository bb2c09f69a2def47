"""PURE: how many families can come in each half hour of the week, for the planner's heatmap.

A family counts for a cell only when one of its weekly windows covers the
whole cell: an administrator placing a 90-minute workshop needs people who
are there for all of it, not for a moment of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

LEVELS = 6  # h0 … h5 in the stylesheet


@dataclasses.dataclass(frozen=True)
class Heatmap:
    weekdays: list[int]  # 0 = Monday
    slots: list[int]  # minutes after midnight, cell starts
    counts: dict[tuple[int, int], int]  # (weekday, slot) -> families
    families: int  # families in the filter (with or without availability)
    step: int

    @property
    def peak(self) -> int:
        return max(self.counts.values(), default=0)

    def level(self, weekday: int, slot: int) -> int:
        """0 for nobody, else 1 … 5 in proportion to the busiest cell."""
        count = self.counts.get((weekday, slot), 0)
        if count == 0 or self.peak == 0:
            return 0
        return max(1, min(LEVELS - 1, round(count / self.peak * (LEVELS - 1))))

    def best(self, n: int = 3) -> list[tuple[int, int, int]]:
        """The n busiest cells as (count, weekday, slot), ties broken by earliest in the week."""
        ranked = sorted(((c, w, s) for (w, s), c in self.counts.items() if c), key=lambda t: (-t[0], t[1], t[2]))
        return ranked[:n]


def build(windows: Iterable[tuple[int, int, int, int]], families: int, step: int = 30,
          first: int = 7 * 60, last: int = 21 * 60) -> Heatmap:
    """``windows`` are (family, weekday, start_minute, end_minute); each family counts once per cell."""
    seen: dict[tuple[int, int], set[int]] = {}
    days: set[int] = set()
    for family, weekday, start, end in windows:
        days.add(weekday)
        slot = max(first, -(-start // step) * step)  # first cell starting inside the window
        while slot + step <= min(end, last):
            seen.setdefault((weekday, slot), set()).add(family)
            slot += step
    weekdays = sorted(days | set(range(5)))  # the school week always shows, weekends when someone is free
    return Heatmap(weekdays=weekdays, slots=list(range(first, last, step)),
                   counts={cell: len(fams) for cell, fams in seen.items()}, families=families, step=step)
