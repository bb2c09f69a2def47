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
    """
    c, a, info = lp_bounds(inst, cands, events, min_scheduled, time_limit, with_count=count,
                           with_attendance=not count)
    return (c if count else a), info


def lp_bounds(inst: Instance, cands: list[Candidates], events: list[int], min_scheduled: int = 0,
              time_limit: float = 60.0, with_count: bool = True,
              with_attendance: bool = True) -> tuple[int | None, int | None, dict[str, float]]:
    """(count bound, attendance bound, figures) from one LP, built once.

    The count LP (objective: number of events) is solved first, then the
    same rows with the attendance objective and `min_scheduled` as a floor.
    Building stops, and the bounds are None, when `time_limit` runs out
    (rows are generated in Python; at district scale that is the slow part).
    """
    t0 = time.monotonic()
    deadline = t0 + time_limit
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None, None, {}
    inf = lp.infinity()
    x: dict[int, list] = {}
    for e in events:
        x[e] = [lp.NumVar(0.0, 1.0, "") for _ in range(len(cands[e].starts))]
        once = lp.Constraint(-inf, 1.0)
        for v in x[e]:
            once.SetCoefficient(v, 1.0)
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
        if rows % 200 == 0 and time.monotonic() > deadline:
            return None, None, {"build_s": round(time.monotonic() - t0, 2), "rows": rows, "stopped": "build"}
    built = time.monotonic() - t0
    info: dict[str, float] = {"build_s": round(built, 2), "rows": rows}

    def run() -> float | None:
        left = deadline - time.monotonic()
        if left < 0.5:
            return None
        lp.SetTimeLimit(int(left * 1000))
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        val = lp.Objective().Value()
        return math.floor(val + TOLERANCE * max(1.0, abs(val)) + 1e-9)

    count_bound = att_bound = None
    obj = lp.Objective()
    if with_count:
        for xs in x.values():
            for v in xs:
                obj.SetCoefficient(v, 1.0)
        obj.SetMaximization()
        got = run()
        count_bound = None if got is None else int(got)
    if with_attendance:
        for e, xs in x.items():
            att = cands[e].att
            for k, v in enumerate(xs):
                obj.SetCoefficient(v, float(att[k]))
        obj.SetMaximization()
        if min_scheduled > 0:
            ct = lp.Constraint(float(min_scheduled), inf)
            for xs in x.values():
                for v in xs:
                    ct.SetCoefficient(v, 1.0)
        got = run()
        att_bound = None if got is None else int(got)
    info["solve_s"] = round(time.monotonic() - t0 - built, 2)
    return count_bound, att_bound, info
