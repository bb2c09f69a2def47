"""A proven upper bound on attendance from a linear relaxation (district scale).

At district scale no whole CP-SAT model fits the time, so the solver's own
bound would be the trivial one (every schedulable event at its best start).
This module solves the LP relaxation of the time-indexed model instead:

    maximise   sum att[e, k] * x[e, k]
    subject to sum_k x[e, k] <= 1                        (each event once)
               Hall rows of `cpsat.hall_rows`            (audience tags,
                   language pools, room and childcare pools at every
                   instant; language pools per day)
               sum x >= scheduled                        (only solutions that
                   schedule at least as many events are being bounded)
               0 <= x <= 1

Every constraint holds for every valid schedule, so the LP optimum bounds
the attendance of every schedule with at least `scheduled` events, which is
exactly what `objective.bound` promises. The LP is solved by GLOP; its
objective is only trusted at status OPTIMAL and rounded up after a small
tolerance is added, so floating-point error cannot make the bound too low.
"""
from __future__ import annotations

import math
import time

from ortools.linear_solver import pywraplp

from .candidates import Candidates
from .cpsat import hall_rows
from .model import Instance

TOLERANCE = 1e-6  # relative slack added before rounding the LP optimum up


def lp_bound(inst: Instance, cands: list[Candidates], events: list[int], min_scheduled: int = 0,
             time_limit: float = 60.0, count: bool = False) -> tuple[int | None, dict[str, float]]:
    """Upper bound on the attendance of `events` (None if GLOP did not finish).

    count=True bounds the number of events instead (objective: sum x).

    Returns the bound and timing figures (build and solve seconds, rows).
    """
    t0 = time.monotonic()
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None, {}
    inf = lp.infinity()
    x: dict[int, list] = {}
    obj = lp.Objective()
    for e in events:
        c = cands[e]
        xs = [lp.NumVar(0.0, 1.0, "") for _ in range(len(c.starts))]
        x[e] = xs
        once = lp.Constraint(-inf, 1.0)
        for k, v in enumerate(xs):
            once.SetCoefficient(v, 1.0)
            if count or c.att[k]:
                obj.SetCoefficient(v, 1.0 if count else float(c.att[k]))
    obj.SetMaximization()
    rows = 0
    for row, cap in hall_rows(inst, cands, events):
        ct = lp.Constraint(-inf, float(cap))
        coef: dict[tuple[int, int], float] = {}
        for e, a, b in row:  # a slice may appear twice (an event needing two of a pool)
            for k in range(a, b):
                coef[(e, k)] = coef.get((e, k), 0.0) + 1.0
        for (e, k), cf in coef.items():
            ct.SetCoefficient(x[e][k], cf)
        rows += 1
    if min_scheduled > 0:
        ct = lp.Constraint(float(min_scheduled), inf)
        for xs in x.values():
            for v in xs:
                ct.SetCoefficient(v, 1.0)
    built = time.monotonic() - t0
    lp.SetTimeLimit(int(max(1.0, time_limit - built) * 1000))
    status = lp.Solve()
    info = {"build_s": round(built, 2), "solve_s": round(time.monotonic() - t0 - built, 2), "rows": rows}
    if status != pywraplp.Solver.OPTIMAL:
        return None, info
    val = lp.Objective().Value()
    return int(math.floor(val + TOLERANCE * max(1.0, abs(val)) + 1e-9)), info
