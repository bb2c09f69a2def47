"""PURE: how many families can come in each half hour of one week, for the planner's heatmap.

A family counts for a cell only when it is free for the whole cell: an
administrator placing a 90-minute workshop needs people who are there for
all of it, not for a moment of it. The week is a real, dated week, so what
a family told us for that week counts as the planner counts it
(``scheduler/planning/instance.py``): its weekly pattern, plus the dated
times it said it is free, minus the busy times it entered or imported from
its own calendar. Every day of the week is shown, Saturday and Sunday too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from scheduler.planning.instance import days, local_minute, merge, subtract, weekly_spans

LEVELS = 6  # h0 … h5 in the stylesheet
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Window = tuple[int, int, int, int]  # family, weekday (0 = Monday), start minute, end minute (local wall clock)


@dataclasses.dataclass(frozen=True)
class Heatmap:
    weekdays: list[int]  # 0 = Monday … 6 = Sunday
    slots: list[int]  # minutes after midnight, cell starts
    counts: dict[tuple[int, int], int]  # (weekday, slot) -> families
    families: int  # families in the filter (with or without availability)
    step: int
    who: dict[tuple[int, int], frozenset[int]] = dataclasses.field(default_factory=dict)  # cell -> family ids

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


def build(windows: Iterable[Window], families: int, step: int = 30, first: int = 7 * 60,
          last: int = 21 * 60) -> Heatmap:
    """``windows`` are (family, weekday, start_minute, end_minute); each family counts once per cell."""
    seen: dict[tuple[int, int], set[int]] = {}
    for family, weekday, start, end in windows:
        slot = max(first, -(-start // step) * step)  # first cell starting inside the window
        while slot + step <= min(end, last):
            seen.setdefault((weekday, slot), set()).add(family)
            slot += step
    return Heatmap(weekdays=list(range(7)), slots=list(range(first, last, step)),
                   counts={cell: len(fams) for cell, fams in seen.items()}, families=families, step=step,
                   who={cell: frozenset(fams) for cell, fams in seen.items()})


def _wall(minute: int, tz: ZoneInfo) -> dt.datetime:
    return (_EPOCH + dt.timedelta(minutes=minute)).astimezone(tz)


def week_windows(weekly: Iterable[Window], dated: Iterable[tuple[int, int, int, bool]], monday: dt.date,
                 tz: ZoneInfo) -> list[Window]:
    """Each family's free time in the week starting ``monday``, as local (family, weekday, start, end) windows.

    ``weekly`` is the weekly pattern (family, weekday, start minute, end minute); ``dated`` holds
    (family, start, end, busy) in absolute minutes (``instance.to_minute``): free times add, busy times
    (entered or imported) take away. Windows are cut at local midnight.
    """
    dates = days(monday, monday + dt.timedelta(days=6))
    week = (local_minute(dates[0], 0, tz), local_minute(dates[-1], 1440, tz))
    pattern: dict[int, list[dict[str, int]]] = defaultdict(list)
    for family, weekday, start, end in weekly:
        pattern[family].append({"weekday": weekday, "start_minute": start, "end_minute": end})
    free: dict[int, list[tuple[int, int]]] = defaultdict(list)
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for family, start, end, is_busy in dated:
        if end > week[0] and start < week[1]:
            (busy if is_busy else free)[family].append((start, end))
    out: list[Window] = []
    for family in sorted(set(pattern) | set(free)):
        spans = subtract(merge(weekly_spans(pattern.get(family, ()), dates, tz) + free.get(family, [])),
                         busy.get(family, ()))
        for d in dates:
            day = (local_minute(d, 0, tz), local_minute(d, 1440, tz))
            for a, b in spans:
                a, b = max(a, day[0]), min(b, day[1])
                if a >= b:
                    continue
                start, end = _wall(a, tz), _wall(b, tz)
                out.append((family, d.weekday(), start.hour * 60 + start.minute,
                            1440 if end.date() > d else end.hour * 60 + end.minute))
    return out
