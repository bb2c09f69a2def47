"""Shapes of the attendance figures API (``figures.py``; how each figure is counted: ``tally.py``)."""

from __future__ import annotations

from msgspec import Struct


class EventAttendance(Struct):
    event_id: int
    title: str
    start: str | None  # local, with the school's offset
    month: str  # YYYY-MM, local
    expected: int | None  # the publishing plan's expected turnout (families); None: placed by hand, no plan
    expected_at_door: float | None  # the same plan's calibrated figure (families expected at the door), if any
    registered: int  # registrations still confirmed
    confirmed: int  # of those, "yes" the day before
    checked_in: int  # parties checked in at the door, walk-ins included
    walk_ins: int  # parties that matched no registered family
    came: int  # registered families checked in
    people: int  # adults and children checked in
    checks_taken: bool  # False: nobody checked anyone in (the event counts in no rate)
    show_up_rate: float | None  # came / registered, when check-ins were taken


class MonthAttendance(Struct):
    month: str
    events: int
    expected: int | None
    registered: int
    confirmed: int
    checked_in: int
    walk_ins: int
    people: int
    show_up_rate: float | None


class HistoryOut(Struct):
    """What the planner's calibration would rest on now (scheduler/planning/calibration.py)."""

    school_rate: float
    history_events: int
    history_registrations: int
    time_of_day: dict[str, float]


class SchoolAttendance(Struct):
    school_id: int
    months: list[MonthAttendance]
    events: list[EventAttendance]  # newest first
    calibration: HistoryOut
