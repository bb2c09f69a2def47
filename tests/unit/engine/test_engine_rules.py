"""Each hard rule: a breaking and a non-breaking case, via the rule function and via verify."""
from __future__ import annotations

from dataclasses import replace

import pytest
from engine_fixtures import base_instance, base_solution

from scheduler.engine import parse_instance, rules, verify
from scheduler.engine.timeutil import parse_local, to_abs


@pytest.fixture()
def inst():
    return parse_instance(base_instance())


def at(inst, text: str) -> int:
    return to_abs(parse_local(text), inst.tz)


# ---- rule functions -------------------------------------------------------

def test_on_grid(inst) -> None:
    assert rules.on_grid(inst, at(inst, "2027-03-02T18:15"))
    assert not rules.on_grid(inst, at(inst, "2027-03-02T18:10"))


def test_inside_window(inst) -> None:
    ev = inst.event("art")
    assert rules.inside_window(ev, at(inst, "2027-03-05T22:59"))  # ends 23:59 exactly
    assert not rules.inside_window(ev, at(inst, "2027-03-05T23:00"))


def test_inside_horizon(inst) -> None:
    ev = inst.event("art")
    assert rules.inside_horizon(inst, ev, at(inst, "2027-03-05T23:00"))  # ends at midnight: inclusive end date
    assert not rules.inside_horizon(inst, ev, at(inst, "2027-03-05T23:15"))


def test_matches_fixed_start(inst) -> None:
    data = base_instance()
    data["events"][1]["fixed_start"] = "2027-03-03T18:00"
    ev = parse_instance(data).event("art")
    assert rules.matches_fixed_start(ev, at(inst, "2027-03-03T18:00"))
    assert not rules.matches_fixed_start(ev, at(inst, "2027-03-03T18:15"))
    assert rules.matches_fixed_start(inst.event("art"), at(inst, "2027-03-03T18:15"))


def test_room_fits(inst) -> None:
    ev = inst.event("budget")
    assert rules.room_fits(ev, inst.room("library"))
    assert not rules.room_fits(ev, replace(inst.room("library"), capacity=39))
    assert not rules.room_fits(ev, replace(inst.room("library"), tags=frozenset()))


def test_inside_availability() -> None:
    av = ((0, 100), (100, 200))
    assert rules.inside_availability(av, 10, 100)
    assert not rules.inside_availability(av, 50, 150)  # two touching intervals are not merged


def test_interpreter_speaks_and_childcare_fits(inst) -> None:
    ana = inst.interpreter("ana")
    assert rules.interpreter_speaks(ana, "es") and not rules.interpreter_speaks(ana, "so")
    ev = inst.event("budget")
    care = inst.care("kinder")
    assert rules.childcare_fits(ev, care) and not rules.childcare_fits(ev, replace(care, capacity=11))


def test_overlaps_half_open() -> None:
    assert not rules.overlaps((0, 60), (60, 120))
    assert rules.overlaps((0, 61), (60, 120))
    assert rules.overlapping_pairs([("a", (0, 60)), ("b", (60, 90)), ("c", (30, 70))]) == [("a", "c"), ("c", "b")]


def test_daily_limit_and_audience(inst) -> None:
    ana = inst.interpreter("ana")
    assert rules.within_daily_limit(ana, 1) and not rules.within_daily_limit(ana, 2)
    ev = inst.event("budget")
    assert rules.share_audience(ev, replace(inst.event("art"), audience=frozenset({"grade-3"})))
    assert not rules.share_audience(ev, inst.event("art"))


# ---- through verify ---------------------------------------------------------

def test_base_solution_is_valid() -> None:
    assert verify(base_instance(), base_solution()) == []


def _asg(sol: dict, i: int) -> dict:
    return sol["assignments"][i]


BREAKS = [
    ("off grid", lambda i, s: _asg(s, 1).update(start="2027-03-03T18:05"), "grid"),
    ("outside window", lambda i, s: i["events"][1].update(window=["2027-03-04T00:00", "2027-03-05T23:59"]), "window"),
    ("outside horizon", lambda i, s: i.update(horizon={"start": "2027-03-01", "end": "2027-03-02"}), "horizon"),
    ("fixed start", lambda i, s: i["events"][1].update(fixed_start="2027-03-03T19:00"), "fixed_start"),
    ("room too small", lambda i, s: i["events"][1].update(min_capacity=61), "does not fit"),
    ("room missing tag", lambda i, s: i["events"][1].update(room_tags=["stage"]), "does not fit"),
    ("room unavailable", lambda i, s: _asg(s, 1).update(start="2027-03-03T20:15"), "not available"),
    ("room overlap", lambda i, s: _asg(s, 1).update(start="2027-03-02T19:00"), "overlap"),
    ("unknown room", lambda i, s: _asg(s, 1).update(room="attic"), "unknown room"),
    ("wrong language", lambda i, s: i["events"][0].update(interpreter_languages=["vi"]) or
     _asg(s, 0).update(interpreters={"vi": "ana"}), "does not speak"),
    ("missing language", lambda i, s: _asg(s, 0).update(interpreters={}), "needed"),
    ("interpreter unavailable", lambda i, s: i["interpreters"][0].update(
        available=[["2027-03-02T18:30", "2027-03-02T20:00"]]), "interpreters.es"),
    ("one interpreter two languages", lambda i, s: i["events"][0].update(interpreter_languages=["es", "pt"]) or
     _asg(s, 0).update(interpreters={"es": "ana", "pt": "ana"}), "more than one language"),
    ("interpreter overlap", lambda i, s: (i["events"][1].update(interpreter_languages=["pt"]),
                                          i["interpreters"][0].update(max_events_per_day=5),
                                          _asg(s, 1).update(start="2027-03-02T18:30", room="gym",
                                                            interpreters={"pt": "ana"})), "interpreter ana"),
    ("daily limit", lambda i, s: (i["events"][1].update(interpreter_languages=["pt"]),
                                  _asg(s, 1).update(start="2027-03-02T16:00", interpreters={"pt": "ana"})),
     "limit 1"),
    ("childcare too small", lambda i, s: i["childcare"][0].update(capacity=5), "places"),
    ("childcare unavailable", lambda i, s: i["childcare"][0].update(available=[]), "childcare: kinder is not"),
    ("childcare overlap", lambda i, s: (i["events"][1].update(childcare_children=3),
                                        _asg(s, 1).update(start="2027-03-02T19:00", room="gym",
                                                          childcare="kinder")), "childcare kinder"),
    ("childcare not null", lambda i, s: _asg(s, 1).update(childcare="kinder"), "must be null"),
    ("childcare missing", lambda i, s: _asg(s, 0).update(childcare=None), "childcare"),
    ("audience overlap", lambda i, s: (i["events"][1].update(audience=["grade-3"]),
                                       _asg(s, 1).update(start="2027-03-02T19:00", room="gym")), "audience grade-3"),
    ("event missing", lambda i, s: s["assignments"].pop(1), "neither"),
    ("event twice", lambda i, s: s["unscheduled"].append({"event": "art", "reason": "x"}), "more than once"),
    ("empty reason", lambda i, s: (s["assignments"].pop(1), s["unscheduled"].append({"event": "art", "reason": " "})),
     "reason"),
    ("wrong scheduled", lambda i, s: s["objective"].update(scheduled=3), "objective.scheduled"),
    ("wrong attendance", lambda i, s: s["objective"].update(attendance=5), "recomputed 4"),
    ("bound below attendance", lambda i, s: s["objective"].update(bound=3), "objective.bound"),
    ("unknown solution key", lambda i, s: s.update(score=1), "solution.score: unknown key"),
    ("unknown assignment key", lambda i, s: _asg(s, 0).update(note="x"), "assignments[0].note"),
    ("nonexistent start", lambda i, s: (i.update(horizon={"start": "2027-03-13", "end": "2027-03-15"}),
                                        _asg(s, 1).update(start="2027-03-14T02:30")), "spring-forward"),
]


@pytest.mark.parametrize("name,mutate,fragment", BREAKS, ids=[b[0] for b in BREAKS])
def test_verify_catches(name: str, mutate, fragment: str) -> None:
    data, sol = base_instance(), base_solution()
    mutate(data, sol)
    errs = verify(data, sol)
    assert any(fragment in e for e in errs), errs


def test_verify_accepts_back_to_back_and_bound() -> None:
    data, sol = base_instance(), base_solution()
    data["events"][1]["audience"] = ["grade-3"]
    _asg(sol, 1).update(start="2027-03-02T19:30", room="gym")  # budget ends 19:30: touching, not overlapping
    sol["objective"]["attendance"] = 2
    sol["objective"]["bound"] = 2
    assert verify(data, sol) == []
