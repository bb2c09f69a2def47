"""Busy-time import tests: zones, floating, all-day, recurrences, refusals with line numbers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars.ics_import import BusyInterval, IcsImportError, import_busy, merge

UTC = timezone.utc
FROM = datetime(2027, 3, 1, tzinfo=UTC)
TO = datetime(2027, 4, 1, tzinfo=UTC)
ZONE = "America/Chicago"


def ics(*body: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *body, "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def vevent(*props: str, uid: str = "x") -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z", *props, "END:VEVENT"]


def busy(data: bytes, **kwargs: object) -> list[tuple[datetime, datetime]]:
    return [(i.start, i.end) for i in import_busy(data, FROM, TO, ZONE, **kwargs)]  # type: ignore[arg-type]


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_tzid_event() -> None:
    data = ics(*vevent("DTSTART;TZID=Europe/Berlin:20270301T100000", "DTEND;TZID=Europe/Berlin:20270301T113000"))
    assert busy(data) == [(u(2027, 3, 1, 9), u(2027, 3, 1, 10, 30))]


def test_tzid_defined_only_by_vtimezone() -> None:
    data = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Custom Plus Two",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0200",
        "END:STANDARD",
        "END:VTIMEZONE",
        *vevent('DTSTART;TZID="Custom Plus Two":20270302T100000', 'DTEND;TZID="Custom Plus Two":20270302T110000'),
    )
    assert busy(data) == [(u(2027, 3, 2, 8), u(2027, 3, 2, 9))]


def test_utc_and_duration() -> None:
    data = ics(*vevent("DTSTART:20270305T150000Z", "DURATION:PT45M"))
    assert busy(data) == [(u(2027, 3, 5, 15), u(2027, 3, 5, 15, 45))]


def test_floating_time_uses_default_zone_across_dst() -> None:
    data = ics(
        *vevent("DTSTART:20270302T100000", "DTEND:20270302T110000", uid="a"),  # CST, UTC-6
        *vevent("DTSTART:20270316T100000", "DTEND:20270316T110000", uid="b"),  # CDT, UTC-5
    )
    assert busy(data) == [(u(2027, 3, 2, 16), u(2027, 3, 2, 17)), (u(2027, 3, 16, 15), u(2027, 3, 16, 16))]


def test_all_day_event_is_whole_local_days() -> None:
    data = ics(*vevent("DTSTART;VALUE=DATE:20270310", "DTEND;VALUE=DATE:20270312"))
    assert busy(data) == [(u(2027, 3, 10, 6), u(2027, 3, 12, 6))]  # CST midnights
    data = ics(*vevent("DTSTART;VALUE=DATE:20270314"))  # no DTEND: one day, the 23-hour DST day
    assert busy(data) == [(u(2027, 3, 14, 6), u(2027, 3, 15, 5))]


def test_weekly_rrule_with_exdate_across_dst() -> None:
    data = ics(
        *vevent(
            "DTSTART;TZID=America/Chicago:20270301T170000",
            "DTEND;TZID=America/Chicago:20270301T180000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270330T000000Z",
            "EXDATE;TZID=America/Chicago:20270315T170000",
        )
    )
    assert busy(data) == [
        (u(2027, 3, 1, 23), u(2027, 3, 2, 0)),
        (u(2027, 3, 8, 23), u(2027, 3, 9, 0)),
        (u(2027, 3, 22, 22), u(2027, 3, 22, 23)),  # after DST: 17:00 CDT = 22:00 UTC
        (u(2027, 3, 29, 22), u(2027, 3, 29, 23)),
    ]


def test_rdate_and_unbounded_rule_limited_to_range() -> None:
    data = ics(
        *vevent(
            "DTSTART:20260105T120000Z",
            "DTEND:20260105T130000Z",
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=5",
            "RDATE:20270320T120000Z",
        )
    )
    assert busy(data) == [(u(2027, 3, 5, 12), u(2027, 3, 5, 13)), (u(2027, 3, 20, 12), u(2027, 3, 20, 13))]


def test_transparent_and_cancelled_skipped() -> None:
    data = ics(
        *vevent("DTSTART:20270305T100000Z", "DTEND:20270305T110000Z", "TRANSP:TRANSPARENT", uid="a"),
        *vevent("DTSTART:20270306T100000Z", "DTEND:20270306T110000Z", "STATUS:CANCELLED", uid="b"),
        *vevent("DTSTART:20270307T100000Z", "DTEND:20270307T110000Z", "STATUS:CONFIRMED", uid="c"),
    )
    assert busy(data) == [(u(2027, 3, 7, 10), u(2027, 3, 7, 11))]


def test_vfreebusy_periods() -> None:
    data = ics(
        "BEGIN:VFREEBUSY",
        "UID:fb",
        "DTSTAMP:20270101T000000Z",
        "FREEBUSY:20270303T100000Z/20270303T120000Z,20270304T100000Z/PT30M",
        "FREEBUSY;FBTYPE=FREE:20270305T100000Z/20270305T120000Z",
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270306T100000Z/20270306T110000Z",
        "END:VFREEBUSY",
    )
    assert busy(data) == [
        (u(2027, 3, 3, 10), u(2027, 3, 3, 12)),
        (u(2027, 3, 4, 10), u(2027, 3, 4, 10, 30)),
        (u(2027, 3, 6, 10), u(2027, 3, 6, 11)),
    ]


def test_overlaps_merged_and_clipped_to_range() -> None:
    data = ics(
        *vevent("DTSTART:20270305T100000Z", "DTEND:20270305T120000Z", uid="a"),
        *vevent("DTSTART:20270305T113000Z", "DTEND:20270305T130000Z", uid="b"),
        *vevent("DTSTART:20270305T130000Z", "DTEND:20270305T140000Z", uid="c"),  # touching
        *vevent("DTSTART:20270228T220000Z", "DTEND:20270301T020000Z", uid="d"),  # straddles FROM
        *vevent("DTSTART:20270401T000000Z", "DTEND:20270401T010000Z", uid="e"),  # at TO: excluded
    )
    assert busy(data) == [(u(2027, 3, 1), u(2027, 3, 1, 2)), (u(2027, 3, 5, 10), u(2027, 3, 5, 14))]


def test_merge_keeps_contained_interval() -> None:
    outer, inner = BusyInterval(u(2027, 3, 1), u(2027, 3, 2)), BusyInterval(u(2027, 3, 1, 5), u(2027, 3, 1, 6))
    assert merge([inner, outer]) == [outer]


def test_folded_lines_and_bom_and_lf_only() -> None:
    text = "\ufeff" + ics(*vevent("DTSTART:20270305T1000", " 00Z", "DTEND:20270305T110000Z", "SUMMARY:a long", "  folded summary")).decode()
    assert busy(text.replace("\r\n", "\n").encode()) == [(u(2027, 3, 5, 10), u(2027, 3, 5, 11))]


def test_too_many_intervals_refused() -> None:
    data = ics(*vevent("DTSTART:20270301T000000Z", "DTEND:20270301T000500Z", "RRULE:FREQ=MINUTELY;INTERVAL=5"))
    with pytest.raises(IcsImportError, match="more than 5000 busy intervals"):
        busy(data)
    with pytest.raises(IcsImportError, match="more than 3 busy intervals"):
        busy(ics(*vevent("DTSTART:20270301T000000Z", "DTEND:20270301T010000Z", "RRULE:FREQ=DAILY")), max_intervals=3)


# --- malformed files: the error names the line and/or the component -------------------------


def refused(data: bytes) -> IcsImportError:
    with pytest.raises(IcsImportError) as info:
        busy(data)
    return info.value


def test_not_an_icalendar_file() -> None:
    error = refused(b"Subject: hello\r\n\r\nThis is an e-mail.\r\n")
    assert str(error) == "line 1: not an iCalendar file: missing BEGIN:VCALENDAR"
    assert "missing BEGIN:VCALENDAR" in str(refused(b""))


def test_bad_date_names_line_and_component() -> None:
    data = ics(*vevent("DTSTART:20270301T100000Z", "DTEND:20270302T100000Z", uid="a"), *vevent("DTSTART:20271301T100000Z", uid="b"))
    error = refused(data)
    assert error.line == 13 and error.component == "VEVENT #2"
    assert str(error) == "line 13, VEVENT #2: DTSTART value '20271301T100000Z' is not a date-time"


def test_dashed_date_refused() -> None:
    error = refused(ics(*vevent("DTSTART;VALUE=DATE:2027-13-01")))
    assert str(error) == "line 7, VEVENT #1: DTSTART value '2027-13-01' is not a date"


def test_dtend_before_dtstart_names_component() -> None:
    data = ics(
        *vevent("DTSTART:20270301T100000Z", "DTEND:20270301T110000Z", uid="a"),
        *vevent("DTSTART:20270302T100000Z", "DTEND:20270302T110000Z", uid="b"),
        *vevent("DTSTART:20270303T100000Z", "DTEND:20270303T090000Z", uid="c"),
    )
    error = refused(data)
    assert error.component == "VEVENT #3"
    assert error.line == 16  # where BEGIN:VEVENT #3 is
    assert "VEVENT #3 has DTEND before DTSTART" in str(error)


def test_missing_dtstart() -> None:
    assert "VEVENT #1 has no DTSTART" in str(refused(ics(*vevent("SUMMARY:no time"))))


def test_unclosed_and_mismatched_components() -> None:
    unclosed = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
    error = refused(unclosed)
    assert str(error).startswith("line 1") or "never closed" in str(error)
    assert "never closed" in str(error)
    mismatched = ics("BEGIN:VEVENT", "UID:x", "DTSTART:20270301T100000Z", "END:VTODO")
    error = refused(mismatched)
    assert error.line == 7
    assert "END:VTODO does not close BEGIN:VEVENT from line 4" in str(error)


def test_garbage_line_and_bad_duration_and_bad_rrule() -> None:
    error = refused(ics(*vevent("DTSTART:20270301T100000Z", "this line has no colon")))
    assert error.line == 8 and "not a content line" in str(error)
    error = refused(ics(*vevent("DTSTART:20270301T100000Z", "DURATION:one hour")))
    assert error.line == 8 and "DURATION value 'one hour' is not a duration" in str(error)
    error = refused(ics(*vevent("DTSTART:20270301T100000Z", "DTEND:20270301T110000Z", "RRULE:FREQ=SOMETIMES")))
    assert str(error) == "line 9, VEVENT #1: RRULE has no valid FREQ (got 'SOMETIMES')"
    error = refused(ics(*vevent("DTSTART:20270301T100000Z", "RRULE:FREQ=DAILY;UNTIL=2027-04-01")))
    assert error.line == 8 and "UNTIL '2027-04-01' is not a date-time" in str(error)


def test_bad_freebusy_period_and_not_utf8() -> None:
    error = refused(ics("BEGIN:VFREEBUSY", "UID:fb", "FREEBUSY:tomorrow/later", "END:VFREEBUSY"))
    assert error.line == 6 and error.component == "VFREEBUSY #1"
    error = refused(ics(*vevent("SUMMARY:caf\xe9", "DTSTART:20270301T100000Z")).replace("café".encode(), b"caf\xe9"))
    assert "not UTF-8" in str(error) and error.line == 7


def test_aware_range_required() -> None:
    with pytest.raises(ValueError):
        import_busy(ics(), datetime(2027, 3, 1), TO, ZONE)


def test_unknown_tzid_without_vtimezone_read_in_default_zone() -> None:
    """No definition anywhere: the only sensible reading is the family's own zone."""
    data = ics(*vevent("DTSTART;TZID=Nowhere/Special:20270302T100000", "DTEND;TZID=Nowhere/Special:20270302T110000"))
    assert busy(data) == [(u(2027, 3, 2, 16), u(2027, 3, 2, 17))]


def test_instant_event_without_end_is_not_busy() -> None:
    assert busy(ics(*vevent("DTSTART:20270302T100000Z"))) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(1, 60)).map(
            lambda p: BusyInterval(u(2027, 3, 1) + timedelta(minutes=p[0]), u(2027, 3, 1) + timedelta(minutes=p[0] + p[1]))
        ),
        max_size=30,
    )
)
def test_merge_invariants(intervals: list[BusyInterval]) -> None:
    merged = merge(intervals)
    assert all(a.end < b.start for a, b in zip(merged, merged[1:]))  # sorted, disjoint, not touching
    minute = timedelta(minutes=1)

    def covered(xs: list[BusyInterval]) -> set[datetime]:
        return {x.start + k * minute for x in xs for k in range(int((x.end - x.start) / minute))}

    assert covered(merged) == covered(intervals)
