"""Unscheduled events get a reason naming the rule and the resource to fix."""
from __future__ import annotations

from engine_fixtures import base_instance

from scheduler.engine import solve, verify
from scheduler.engine.explain import language_name


def reason(data: dict, event: str) -> str:
    res = solve(data, time_limit=5, seed=1)
    assert verify(data, res.solution) == []
    got = {u["event"]: u["reason"] for u in res.solution["unscheduled"]}
    assert event in got, res.solution
    return got[event]


def test_missing_language_interpreter() -> None:
    data = base_instance()
    data["events"][0]["interpreter_languages"] = ["so"]
    assert reason(data, "budget") == "no interpreter speaks Somali: add a Somali interpreter"


def test_language_interpreter_not_available_long_enough() -> None:
    data = base_instance()
    data["interpreters"].append({"id": "abdi", "languages": ["so"],
                                 "available": [["2027-03-02T18:00", "2027-03-02T19:00"]]})
    data["events"][0]["interpreter_languages"] = ["so"]
    r = reason(data, "budget")
    assert r == "no Somali interpreter is available for 90 minutes at any time in the window 2027-03-01..2027-03-05"


def test_room_too_small() -> None:
    data = base_instance()
    data["events"][0]["min_capacity"] = 80
    data["events"][0]["room_tags"] = ["accessible", "kitchen"]
    data["rooms"][0]["tags"] = ["accessible", "kitchen"]
    assert reason(data, "budget") == "no room with tags accessible+kitchen is large enough: need 80, largest 60"


def test_no_room_has_tag() -> None:
    data = base_instance()
    data["events"][1]["room_tags"] = ["pool"]
    assert reason(data, "art") == "no room has the tag pool"


def test_audience_conflict_names_the_blocking_event() -> None:
    data = base_instance()
    # Both grade-3 events can only happen on 2027-03-02 18:00-19:30; budget draws more families.
    for ev in data["events"]:
        ev["window"] = ["2027-03-02T18:00", "2027-03-02T19:30"]
        ev["audience"] = ["grade-3"]
        ev["duration_minutes"] = 90
    assert reason(data, "art") == "every feasible start conflicts with grade-3 events budget"


def test_fixed_start_outside_window() -> None:
    data = base_instance()
    data["events"][1]["fixed_start"] = "2027-03-06T18:00"
    data["events"][1]["window"] = ["2027-03-01T00:00", "2027-03-04T23:59"]
    assert reason(data, "art").startswith("fixed start 2027-03-06T18:00 is outside the window")


def test_childcare_too_small_and_unavailable() -> None:
    data = base_instance()
    data["events"][0]["childcare_children"] = 30
    assert reason(data, "budget") == "no childcare has 30 places (largest 20)"
    data = base_instance()
    data["childcare"][0]["available"] = [["2027-03-02T18:00", "2027-03-02T19:00"]]
    assert reason(data, "budget").startswith("no childcare with 12 places is available for 90 minutes")


def test_window_shorter_than_event() -> None:
    data = base_instance()
    data["events"][1]["window"] = ["2027-03-02T18:00", "2027-03-02T18:30"]
    assert reason(data, "art").startswith("the window 2027-03-02T18:00..2027-03-02T18:30 is shorter")


def test_language_names() -> None:
    assert language_name("es") == "Spanish" and language_name("xx") == "xx"
