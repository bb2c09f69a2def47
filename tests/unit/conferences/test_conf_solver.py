"""Behaviour of the solver on small problems (exact CP-SAT path) and on a
demo school forced through the large-neighbourhood path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conf_fixtures import base, build, example_dict, span

from scheduler.conferences.solver import solver as solver_mod
from scheduler.conferences.solver.demo import make_problem
from scheduler.conferences.solver.greedy import first_come_first_served, greedy
from scheduler.conferences.solver.instance import compile_problem
from scheduler.conferences.solver.model import Schedule
from scheduler.conferences.solver.solver import solve
from scheduler.conferences.solver.verify import verify

FAST = {"time_limit": 10.0, "seed": 0, "effort": 2.0}


def by_id(s: Schedule) -> dict:
    return {m.request: m for m in s.meetings}


def test_three_children_back_to_back_in_three_rooms() -> None:
    p = build(base())
    s = solve(p, **FAST)
    assert verify(p, s) == [] and not s.unplaced
    ms = sorted(s.meetings, key=lambda m: m.start)
    assert len(ms) == 3
    gaps = [(b.start - a.end) for a, b in zip(ms, ms[1:])]
    assert gaps == [timedelta(minutes=5), timedelta(minutes=5)]      # exactly the passing time
    assert ms[-1].end - ms[0].start == timedelta(minutes=40)
    assert s.status == "OPTIMAL" and s.bound == s.objective


def test_interpreted_meetings_are_longer_and_interpreter_never_double_booked() -> None:
    d = base()
    d["families"] = [{"id": "ng", "language": "vi", "children": ["a", "b"]},
                     {"id": "tr", "language": "vi", "children": ["c"],
                      "availability": [span("16:00", "16:45")]}]
    d["interpreters"] = [{"id": "thu", "languages": ["vi"]}]
    p = build(d)
    s = solve(p, **FAST)
    assert verify(p, s) == [] and not s.unplaced
    for m in s.meetings:
        assert m.end - m.start == timedelta(minutes=20) and m.interpreter == "thu"
    ms = sorted(s.meetings, key=lambda m: m.start)
    for a, b in zip(ms, ms[1:]):
        assert b.start >= a.end + timedelta(minutes=5)   # one person, passing time between rooms
    # the interpreter works one contiguous block: 3×20 + 2×5 minutes
    assert ms[-1].end - ms[0].start == timedelta(minutes=70)


def test_split_household_gets_two_separate_meetings() -> None:
    d = base()
    d["families"] = [{"id": "bk", "children": ["a"], "guardians": [
        {"id": "mum", "availability": [span("16:00", "16:30")]},
        {"id": "dad", "availability": [span("17:00", "18:00")]}]}]
    p = build(d)
    s = solve(p, **FAST)
    assert verify(p, s) == [] and not s.unplaced
    m = by_id(s)
    assert set(m) == {"bk.mum/lee", "bk.dad/lee"}
    assert m["bk.mum/lee"].end <= m["bk.dad/lee"].start


def test_teacher_break_is_kept() -> None:
    d = base()
    for t in d["teachers"]:
        t["breaks"] = [span("16:10", "17:50")]
    p = build(d)
    s = solve(p, **FAST)
    assert verify(p, s) == []
    for m in s.meetings:
        assert m.end <= build(d).teachers[0].breaks[0].start or m.start >= build(d).teachers[0].breaks[0].end
    # only 16:00–16:10 and 17:50–18:00 remain per teacher: two meetings fit, one cannot
    assert len(s.meetings) + len(s.unplaced) == 3


def test_unplaceable_meetings_get_actionable_reasons() -> None:
    d = base()
    d["teachers"][0]["availability"] = [span("17:00", "18:00")]
    d["families"] = [{"id": "ng", "name": "the Nguyen family", "children": ["a"],
                      "availability": [span("16:00", "16:45")]},
                     {"id": "ga", "name": "the García family", "language": "es", "children": ["b"]}]
    p = build(d)
    s = solve(p, **FAST)
    reasons = {u.request: u.reason for u in s.unplaced}
    assert "Ms Lee is not available" in reasons["ng/lee"] and "Tue 16:00–16:45" in reasons["ng/lee"]
    assert reasons["ga/kim"] == "no Spanish interpreter is on the interpreter list"


def test_fully_booked_teacher_reason() -> None:
    d = base()
    d["window"]["evenings"] = [span("16:00", "16:20")]
    d["children"] += [{"id": "x"}, {"id": "y"}, {"id": "z"}]
    d["teachers"][0]["students"] += ["x", "y", "z"]
    d["families"] = [{"id": f, "name": f"the {f} family", "children": [f]} for f in ("x", "y", "z")]
    p = build(d)
    s = solve(p, **FAST)
    assert len(s.meetings) == 2 and len(s.unplaced) == 1
    assert "Ms Lee has no free 10-minute slot while the" in s.unplaced[0].reason


def test_busy_interpreter_reason() -> None:
    d = base()
    d["window"]["evenings"] = [span("16:00", "16:25")]
    d["families"] = [{"id": "ng", "name": "the Nguyen family", "language": "vi", "children": ["a"]},
                     {"id": "tr", "name": "the Tran family", "language": "vi", "children": ["b"]}]
    d["interpreters"] = [{"id": "thu", "languages": ["vi"]}]
    s = solve(build(d), **FAST)
    assert len(s.unplaced) == 1
    assert s.unplaced[0].reason.startswith("no Vietnamese interpreter is free")


def test_example_file_solves_optimally() -> None:
    p = build(example_dict())
    s = solve(p, **FAST)
    assert verify(p, s) == [] and not s.unplaced and s.status == "OPTIMAL"


def test_same_input_and_seed_give_identical_schedule() -> None:
    p = build(example_dict())
    a, b = solve(p, **FAST), solve(p, **FAST)
    assert a == b


def test_large_neighbourhood_path_is_valid_and_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver_mod, "EXACT_LIMIT", 0)       # force the LNS path
    p = make_problem(3, students=80, teachers=6, interpreters=3)
    runs = [solve(p, time_limit=60.0, seed=7, effort=1.0, num_workers=2) for _ in range(2)]
    assert runs[0] == runs[1]
    assert not runs[0].stats["wall_limit_hit"]
    assert verify(p, runs[0]) == []
    assert runs[0].objective <= runs[0].stats["greedy_objective"]
    assert runs[0].bound <= runs[0].objective


def test_greedy_and_baseline_are_valid_plans() -> None:
    p = make_problem(5, students=120, teachers=8, interpreters=3)
    inst = compile_problem(p)
    from scheduler.conferences.solver.cost import objective
    from scheduler.conferences.solver.solver import to_schedule
    for plan in (greedy(inst), first_come_first_served(inst)):
        assert verify(p, to_schedule(inst, plan, objective(inst, plan), 0, "FEASIBLE", {})) == []
