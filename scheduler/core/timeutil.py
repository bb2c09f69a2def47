"""Local wall-clock times in a school's zone <-> UTC instants.

People type local times ("2027-03-02T18:00"); the database keeps UTC. The
two edge cases of daylight saving are decided here once: a local time in
the spring-forward gap does not exist and is refused; an ambiguous one in
the fall-back hour means its first occurrence (as the engine format says).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import arrow

UTC = dt.timezone.utc
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")


class TimeError(ValueError):
    """A time a person typed that cannot be used; the message says why."""


# Dates a person may type (events, availability, conference evenings, moves): a typo such as 0001 or
# 9999 is refused at once instead of being stored and breaking every later plan.
DAYS_BACK = 366
DAYS_AHEAD = 3 * 366


def date_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last date a person may enter: a year back and three years ahead of today."""
    today = today or utcnow().date()
    return today - dt.timedelta(days=DAYS_BACK), today + dt.timedelta(days=DAYS_AHEAD)


def date_problem(value: dt.date, today: dt.date | None = None) -> str | None:
    """Why a typed date is out of range, or None."""
    first, last = date_range(today)
    if first <= value <= last:
        return None
    return f"{value.isoformat()} is outside the dates we plan for ({first.isoformat()} to {last.isoformat()}: " \
           "one year back to three years ahead)"


def zone(name: str) -> ZoneInfo:
    """The zone for an IANA name, refusing abbreviations and typos."""
    if name not in _zone_names():
        raise TimeError(f"unknown time zone {name!r} (use an IANA name like 'America/Chicago')")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but unloadable
        raise TimeError(f"unknown time zone {name!r}") from exc


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def parse_local(text: str, tz: str) -> dt.datetime:
    """``YYYY-MM-DDTHH:MM`` in ``tz`` (or ISO with an offset) -> aware UTC."""
    if _LOCAL.match(text):
        try:
            naive = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M")
        except ValueError as exc:
            raise TimeError(f"{text!r} is not a real date and time") from exc
        local = naive.replace(tzinfo=zone(tz), fold=0)
        try:
            back = local.astimezone(UTC).astimezone(zone(tz)).replace(tzinfo=None)
        except OverflowError as exc:  # within hours of year 1 or 9999
            raise TimeError(f"{text} is outside the dates we plan for") from exc
        if back != naive:
            raise TimeError(f"{text} does not exist in {tz} (clocks spring forward then)")
        return local.astimezone(UTC)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise TimeError(f"{text!r} is not a date-time; write YYYY-MM-DDTHH:MM") from exc
    if parsed.tzinfo is None:
        raise TimeError(f"{text!r}: write YYYY-MM-DDTHH:MM or give an offset")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise TimeError(f"{text} is outside the dates we plan for") from exc


def parse_typed(text: str, tz: str, today: dt.date | None = None) -> dt.datetime:
    """A local time a person typed: :func:`parse_local`, and within :func:`date_range` of today."""
    instant = parse_local(text, tz)
    problem = date_problem(instant.astimezone(zone(tz)).date(), today)
    if problem:
        raise TimeError(problem)
    return instant


def parse_local_spans(items, tz: str, field: str, problems: list[tuple[str, str]]
                      ) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Typed local ``start``/``end`` pairs -> (index, UTC start, UTC end) for the good ones.

    Every bad pair is appended to ``problems`` under its path
    (``dated[1].end``), so a request lists all its mistakes at once.
    """
    out = []
    for i, item in enumerate(items):
        ends = {}
        for key in ("start", "end"):
            try:
                ends[key] = parse_typed(getattr(item, key), tz)
            except TimeError as exc:
                problems.append((f"{field}[{i}].{key}", str(exc)))
        if len(ends) == 2:
            if ends["end"] <= ends["start"]:
                problems.append((f"{field}[{i}].end", f"end {item.end} is not after start {item.start}"))
            else:
                out.append((i, ends["start"], ends["end"]))
    return out


def format_local(instant: dt.datetime | None, tz: str) -> str | None:
    """An instant as ISO 8601 with the school's offset, e.g. ``2027-03-02T18:00:00-06:00``."""
    if instant is None:
        return None
    return arrow.get(instant).to(tz).isoformat()


def parse_hhmm(text: str) -> int:
    """``HH:MM`` -> minutes after midnight; ``24:00`` allowed as the end of a day."""
    match = _HHMM.match(text)
    if not match:
        raise TimeError(f"{text!r} is not a time of day; write HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise TimeError(f"{text} is outside the day (00:00 to 24:00)")
    return hours * 60 + minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def as_utc(value: Any) -> dt.datetime | None:
    """An instant read by plain SQL: text on SQLite, a datetime on PostgreSQL; always aware UTC here."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)
