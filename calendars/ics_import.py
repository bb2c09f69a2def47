"""Import busy times from an uploaded ``.ics`` file.

Families export "my calendar" from whatever app they use and upload it; we
only need *when they are busy* in the planning range, as merged UTC intervals.
Real exports are messy, so this module is tolerant where the meaning is clear
(any TZID, floating times, all-day events, recurrences, VFREEBUSY) and strict
where it is not: a malformed file is refused with an :class:`IcsImportError`
that names the line or the component, because "your file is invalid" alone
leaves a parent with nothing to fix or report.

Two passes, for that reason:

1. :func:`_scan` walks the raw text itself (icalendar does not keep line
   numbers): unfolds lines while remembering where each began, checks the
   BEGIN/END nesting and the syntax of the date-valued properties.
2. icalendar parses the now-known-good text and ``recurring_ical_events``
   expands RRULE/RDATE/EXDATE within the requested range.

A TZID with neither a VTIMEZONE in the file nor an IANA/Windows name that
icalendar knows is read like a floating time, in the default zone: the file
gives no other clue, and the family's own zone is the likeliest meaning.

Limits protect the server: a byte cap, and a cap on the number of busy
intervals (a ``FREQ=MINUTELY`` rule would otherwise expand into millions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.prop import vPeriod

MAX_INTERVALS = 5000
MAX_BYTES = 5_000_000
_DATE_PROPS = frozenset({"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE", "DUE"})
_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$")
_FREQS = frozenset({"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
_DURATION = re.compile(r"^[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$")


class IcsImportError(ValueError):
    """A refused upload, with the line number and/or component to show the user."""

    def __init__(self, message: str, line: int | None = None, component: str | None = None):
        self.message = message
        self.line = line
        self.component = component
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.component is not None and self.component not in self.message:
            where.append(self.component)
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True, slots=True, order=True)
class BusyInterval:
    """A half-open busy interval [start, end) in aware UTC datetimes."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # 1-based physical line where the content line begins
    name: str
    params: str
    value: str


def _unfold(text: str) -> Iterator[tuple[int, str]]:
    """Content lines with the physical line number where each starts (RFC 5545 3.1)."""
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and current:
            current.append(raw[1:])
            continue
        if current:
            yield start, "".join(current)
        current, start = ([raw], number) if raw.strip() else ([], number)
    if current:
        yield start, "".join(current)


def _split(number: int, content: str) -> _Line:
    """NAME;PARAMS:VALUE, with the first unquoted colon ending the parameters."""
    quoted = False
    for i, char in enumerate(content):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = content[:i], content[i + 1 :]
            name, _, params = head.partition(";")
            if _NAME.match(name):
                return _Line(number, name.upper(), params, value)
            break
    raise IcsImportError(f"not a content line: {content[:40]!r}", line=number)


def _valid_date_time(text: str) -> bool:
    """Syntax *and* calendar validity (month 13 or 30 February are refused)."""
    match = _DATE_TIME.match(text) or _DATE.match(text)
    if not match:
        return False
    parts = [int(p) for p in match.groups()]
    try:
        date(*parts[:3])
        if len(parts) == 6:
            time(*parts[3:5], min(parts[5], 59))  # 60 = leap second
    except ValueError:
        return False
    return True


def _check_rule(line: _Line) -> None:
    """RRULE syntax: KEY=VALUE parts, a known FREQ, a valid UNTIL, numeric COUNT/INTERVAL."""
    parts: dict[str, str] = {}
    for part in line.value.strip().split(";"):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise IcsImportError(f"{line.name} part {part!r} is not KEY=VALUE", line=line.number)
        parts[key.upper()] = value
    if parts.get("FREQ", "").upper() not in _FREQS:
        raise IcsImportError(
            f"{line.name} has no valid FREQ (got {parts.get('FREQ')!r})", line=line.number
        )
    if "UNTIL" in parts and not _valid_date_time(parts["UNTIL"]):
        raise IcsImportError(f"{line.name} UNTIL {parts['UNTIL']!r} is not a date-time", line=line.number)
    for key in ("COUNT", "INTERVAL"):
        if key in parts and not parts[key].isdigit():
            raise IcsImportError(f"{line.name} {key} {parts[key]!r} is not a number", line=line.number)
    if "COUNT" in parts and "UNTIL" in parts:
        raise IcsImportError(f"{line.name} has both COUNT and UNTIL", line=line.number)


def _check_value(line: _Line) -> None:
    params = line.params.upper()
    if line.name in _DATE_PROPS and "VALUE=PERIOD" not in params:
        for item in line.value.split(","):
            if not _valid_date_time(item.strip()):
                kind = "date" if "VALUE=DATE" in params and "DATE-TIME" not in params else "date-time"
                raise IcsImportError(
                    f"{line.name} value {item.strip()!r} is not a {kind}", line=line.number
                )
    elif line.name in ("RRULE", "EXRULE"):
        _check_rule(line)
    elif line.name == "DURATION" and not _DURATION.match(line.value.strip()):
        raise IcsImportError(f"DURATION value {line.value!r} is not a duration", line=line.number)
    elif line.name == "FREEBUSY" or (line.name == "RDATE" and "VALUE=PERIOD" in params):
        for item in line.value.split(","):
            try:
                vPeriod.from_ical(item.strip())
            except Exception:
                raise IcsImportError(
                    f"{line.name} value {item.strip()!r} is not a period", line=line.number
                ) from None


def _scan(text: str) -> dict[int, int]:
    """Check structure and date syntax; return VEVENT number -> its BEGIN line."""
    lines = (_split(n, c) for n, c in _unfold(text))
    first = next(lines, None)
    if first is None or first.name != "BEGIN" or first.value.strip().upper() != "VCALENDAR":
        raise IcsImportError("not an iCalendar file: missing BEGIN:VCALENDAR", line=1)
    stack: list[tuple[str, int]] = [("VCALENDAR", first.number)]
    counts: dict[str, int] = {}
    vevent_lines: dict[int, int] = {}
    ended = False
    for line in lines:
        if ended:
            if line.name == "BEGIN" and line.value.strip().upper() == "VCALENDAR":
                raise IcsImportError("more than one VCALENDAR in the file", line=line.number)
            raise IcsImportError("content after END:VCALENDAR", line=line.number)
        if line.name == "BEGIN":
            comp = line.value.strip().upper()
            counts[comp] = counts.get(comp, 0) + 1
            if comp == "VEVENT":
                vevent_lines[counts[comp]] = line.number
            stack.append((comp, line.number))
        elif line.name == "END":
            comp = line.value.strip().upper()
            if comp != stack[-1][0]:
                open_comp, open_line = stack[-1]
                raise IcsImportError(
                    f"END:{comp} does not close BEGIN:{open_comp} from line {open_line}",
                    line=line.number,
                    component=open_comp,
                )
            stack.pop()
            ended = not stack
        else:
            try:
                _check_value(line)
            except IcsImportError as error:
                comp, _ = stack[-1]
                number = counts.get(comp)
                error.component = f"{comp} #{number}" if number else comp
                raise
    if stack:
        comp, begin = stack[-1]
        raise IcsImportError(
            f"BEGIN:{comp} on line {begin} is never closed (missing END:{comp})",
            line=begin,
            component=comp,
        )
    return vevent_lines


def _local_start(value: date | datetime, zone: tzinfo) -> datetime:
    """Aware UTC instant: floating times and all-day dates are read in ``zone``."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return aware.astimezone(timezone.utc)
    return datetime.combine(value, time(0), zone).astimezone(timezone.utc)


def _check_events(cal: Calendar, vevent_lines: dict[int, int]) -> None:
    """Per-VEVENT semantic checks that icalendar parses without complaint."""
    for number, event in enumerate(cal.walk("VEVENT"), start=1):
        name = f"VEVENT #{number}"
        line = vevent_lines.get(number)
        if "DTSTART" not in event:
            raise IcsImportError(f"{name} has no DTSTART", line=line, component=name)
        if "DTEND" in event and "DURATION" in event:
            raise IcsImportError(f"{name} has both DTEND and DURATION", line=line, component=name)
        if "DTEND" in event:
            start, end = event["DTSTART"].dt, event["DTEND"].dt
            if isinstance(start, datetime) != isinstance(end, datetime):
                raise IcsImportError(
                    f"{name} mixes a date and a date-time in DTSTART/DTEND",
                    line=line,
                    component=name,
                )
            if isinstance(start, datetime) and (start.tzinfo is None) != (end.tzinfo is None):
                start, end = _local_start(start, timezone.utc), _local_start(end, timezone.utc)
            if end < start:
                raise IcsImportError(
                    f"{name} has DTEND before DTSTART", line=line, component=name
                )


def _is_busy(event: Component) -> bool:
    status = str(event.get("STATUS", "")).upper()
    transp = str(event.get("TRANSP", "OPAQUE")).upper()
    return status != "CANCELLED" and transp != "TRANSPARENT"


_CHUNK = timedelta(days=7)


def _event_intervals(
    cal: Calendar, lo: datetime, hi: datetime, zone: tzinfo, cap: int
) -> Iterator[BusyInterval]:
    """Expanded VEVENT occurrences overlapping [lo, hi), busy ones only.

    The range is expanded one week at a time so a rule like
    ``FREQ=MINUTELY`` hits the cap after a few weeks instead of materialising
    the whole range first. Floating times may sit up to ~1 day away from UTC,
    so each query is widened by a margin and the caller clips exactly.
    """
    margin = timedelta(days=2)
    seen: set[tuple[str, datetime, datetime]] = set()
    cursor = lo - margin
    try:
        query = recurring_ical_events.of(cal, components=["VEVENT"])
        while cursor < hi + margin:
            chunk_end = min(cursor + _CHUNK, hi + margin)
            for occurrence in query.between(cursor, chunk_end):
                start_value = occurrence["DTSTART"].dt
                start = _local_start(start_value, zone)
                end_value = occurrence["DTEND"].dt if "DTEND" in occurrence else start_value
                end = _local_start(end_value, zone)
                key = (str(occurrence.get("UID", "")), start, end)
                if key in seen:  # an occurrence spanning two chunks
                    continue
                seen.add(key)
                if len(seen) > cap * 4:  # transparent/cancelled floods cost time too
                    raise IcsImportError(f"more than {cap} busy intervals in the range; refused")
                if _is_busy(occurrence):
                    yield BusyInterval(start, end)
            cursor = chunk_end
    except recurring_ical_events.InvalidCalendar as error:
        raise IcsImportError(f"invalid recurrence: {error}") from error


def _freebusy_intervals(cal: Calendar) -> Iterator[BusyInterval]:
    """FREEBUSY periods of VFREEBUSY components (FBTYPE=FREE skipped)."""
    for number, component in enumerate(cal.walk("VFREEBUSY"), start=1):
        props = component.get("FREEBUSY", [])
        for prop in props if isinstance(props, list) else [props]:
            if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue
            for period in prop.dt if isinstance(prop.dt, list) else [prop.dt]:
                start, end_or_duration = period
                start = _local_start(start, timezone.utc)
                end = (
                    start + end_or_duration
                    if isinstance(end_or_duration, timedelta)
                    else _local_start(end_or_duration, timezone.utc)
                )
                if end < start:
                    raise IcsImportError(
                        f"VFREEBUSY #{number} has a period ending before it starts",
                        component=f"VFREEBUSY #{number}",
                    )
                yield BusyInterval(start, end)


def merge(intervals: list[BusyInterval]) -> list[BusyInterval]:
    """Sorted, with overlapping or touching intervals merged into one."""
    merged: list[BusyInterval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = BusyInterval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def import_busy(
    data: bytes,
    range_start: datetime,
    range_end: datetime,
    default_timezone: str,
    max_intervals: int = MAX_INTERVALS,
) -> list[BusyInterval]:
    """Busy intervals of an uploaded .ics within [range_start, range_end), merged, UTC.

    ``default_timezone`` (IANA) interprets floating times and all-day dates
    (an all-day event is busy for whole local days). Transparent and cancelled
    events are skipped. Raises :class:`IcsImportError` for malformed input
    or more than ``max_intervals`` busy intervals (counted before merging).
    """
    if range_start.utcoffset() is None or range_end.utcoffset() is None:
        raise ValueError("range bounds must be timezone-aware")
    if range_end <= range_start:
        raise ValueError("range_end must be after range_start")
    if len(data) > MAX_BYTES:
        raise IcsImportError(f"file too large ({len(data)} bytes; limit {MAX_BYTES})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise IcsImportError("file is not UTF-8 text", line=line) from None
    vevent_lines = _scan(text)
    try:
        cal = Calendar.from_ical(text)
    except Exception as error:  # icalendar raises ValueError/KeyError variants
        raise IcsImportError(f"could not parse the calendar: {error}") from None
    _check_events(cal, vevent_lines)

    zone = ZoneInfo(default_timezone)
    lo, hi = range_start.astimezone(timezone.utc), range_end.astimezone(timezone.utc)
    raw: list[BusyInterval] = []
    sources = (_event_intervals(cal, lo, hi, zone, max_intervals), _freebusy_intervals(cal))
    for source in sources:
        for interval in source:
            clipped = BusyInterval(max(interval.start, lo), min(interval.end, hi))
            if clipped.start >= clipped.end:
                continue
            raw.append(clipped)
            if len(raw) > max_intervals:
                raise IcsImportError(
                    f"more than {max_intervals} busy intervals in the range; refused"
                )
    return merge(raw)
