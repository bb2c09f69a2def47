"""Local wall-clock times <-> absolute minutes, exact about daylight saving.

The engine compares every interval as absolute instants (format rule), so all
times are converted once, at parse time, to *absolute minutes*: whole minutes
since 1970-01-01T00:00Z. Integers keep the solver and the rules exact and cheap.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

_LOCAL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def parse_local(text: object) -> dt.datetime:
    """Parse `YYYY-MM-DDTHH:MM` (no offset, no seconds) into a naive datetime.

    Raises ValueError with a human message; strict so that typos such as
    `2027-3-1 18:00` are reported instead of guessed.
    """
    if not isinstance(text, str) or not _LOCAL_RE.match(text):
        raise ValueError(f"{text!r} is not a local date-time YYYY-MM-DDTHH:MM")
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date-time") from None


def parse_date(text: object) -> dt.date:
    """Parse `YYYY-MM-DD` strictly."""
    if not isinstance(text, str) or not _DATE_RE.match(text):
        raise ValueError(f"{text!r} is not a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date") from None


def _abs(naive: dt.datetime, tz: ZoneInfo, fold: int) -> int:
    aware = naive.replace(tzinfo=tz, fold=fold)
    return int((aware - _EPOCH).total_seconds()) // 60


def exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """True unless the wall time falls in a spring-forward gap.

    A local time exists iff converting it to UTC and back gives it again.
    """
    m = _abs(naive, tz, 0)
    back = to_naive(m, tz)
    return back == naive


def to_abs(naive: dt.datetime, tz: ZoneInfo) -> int:
    """Absolute minutes of a local wall time.

    Ambiguous (fall-back) times mean their first occurrence (fold=0), as the
    format says. A nonexistent (spring-forward) time is mapped to the instant
    of the transition itself: every wall time in the gap names "the moment the
    clocks jumped", which is the only instant a bound like a window edge or an
    availability edge written there can sensibly mean. Such a time is never a
    valid *start*; callers check `exists` for starts.
    """
    if exists(naive, tz):
        return _abs(naive, tz, 0)
    lo, hi = sorted((_abs(naive, tz, 0), _abs(naive, tz, 1)))
    off_lo = _offset(lo, tz)
    while lo + 1 < hi:  # binary search for the first minute with the new offset
        mid = (lo + hi) // 2
        if _offset(mid, tz) == off_lo:
            lo = mid
        else:
            hi = mid
    return hi


def _offset(minute: int, tz: ZoneInfo) -> dt.timedelta | None:
    return (_EPOCH + dt.timedelta(minutes=minute)).astimezone(tz).utcoffset()


def to_naive(minute: int, tz: ZoneInfo) -> dt.datetime:
    """Local wall time (naive) of an absolute minute."""
    return (_EPOCH + dt.timedelta(minutes=minute)).astimezone(tz).replace(tzinfo=None)


def fmt_local(minute: int, tz: ZoneInfo) -> str:
    """Format an absolute minute as the format's local `YYYY-MM-DDTHH:MM`."""
    return to_naive(minute, tz).strftime("%Y-%m-%dT%H:%M")


def local_date(minute: int, tz: ZoneInfo) -> dt.date:
    """Local calendar date of an absolute minute (for per-day limits)."""
    return to_naive(minute, tz).date()


def is_first_occurrence(minute: int, tz: ZoneInfo) -> bool:
    """True if the instant is the one its local wall time denotes.

    During a fall-back hour the second occurrence of 01:30 cannot be written
    in the format (01:30 means the first), so it is not a usable start.
    """
    return to_abs(to_naive(minute, tz), tz) == minute
