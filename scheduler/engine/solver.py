"""Orchestration: parse -> candidates -> greedy -> CP-SAT per component -> verify.

The greedy result exists before CP-SAT starts, so a valid solution is always
at hand by the time limit; the final solution is checked by `verify` and the
greedy one is returned instead if that check ever fails.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .bound import lp_bounds
from .candidates import AttendanceTable, Candidates, Grid, build_candidates, build_grid
from .cpsat import ComponentResult, components, solve_component, trivial_bound, value_of, weight
from .explain import EventDetail, details_for, explain
from .greedy import Placement, best_greedy, greedy
from .lns import lns
from .model import Instance
from .parse import parse_instance
from .timeutil import fmt_local
from .verify import verify

# Deterministic-time units CP-SAT spends per wall second with 2 interleaved
# workers on this kind of model, measured on the 2-core development machine
# (see docs/benchmarks.md). The deterministic budget is set below the wall budget
# so that, on an unloaded machine, the deterministic limit stops the search
# first and the answer is reproducible bit for bit.
DTIME_PER_SECOND = 0.25
# Components with more start literals than this are improved by slab LNS
# (lns.py) instead of one monolithic CP-SAT model; their bound is then the
# trivial one (every schedulable event at its best turnout).
LNS_LITERALS = 12000
# Components up to this size go straight to one CP-SAT model (tiny/small
# instances are proven optimal that way in a few seconds).
DIRECT_LITERALS = 2500

Progress = Callable[[int, int, int], None]  # scheduled, attendance, attendance bound


@dataclass(frozen=True)
class SolveResult:
    solution: dict[str, Any]
    details: dict[str, EventDetail]
    stats: dict[str, Any] = field(default_factory=dict)


def solution_dict(inst: Instance, grid: Grid, cands: list[Candidates], placed: dict[int, Placement],
                  bound: int | None) -> dict[str, Any]:
    """Engine-format solution: assignments and unscheduled in instance order."""
    asg = []
    uns = []
    att = 0
    for e, ev in enumerate(inst.events):
        p = placed.get(e)
        if p is None:
            uns.append({"event": ev.id, "reason": explain(inst, grid, e, cands[e], placed)})
            continue
        att += int(cands[e].att[p.pos])
        asg.append({
            "event": ev.id, "start": fmt_local(p.start, inst.tz), "room": inst.rooms[p.room].id,
            "interpreters": {lang: inst.interpreters[i].id for lang, i in
                             sorted(p.interps, key=lambda li: ev.interpreter_languages.index(li[0]))},
            "childcare": inst.childcare[p.care].id if p.care is not None else None,
        })
    obj: dict[str, Any] = {"scheduled": len(asg), "attendance": att}
    if bound is not None:
        obj["bound"] = max(bound, att)
    return {"version": 1, "assignments": asg, "unscheduled": uns, "objective": obj}


def solve(instance: Instance | dict, time_limit: float = 30.0, seed: int = 0,
          workers: int | None = None, progress: Progress | None = None,
          use_cpsat: bool = True, deterministic_time: float | None = None) -> SolveResult:
    """Solve an instance: best lexicographic (scheduled, attendance) found in time.

    `objective.bound` bounds the attendance of every solution that schedules
    at least as many events as this one (proven by CP-SAT, summed over
    components); bound == attendance together with stats["scheduled_bound"]
    == scheduled means proven optimal. use_cpsat=False returns the greedy
    baseline (still verified and explained).

    Reproducibility: the search is bounded by deterministic time
    (`deterministic_time`, default time_limit * DTIME_PER_SECOND) as well as
    by the wall clock. Same instance + seed give the same bytes whenever the
    deterministic budget, not the wall clock, ends the search;
    stats["stopped_by_wall_clock"] says which happened (a loaded machine can
    hit the wall first). Pass a small deterministic_time with a generous
    time_limit to guarantee identical output.
    """
    t0 = time.monotonic()
    inst = instance if isinstance(instance, Instance) else parse_instance(instance)
    grid = build_grid(inst)
    cands = build_candidates(inst, grid, table=AttendanceTable(inst))
    w = weight(cands)
    hint = greedy(inst, cands)  # the plain greedy baseline
    if use_cpsat:
        # randomised restarts: cheap, and often one more event than plain greedy
        hint = best_greedy(inst, cands, seed, max(10, min(200, 12000 // max(1, len(inst.events)))))
    comps = components(inst, cands)
    stats: dict[str, Any] = {"components": len(comps), "greedy_scheduled": len(hint),
                             "greedy_attendance": value_of(hint, cands, w) - w * len(hint)}
    placed = dict(hint)
    if not use_cpsat:
        total_bound = None
        statuses = ["greedy"]
    else:
        results = {}
        pending_bound = {i: trivial_bound(c, cands, w) for i, c in enumerate(comps)}
        count_bound = {i: len(c) for i, c in enumerate(comps)}  # components hold schedulable events only
        top_att = {i: pending_bound[i] - w * len(c) for i, c in enumerate(comps)}
        pending_val = {i: value_of({e: hint[e] for e in c if e in hint}, cands, w) for i, c in enumerate(comps)}
        size = {i: sum(len(cands[e].starts) for e in c) + 1 for i, c in enumerate(comps)}
        budget_dt = max(0.1, time_limit * DTIME_PER_SECOND if deterministic_time is None else deterministic_time)
        order = sorted(range(len(comps)), key=lambda i: (size[i], i))
        left = sum(size.values())
        best_seen = [sum(pending_val.values()), sum(pending_bound.values())]
        if progress:  # the greedy start point, so a caller always sees a first line
            progress(best_seen[0] // w, best_seen[0] % w, best_seen[1] - (best_seen[0] // w) * w)
        for i in order:
            wall_left = time_limit * 0.92 - (time.monotonic() - t0) - 0.2  # keep time to explain + verify
            share = size[i] / left
            left -= size[i]

            def report(val: int, bnd: int, i: int = i) -> None:
                v = sum(pending_val.values()) - pending_val[i] + val
                b = sum(pending_bound.values()) - pending_bound[i] + bnd
                if progress and (v > best_seen[0] or b < best_seen[1]):
                    best_seen[0], best_seen[1] = max(v, best_seen[0]), min(b, best_seen[1])
                    progress(best_seen[0] // w, best_seen[0] % w, best_seen[1] - (best_seen[0] // w) * w)

            wall_i = max(0.05, wall_left * max(share, 0.02))
            t_i = time.monotonic()

            def cap_by_lp(i: int, limit: float, floor: int | None = None) -> None:
                """Cap the component's attendance (and count) by LP relaxations (bound.py).

                With one component, only schedules with at least `floor`
                events need bounding (default: the greedy's count; the
                answer never has fewer events), which tightens the LP.
                """
                if limit < 1.0:
                    return
                lpc = None
                with_count = floor is None
                if floor is None:
                    floor = sum(1 for e in comps[i] if e in hint)
                if len(comps) > 1:
                    floor = 0
                lpc, lpb, info = lp_bounds(inst, cands, comps[i], floor, limit, with_count=with_count)
                if lpc is not None and lpc < count_bound[i]:
                    count_bound[i] = lpc
                    pending_bound[i] = min(pending_bound[i], lpc * w + top_att[i])
                # no timings in stats: plans store them and compare runs
                stats.setdefault("lp", []).append({"bound": lpb, "count_bound": lpc, "rows": info.get("rows")})
                if lpb is not None and lpb < top_att[i]:
                    top_att[i] = lpb
                    pending_bound[i] = min(pending_bound[i], count_bound[i] * w + lpb)
                    report(pending_val[i], pending_bound[i])

            dt_i = budget_dt * share
            if size[i] <= DIRECT_LITERALS:
                res = solve_component(inst, cands, comps[i], w, hint, wall_i, dt_i, seed, workers, report)
            elif size[i] <= LNS_LITERALS:
                cap_by_lp(i, wall_i * LP_SHARE_MID)
                res, cb = _staged(inst, cands, comps[i], w, hint, wall_i - (time.monotonic() - t_i), dt_i, seed,
                                  workers, report, pending_bound[i], count_bound[i], stats,
                                  lambda n, i=i: (cap_by_lp(i, 0.1 * wall_i, floor=n), pending_bound[i])[1])
                count_bound[i] = min(count_bound[i], cb)
            else:
                # LNS, then the LP bound (no whole model fits the time), then
                # LNS again with whatever time the LP left
                got, used_dt, rounds, lns_wall = lns(inst, cands, comps[i], w, hint, max(0.5, wall_i * LNS_FIRST),
                                                     dt_i * LNS_FIRST, seed, workers, report, pending_bound[i])
                cap_by_lp(i, wall_i - (time.monotonic() - t_i) - 1.0)
                rest = wall_i - (time.monotonic() - t_i)
                if rest > 1.0 and value_of(got, cands, w) < pending_bound[i]:
                    got, dt2, rounds2, wall2 = lns(inst, cands, comps[i], w, got, rest, max(0.05, dt_i - used_dt),
                                                   seed + 1, workers, report, pending_bound[i])
                    used_dt, rounds, lns_wall = used_dt + dt2, rounds + rounds2, lns_wall or wall2
                stats["lns_rounds"] = stats.get("lns_rounds", 0) + rounds
                res = ComponentResult(got, value_of(got, cands, w), pending_bound[i], "lns", used_dt, lns_wall)
            budget_dt -= res.dtime
            budget_dt = max(budget_dt, 0.05)
            # A proven count bound caps the weighted bound: no solution of this
            # component beats count_bound events, each at its best turnout.
            res.bound = min(res.bound, count_bound[i] * w + top_att[i])
            count_bound[i] = min(count_bound[i], res.bound // w)
            results[i] = res
            pending_val[i], pending_bound[i] = res.value, res.bound
            report(res.value, res.bound)
            for e in comps[i]:
                placed.pop(e, None)
            placed.update(res.placements)
        total_bound = sum(r.bound for r in results.values())
        stats["stopped_by_wall_clock"] = any(r.by_wall for r in results.values())
        stats["deterministic_time"] = round(sum(r.dtime for r in results.values()), 3)
        statuses = [r.status for r in results.values()]
    scheduled = len(placed)
    # Attendance bound for every solution scheduling >= `scheduled` events:
    # the weighted bound minus W per event, and never more than every
    # schedulable event at its best start (the weighted form alone would
    # count W for each event not proven impossible).
    bound_att = None if total_bound is None else min(total_bound - scheduled * w, sum(top_att.values()))
    sol = solution_dict(inst, grid, cands, placed, bound_att)
    errs = verify(inst, sol)
    if errs and placed != hint:
        stats["verify_errors"] = errs
        placed = dict(hint)
        sol = solution_dict(inst, grid, cands, placed, None)
        errs = verify(inst, sol)
    if errs:
        raise RuntimeError("engine produced an invalid solution: " + "; ".join(errs[:5]))
    details = {inst.events[e].id: details_for(inst, cands[e], p) for e, p in sorted(placed.items())}
    stats.update({
        "wall_seconds": round(time.monotonic() - t0, 3),
        "status": ("optimal" if statuses and all(s == "optimal" for s in statuses) or not comps else
                   "greedy" if not use_cpsat else "feasible"),
        "scheduled_bound": None if total_bound is None else min(total_bound // w, sum(count_bound.values())),
        "weight": w,
    })
    return SolveResult(sol, details, stats)


# Share of a mid-size component's time for slab LNS before whole-model solves
# take over, and how many rounds without improvement end the LNS early.
LNS_SHARE = 0.5
# Wall share for the LP bound at most (school scale: ~1 s of a 30 s budget)
# and, for LNS-only components, the share of LNS before the LP is solved.
LP_SHARE_MID = 0.25
LNS_FIRST = 0.55
LNS_PATIENCE = 12
# Share of what is left for the count-only solve (phase 1) when the count is open.
COUNT_SHARE = 0.6
# Share of what is left after that for the second LNS (turnout at the count).
POLISH_SHARE = 0.85


def _staged(inst: Instance, cands: list[Candidates], events: list[int], w: int, hint: dict[int, Placement],
            wall: float, dtime: float, seed: int, workers: int | None, report: Callable[[int, int], None],
            bound: int, count_cap: int, stats: dict[str, Any],
            recap: Callable[[int], int] | None = None) -> tuple[ComponentResult, int]:
    """Mid-size component: LNS, then count first, then attendance at that count.

    The lexicographic objective is solved as two CP-SAT models because the
    weighted one (W * scheduled + attendance) makes CP-SAT spend its time on
    the attendance part of the bound while the number of events, the part
    that matters first, stays open. Phase 1 maximises the number of events
    alone (skipped when the LNS answer already holds every schedulable
    event); phase 2 maximises the weighted objective with "at least that
    many events" posted, so its bound is still a bound for the whole
    component (fewer events can never win: W exceeds any attendance).
    Each model ends as soon as CP-SAT proves it optimal, so a proven
    component returns early. `recap(n)` re-solves the attendance LP for
    schedules with at least n events once phase 1 has found them. Returns
    the result and the proven count bound.
    """
    t0 = time.monotonic()
    got, used_dt, rounds, lns_wall = lns(inst, cands, events, w, hint, max(0.5, wall * LNS_SHARE),
                                         dtime * LNS_SHARE, seed, workers, report, bound, patience=LNS_PATIENCE,
                                         count_cap=count_cap)
    stats["lns_rounds"] = stats.get("lns_rounds", 0) + rounds
    val = value_of(got, cands, w)
    res = ComponentResult(got, val, bound, "lns", used_dt, lns_wall)
    if val >= bound:
        res.status = "optimal"
        return res, count_cap
    dt_left = max(0.1, dtime - used_dt)
    count_bound = count_cap
    best = got
    if len(got) < count_cap:
        wall_left = wall - (time.monotonic() - t0)
        ph1 = solve_component(inst, cands, events, w, got, max(0.5, wall_left * COUNT_SHARE),
                              max(0.05, dt_left * COUNT_SHARE), seed, workers, None, light=True, count_only=True)
        used_dt += ph1.dtime
        dt_left = max(0.1, dtime - used_dt)
        count_bound = min(count_cap, ph1.bound)
        if len(ph1.placements) > len(best):
            best = ph1.placements
            report(value_of(best, cands, w), bound)
        stats["count_phase"] = {"scheduled": len(best), "bound": count_bound, "status": ph1.status}
    if recap is not None and len(best) > sum(1 for e in events if e in hint):
        # more events than the greedy's are now certain: the attendance LP over
        # schedules with at least that many is tighter (recap returns the bound)
        bound = min(bound, recap(len(best)))
    wall_left = wall - (time.monotonic() - t0)
    if wall_left > 2.0:
        # polish turnout by LNS again (it improves attendance faster than one
        # whole model does); the whole model then gets the rest for the bound
        best, dt2, rounds2, wall2 = lns(inst, cands, events, w, best, max(0.5, wall_left * POLISH_SHARE),
                                        max(0.05, dt_left * POLISH_SHARE), seed + 1, workers, report, bound,
                                        patience=LNS_PATIENCE, count_cap=count_bound)
        stats["lns_rounds"] += rounds2
        used_dt += dt2
        lns_wall = lns_wall or wall2
        dt_left = max(0.1, dtime - used_dt)
    wall_left = wall - (time.monotonic() - t0)
    ph2 = solve_component(inst, cands, events, w, best, max(0.5, wall_left), dt_left, seed, workers, report,
                          light=True, min_scheduled=len(best))
    ph2.dtime += used_dt
    ph2.by_wall = ph2.by_wall or lns_wall
    if ph2.status == "optimal" and count_bound > len(ph2.placements):
        ph2.status = "feasible"  # optimal for its count only; more events are not ruled out
    return ph2, count_bound
