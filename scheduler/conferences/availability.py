"""A family's stated availability on a conference window's evenings, read as the solver reads it."""

from __future__ import annotations

import datetime as dt

from scheduler.conferences.rows import load_evenings
from scheduler.core.timeutil import zone
from scheduler.families.tables import FamilyAvailability, FamilyDatedAvailability
from scheduler.planning.instance import local_date, merge, row_span, subtract, to_minute, weekly_spans


async def family_spans(family_id: int, window_id: int, tz_name: str) -> list[tuple[int, int]]:
    """The family's stated availability on the window's evenings, in absolute minutes (as the solver reads it);
    a family that said nothing is free all evening."""
    tz = zone(tz_name)
    evenings = [row_span(e) for e in await load_evenings(window_id)]
    dates = sorted({local_date(a, tz) for a, _ in evenings})
    weekly = await FamilyAvailability.select().where(FamilyAvailability.family == family_id).run()
    dated = await FamilyDatedAvailability.select().where(FamilyDatedAvailability.family == family_id).run()
    free = [row_span(r) for r in dated if not r["busy"]]
    busy = [row_span(r) for r in dated if r["busy"]]
    base = merge(weekly_spans(weekly, dates, tz) + free) if (weekly or free) else evenings
    return subtract(base, busy)


def fits(spans: list[tuple[int, int]], start: dt.datetime, minutes: int) -> bool:
    a = to_minute(start)
    return any(s <= a and a + minutes <= e for s, e in spans)
