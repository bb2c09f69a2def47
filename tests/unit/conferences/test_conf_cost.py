"""Objective pieces: visits are counted exactly, the bound is a bound, and
the package stays pure (no web or database imports)."""

from __future__ import annotations

import subprocess
import sys

from conf_fixtures import base, build

from scheduler.conferences.solver.cost import Plan, lower_bound, objective, party_span
from scheduler.conferences.solver.instance import compile_problem


def plan_at(inst, starts: list[int | None]) -> Plan:
    return Plan(list(starts), [None] * len(starts))


def test_visit_split_by_one_long_gap_even_if_total_is_small() -> None:
    inst = compile_problem(build(base()))       # 3 meetings of 10 min, passing 5, slack 5
    together = plan_at(inst, [0, 15, 30])
    assert party_span(inst, together, 0) == (40, 0)
    # gaps 0+... : 10→15 (5) then 25→45 (20 > 10): a second visit, although
    # the span (55) is what a "sum of gaps" test would still accept
    apart = plan_at(inst, [0, 15, 45])
    assert party_span(inst, apart, 0) == (55, 1)
    assert party_span(inst, plan_at(inst, [0, 30, 60]), 0) == (70, 2)
    assert objective(inst, apart) > objective(inst, together)


def test_unplaced_dominates_everything() -> None:
    inst = compile_problem(build(base()))
    assert objective(inst, plan_at(inst, [0, None, None])) > objective(inst, plan_at(inst, [0, 15, 90]))


def test_lower_bound_is_below_a_perfect_schedule() -> None:
    inst = compile_problem(build(base()))
    assert lower_bound(inst) == objective(inst, plan_at(inst, [0, 15, 30])) == 40


def test_package_imports_no_litestar_or_piccolo() -> None:
    code = ("import sys, scheduler.conferences, scheduler.conferences.solver.cli, scheduler.conferences.solver.demo; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('litestar', 'piccolo')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
