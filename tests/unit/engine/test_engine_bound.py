"""Bounds the engine reports are real: never below an exactly solved optimum.

The Hall rows (cpsat.hall_rows) are implied constraints: every valid
schedule satisfies them, so they may cut the relaxation but never a
solution. The LP relaxation over them (bound.py) bounds attendance and the
number of events. Staged solving (count first, then attendance) stops as
soon as it is proven.
"""
from __future__ import annotations

import pytest
from engine_fixtures import base_instance, load

from scheduler.engine import parse_instance, solve, verify
from scheduler.engine import solver as solver_mod
from scheduler.engine.bound import lp_bound, lp_bounds
from scheduler.engine.candidates import AttendanceTable, build_candidates, build_grid
from scheduler.engine.cpsat import components, hall_rows, solve_component, weight
from scheduler.engine.timeutil import parse_local, to_abs

EXACT = ["tiny-1.json", "tiny-2.json", "small-1.json", "small-3-dst.json", "small-4-scarce.json"]


def _prepared(data: dict):
    inst = parse_instance(data)
    grid = build_grid(inst)
    cands = build_candidates(inst, grid, table=AttendanceTable(inst))
    live = [c.event for c in cands if len(c.starts)]
    return inst, cands, live


def _chosen(inst, cands, solution: dict) -> dict[int, int]:
    """event index -> index of its start among its candidates, from a solution."""
    index = {ev.id: e for e, ev in enumerate(inst.events)}
    out = {}
    for a in solution["assignments"]:
        e = index[a["event"]]
        s = to_abs(parse_local(a["start"]), inst.tz)
        out[e] = int(list(cands[e].starts).index(s))
    return out


@pytest.mark.parametrize("name", EXACT)
def test_every_verified_solution_satisfies_every_hall_row(name: str) -> None:
    data = load(name)
    res = solve(data, time_limit=20, seed=1)
    assert verify(data, res.solution) == []
    inst, cands, live = _prepared(data)
    chosen = _chosen(inst, cands, res.solution)
    rows = list(hall_rows(inst, cands, live))
    assert rows  # the instances are tight enough to need some
    for row, cap in rows:
        used = sum(1 for e, a, b in row if e in chosen and a <= chosen[e] < b)
        assert used <= cap


@pytest.mark.parametrize("name", EXACT)
def test_lp_bounds_are_at_least_the_proven_optimum(name: str) -> None:
    data = load(name)
    res = solve(data, time_limit=30, seed=1)
    obj = res.solution["objective"]
    inst, cands, live = _prepared(data)
    count, _ = lp_bound(inst, cands, live, 0, 60, count=True)
    att, _ = lp_bound(inst, cands, live, obj["scheduled"], 60)
    att_free, _ = lp_bound(inst, cands, live, 0, 60)
    assert count is not None and count >= obj["scheduled"]
    assert att is not None and att >= obj["attendance"]
    assert att_free >= att  # the count floor only tightens
    if res.stats["status"] == "optimal":  # exact optimum known: the LP may not cut it off
        assert count >= res.stats["scheduled_bound"] == obj["scheduled"]


def test_daily_pool_counts_only_speakers_available_that_day() -> None:
    """Two Spanish events, one interpreter who works one event a day and only
    on Monday: at most one event can be placed, and the LP proves it; a
    second interpreter on Tuesday makes room for both."""
    data = base_instance()
    data["interpreters"] = [
        {"id": "ana", "languages": ["es"], "max_events_per_day": 1,
         "available": [["2027-03-01T16:00", "2027-03-01T20:00"]]},
        {"id": "ben", "languages": ["es"], "max_events_per_day": 1,
         "available": [["2027-03-02T16:00", "2027-03-02T20:00"]]},
    ]
    for ev in data["events"]:
        ev["interpreter_languages"] = ["es"]
        ev["childcare_children"] = 0
        ev["audience"] = []
    data["events"][0]["window"] = ["2027-03-01T00:00", "2027-03-01T23:59"]
    data["events"][1]["window"] = ["2027-03-01T00:00", "2027-03-01T23:59"]
    inst, cands, live = _prepared(data)
    count, _ = lp_bound(inst, cands, live, 0, 30, count=True)
    assert count == 1  # ben (Tuesday) does not add to Monday's total
    res = solve(data, time_limit=10, seed=1)
    assert res.solution["objective"]["scheduled"] == 1 and res.stats["scheduled_bound"] == 1
    data["events"][1]["window"] = ["2027-03-01T00:00", "2027-03-02T23:59"]
    inst, cands, live = _prepared(data)
    assert lp_bound(inst, cands, live, 0, 30, count=True)[0] == 2
    assert solve(data, time_limit=10, seed=1).solution["objective"]["scheduled"] == 2


def test_language_pair_pool_counts_an_event_needing_both_twice() -> None:
    """One interpreter speaks es and pt (one event a day), another only pt:
    an event needing es and pt takes both, so a second pt event that day has
    nobody left. Only the pair pool {es, pt} sees that (single-language
    pools allow 1 es and 2 pt events)."""
    data = base_instance()
    days = ["2027-03-01"]
    data["horizon"] = {"start": "2027-03-01", "end": "2027-03-01"}
    data["interpreters"] = [
        {"id": "ana", "languages": ["es", "pt"], "max_events_per_day": 1,
         "available": [[f"{d}T16:00", f"{d}T20:00"] for d in days]},
        {"id": "rui", "languages": ["pt"], "max_events_per_day": 1,
         "available": [[f"{d}T16:00", f"{d}T20:00"] for d in days]},
    ]
    data["events"][0].update(interpreter_languages=["es", "pt"], childcare_children=0, audience=[],
                             window=["2027-03-01T00:00", "2027-03-01T23:59"])
    data["events"][1].update(interpreter_languages=["pt"], window=["2027-03-01T00:00", "2027-03-01T23:59"])
    inst, cands, live = _prepared(data)
    assert lp_bound(inst, cands, live, 0, 30, count=True)[0] == 1
    res = solve(data, time_limit=10, seed=1)
    assert verify(data, res.solution) == []
    assert res.solution["objective"]["scheduled"] == 1 and res.stats["scheduled_bound"] == 1


def test_count_only_and_floor_models_agree_with_the_lexicographic_optimum() -> None:
    data = load("small-4-scarce.json")
    res = solve(data, time_limit=30, seed=1)
    assert res.stats["status"] == "optimal"
    inst, cands, live = _prepared(data)
    w = weight(cands)
    best = res.solution["objective"]
    n = 0
    for comp in components(inst, cands):
        r = solve_component(inst, cands, comp, w, {}, 30, 100, 1, count_only=True, use_hint=False)
        assert r.status == "optimal"
        n += r.value
    assert n == best["scheduled"]


def test_staged_solve_stops_when_proven(monkeypatch) -> None:
    """Force the staged path (LNS, count, attendance) on an instance it proves
    quickly: it ends proven, on its own, long before its deterministic budget."""
    monkeypatch.setattr(solver_mod, "DIRECT_LITERALS", 0)
    data = load("small-1.json")
    res = solve(data, time_limit=600, seed=1, deterministic_time=500)
    assert verify(data, res.solution) == []
    assert res.stats["status"] == "optimal"
    obj = res.solution["objective"]
    assert obj["bound"] == obj["attendance"] and res.stats["scheduled_bound"] == obj["scheduled"]
    assert not res.stats["stopped_by_wall_clock"]
    assert res.stats["deterministic_time"] < 500 / 4  # ended by proof, not by the budget
    direct = solve(data, time_limit=30, seed=1).solution["objective"]
    assert (obj["scheduled"], obj["attendance"]) == (direct["scheduled"], direct["attendance"])


def test_attendance_bound_never_counts_weight_for_missing_events() -> None:
    """The attendance bound is at most every schedulable event at its best
    start, even when the event count is not proven (the weighted bound alone
    would add W per event not ruled out)."""
    data = load("small-4-scarce.json")
    res = solve(data, time_limit=5, seed=1, deterministic_time=0.05)
    inst, cands, live = _prepared(data)
    obj = res.solution["objective"]
    assert obj["attendance"] <= obj["bound"] <= sum(int(cands[e].att.max()) for e in live)


def test_lp_out_of_time_gives_no_bound_rather_than_a_wrong_one() -> None:
    data = load("small-1.json")
    inst, cands, live = _prepared(data)
    count, att, _ = lp_bounds(inst, cands, live, 0, 0.0)
    assert count is None and att is None
    count, att, _ = lp_bounds(inst, cands, live, 0, 60)
    assert count is not None and att is not None
