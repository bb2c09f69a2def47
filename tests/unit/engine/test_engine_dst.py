"""Daylight-saving weeks in America/New_York: real minutes, gap starts, first occurrences."""
from __future__ import annotations

from engine_fixtures import base_instance

from scheduler.engine import parse_instance, solve, verify
from scheduler.engine.candidates import build_grid
from scheduler.engine.timeutil import fmt_local


def one_night(day: str, room_from: str, room_to: str, duration: int) -> dict:
    """One room, one event, nothing else: only time arithmetic decides."""
    data = base_instance()
    data["horizon"] = {"start": day, "end": day}
    data["rooms"] = [{"id": "hall", "capacity": 100, "available": [[f"{day}T{room_from}", f"{day}T{room_to}"]]}]
    data["interpreters"] = []
    data["childcare"] = []
    data["families"] = []
    data["events"] = [{"id": "night", "duration_minutes": duration,
                       "window": [f"{day}T00:00", f"{day}T23:59"], "min_capacity": 10}]
    return data


def sol(start: str) -> dict:
    return {"version": 1, "assignments": [{"event": "night", "start": start, "room": "hall",
                                           "interpreters": {}, "childcare": None}],
            "unscheduled": [], "objective": {"scheduled": 1, "attendance": 0}}


def test_spring_forward_is_measured_in_real_minutes() -> None:
    # 01:00 EST .. 03:30 EDT is 90 real minutes, not 150 wall-clock minutes.
    data = one_night("2027-03-14", "01:00", "03:30", 90)
    assert verify(data, sol("2027-03-14T01:00")) == []
    data = one_night("2027-03-14", "01:00", "03:30", 91)
    assert any("not available" in e for e in verify(data, sol("2027-03-14T01:00")))


def test_spring_forward_evening_event() -> None:
    # An ordinary evening on the DST Sunday: 18:00-21:00 is 180 minutes after the change.
    data = one_night("2027-03-14", "18:00", "21:00", 180)
    assert verify(data, sol("2027-03-14T18:00")) == []


def test_spring_forward_gap_start_is_invalid() -> None:
    data = one_night("2027-03-14", "00:00", "06:00", 30)
    errs = verify(data, sol("2027-03-14T02:30"))
    assert any("does not exist" in e for e in errs), errs
    inst = parse_instance(data)
    starts = {fmt_local(int(s), inst.tz) for s in build_grid(inst).starts}
    assert "2027-03-14T02:30" not in starts and "2027-03-14T03:00" in starts and "2027-03-14T01:45" in starts


def test_spring_forward_solver_uses_real_minutes() -> None:
    data = one_night("2027-03-14", "01:00", "03:30", 90)
    res = solve(data, time_limit=5, seed=1)
    assert res.solution["assignments"][0]["start"] == "2027-03-14T01:00"
    assert verify(data, res.solution) == []


def test_fall_back_ambiguous_means_first_occurrence() -> None:
    # Room 00:00 EDT .. 02:00 EST = 180 real minutes. 01:30 is the first (EDT)
    # occurrence, so a 90-minute event ends exactly at 02:00 EST.
    data = one_night("2027-11-07", "00:00", "02:00", 90)
    assert verify(data, sol("2027-11-07T01:30")) == []
    data = one_night("2027-11-07", "00:00", "02:00", 91)
    assert verify(data, sol("2027-11-07T01:30")) != []


def test_fall_back_night_is_25_hours_of_grid() -> None:
    data = one_night("2027-11-07", "00:00", "02:00", 180)
    inst = parse_instance(data)
    grid = build_grid(inst)
    assert len(grid.starts) == 24 * 4  # each wall time once (first occurrence), none duplicated
    res = solve(data, time_limit=5, seed=1)
    assert res.solution["assignments"][0]["start"] == "2027-11-07T00:00"
    assert verify(data, res.solution) == []
