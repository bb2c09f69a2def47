"""Attendance figures of past events (scheduler/attendance/tally.py): what counts as registered, confirmed,
checked in and a walk-in, and the months summed."""

from __future__ import annotations

from scheduler.attendance.tally import by_month, event_figures


def reg(rid: int, family: int, status: str = "confirmed") -> dict:
    return {"id": rid, "family": family, "status": status}


def test_an_events_figures_count_confirmed_registrations_answers_and_parties_at_the_door():
    regs = [reg(1, 10), reg(2, 11), reg(3, 12, "cancelled"), reg(4, 13, "waitlisted")]
    answers = [{"registration": 1, "answer": "yes"}, {"registration": 2, "answer": "no"},
               {"registration": 3, "answer": "yes"}]  # a cancelled registration's yes is not a confirmation
    checks = [{"registration": 1, "family": 10, "adults": 2, "children": 1},
              {"registration": None, "family": None, "adults": 1, "children": 0},  # a named walk-in
              {"registration": None, "family": 13, "adults": 1, "children": 2}]  # waitlisted, came anyway
    figures = event_figures(regs, answers, checks)
    assert figures == {"registered": 2, "confirmed": 1, "checked_in": 3, "walk_ins": 2, "came": 1, "people": 7,
                       "checks_taken": True, "show_up_rate": 0.5}


def test_an_event_without_check_ins_has_no_show_up_rate():
    figures = event_figures([reg(1, 10)], [], [])
    assert figures["checks_taken"] is False and figures["show_up_rate"] is None and figures["registered"] == 1


def test_months_sum_their_events_and_rate_only_where_check_ins_were_taken():
    base = {"registered": 4, "confirmed": 2, "checked_in": 3, "walk_ins": 1, "came": 2, "people": 5}
    events = [{"month": "2026-10", **base, "checks_taken": True, "expected": 6},
              {"month": "2026-10", **base, "checked_in": 0, "walk_ins": 0, "came": 0, "people": 0,
               "checks_taken": False, "expected": None},
              {"month": "2026-09", **base, "checks_taken": True, "expected": None}]
    months = by_month(events)
    assert [m["month"] for m in months] == ["2026-09", "2026-10"]
    october = months[1]
    assert october["events"] == 2 and october["registered"] == 8 and october["checked_in"] == 3
    assert october["show_up_rate"] == 0.5  # 2 of 4: the event without check-ins is not a 0
    assert october["expected"] == 6 and months[0]["expected"] is None
