"""Solve a conference problem: greedy start, CP-SAT improvement, verify.

Small schools are solved as one exact CP-SAT model (so the reported bound is
CP-SAT's proof). Large ones use large-neighbourhood search: a few dozen
families that share teachers or interpreters around the same time are freed
and re-optimised exactly while everything else stays put. Every accepted step
is no worse than the last, so stopping at any moment still leaves a valid,
verified schedule.

Determinism: the neighbourhood choice uses a seeded RNG and each CP-SAT call
is bounded by *deterministic* time (interleaved search when multi-threaded),
so the same input and seed give the same schedule — unless the wall-clock
guard fires first on an overloaded machine; `stats["wall_limit_hit"]` says so.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .board import Board
from .cost import Plan, lower_bound, objective, party_span
from .cpmodel import solve_free
from .greedy import earliest_start, greedy
from .instance import Instance, compile_problem
from .model import Meeting, Problem, Schedule, Unplaced
from .reasons import explain
from .verify import verify

EXACT_LIMIT = 160          # slots; below this one exact model is solved
NEIGHBOURHOOD = 12         # parties freed per LNS step
STEP_DET_TIME = 0.25       # deterministic seconds per LNS step
# Default search budget in CP-SAT deterministic seconds per second of time
# limit. A round costs roughly 1.5 wall seconds per deterministic second here, so
# on an idle machine the budget, not the clock, ends the search and the run
# is reproducible; on a loaded one the wall-clock guard ends it first.
EFFORT_SHARE = 0.4
# Each LNS round is also charged this many deterministic seconds for model
# building and presolve, which CP-SAT's own count leaves out; it keeps the
# budget, rather than the clock, the usual reason to stop.
ROUND_OVERHEAD = 0.1


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _interpreter_neighbourhood(inst: Instance, plan: Plan, rng: random.Random, size: int,
                               taken: set[int]) -> list[int]:
    """Parties served by one interpreter on one evening, picked by idle
    time: freeing them lets CP-SAT close that interpreter's gaps."""
    idle: dict[tuple[int, int], list[int]] = {}
    for k, s in enumerate(plan.start):
        i = plan.interp[k]
        if s is not None and i is not None and inst.slots[k].party not in taken:
            idle.setdefault((i, inst.evening_of(s)), []).append(k)
    if not idle:
        return []
    keys = sorted(idle)
    weights = []
    for key in keys:
        ks = idle[key]
        lo = min(plan.start[k] for k in ks)  # type: ignore[type-var]
        hi = max(plan.start[k] + inst.slots[k].dur for k in ks)  # type: ignore[operator]
        weights.append(1.0 + hi - lo - sum(inst.slots[k].dur for k in ks))
    key = rng.choices(keys, weights=weights)[0]
    parties = sorted({inst.slots[k].party for k in idle[key]})
    rng.shuffle(parties)
    return sorted(parties[:size])


def _neighbourhood(inst: Instance, plan: Plan, rng: random.Random, size: int, taken: set[int]) -> list[int]:
    """Seed party chosen by how much it would gain (unplaced ≫ extra visit ≫
    waiting), then the parties meeting the same teachers or interpreters
    within an hour of it — the ones whose slots it could swap with."""
    weights = []
    for p, ks in enumerate(inst.by_party):
        if not ks or p in taken:
            weights.append(0.0)
            continue
        unplaced = sum(1 for k in ks if plan.start[k] is None and inst.slots[k].starts)
        span, extra = party_span(inst, plan, p)
        tight = sum(inst.slots[k].dur for k in ks) + inst.passing * (len(ks) - 1)
        weights.append(0.2 + 50.0 * unplaced + 10.0 * extra + 0.05 * max(0, span - tight))
    seed_p = rng.choices(range(len(weights)), weights=weights)[0]
    chosen = [seed_p]
    seen = {seed_p} | taken
    frontier = [seed_p]
    while frontier and len(chosen) < size:
        p = frontier.pop(0)
        teachers = {inst.slots[k].teacher for k in inst.by_party[p]}
        interps = {plan.interp[k] for k in inst.by_party[p] if plan.interp[k] is not None}
        times = [plan.start[k] for k in inst.by_party[p] if plan.start[k] is not None]
        if not times:   # unplaced: any time this party could come
            times = [s for k in inst.by_party[p] for s in inst.slots[k].starts[:: 6]]
        cands: set[int] = set()
        for k, s in enumerate(plan.start):
            sl = inst.slots[k]
            if sl.party in seen:
                continue
            related = sl.teacher in teachers or (plan.interp[k] is not None and plan.interp[k] in interps)
            if related and (s is None or any(abs(s - t) <= 60 for t in times)):
                cands.add(sl.party)
        picked = sorted(cands)
        rng.shuffle(picked)
        for q in picked[: max(2, (size - len(chosen)) // 2)]:
            if len(chosen) >= size:
                break
            chosen.append(q)
            seen.add(q)
            frontier.append(q)
    return sorted(chosen)


def _compatible(inst: Instance, plan: Plan, changed: list[int]) -> bool:
    """Do the `changed` slots clash with anyone on teachers or interpreters?
    (Party rules involve only the changed parties themselves, which CP-SAT
    already enforced.)"""
    for k in changed:
        s = plan.start[k]
        if s is None:
            continue
        sl = inst.slots[k]
        for q in inst.by_teacher[sl.teacher]:
            sq = plan.start[q]
            if q != k and sq is not None and s < sq + inst.slots[q].dur and sq < s + sl.dur:
                return False
        i = plan.interp[k]
        if i is not None:
            for q, sq in enumerate(plan.start):
                if q != k and sq is not None and plan.interp[q] == i and \
                        s < sq + inst.slots[q].dur + inst.passing and sq < s + sl.dur + inst.passing:
                    return False
    return True


def _repair(inst: Instance, plan: Plan) -> Plan:
    """Last chance for unplaced meetings: earliest legal start anywhere."""
    board = Board(inst)
    board.load(plan)
    for k, s in enumerate(plan.start):
        if s is None:
            got = earliest_start(board, k, 0)
            if got is not None:
                board.place(k, got[0], got[1])
    return board.plan


def to_schedule(inst: Instance, plan: Plan, obj: int, bound: int, status: str,
                stats: dict[str, float]) -> Schedule:
    """Integer plan → `Schedule` with a reason for every unplaced meeting
    (explained against everyone else's final placement)."""
    board = Board(inst)
    board.load(plan)
    meetings = []
    unplaced = []
    names = [i.id for i in inst.problem.interpreters]
    for k, sl in enumerate(inst.slots):
        s = plan.start[k]
        if s is None:
            unplaced.append(Unplaced(sl.request.id, explain(inst, board, k)))
        else:
            i = plan.interp[k]
            meetings.append(Meeting(sl.request.id, inst.instant(s), inst.instant(s + sl.dur),
                                    None if i is None else names[i]))
    meetings.sort(key=lambda m: (m.start, m.request))
    return Schedule(tuple(meetings), tuple(unplaced), obj, bound, status, stats)


def solve(problem: Problem, *, time_limit: float = 60.0, seed: int = 0, num_workers: int | None = None,
          progress: Callable[[str], None] | None = None, effort: float | None = None) -> Schedule:
    """Place every requested meeting it can; see the module docstring.

    `effort` is the search budget in CP-SAT deterministic seconds (default
    EFFORT_SHARE × time_limit). The result is reproducible whenever the effort, not
    the wall-clock `time_limit`, is what ends the search.
    """
    t0 = time.monotonic()
    say = progress or (lambda _msg: None)
    workers = num_workers or default_workers()
    inst = compile_problem(problem)
    plan = greedy(inst)
    best = objective(inst, plan)
    greedy_obj = best
    bound = lower_bound(inst)
    say(f"greedy: {sum(s is not None for s in plan.start)}/{len(plan.start)} placed, objective {best}")
    status = "FEASIBLE"
    iterations = improved = 0
    wall_hit = False
    all_parties = [p for p, ks in enumerate(inst.by_party) if ks]
    if len(inst.slots) <= EXACT_LIMIT:
        budget = effort if effort is not None else max(0.5, time_limit * EFFORT_SHARE)
        res = solve_free(inst, plan, all_parties, seed=seed, workers=workers,
                         deterministic_time=budget, wall_time=time_limit * 0.9)
        wall_hit = time.monotonic() - t0 >= time_limit * 0.9
        iterations = 1
        bound = max(bound, int(-(-res.bound // 1)) if res.bound != float("inf") else bound)
        if res.plan is not None:
            cand = objective(inst, res.plan)
            if cand <= best:
                plan, best, improved = res.plan, cand, int(cand < greedy_obj)
            status = "OPTIMAL" if res.status == "OPTIMAL" else "FEASIBLE"
        say(f"exact model: {res.status}, objective {best}, bound {bound}")
    else:
        rng = random.Random(seed)
        det_budget = effort if effort is not None else time_limit * EFFORT_SHARE
        spent = 0.0
        deadline = t0 + time_limit * 0.9
        # One single-threaded CP-SAT per worker, each on its own group of
        # families; results are merged in a fixed order and a result that
        # clashes with an earlier one is dropped, so the outcome does not
        # depend on thread timing.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            while spent < det_budget:
                remaining = deadline - time.monotonic()
                if remaining <= 0.2:
                    wall_hit = True
                    break
                taken: set[int] = set()
                groups = []
                for j in range(workers):
                    g: list[int] = []
                    if (iterations + j) % 2 == 1:
                        g = _interpreter_neighbourhood(inst, plan, rng, NEIGHBOURHOOD, taken)
                    if not g:
                        g = _neighbourhood(inst, plan, rng, NEIGHBOURHOOD, taken)
                    taken.update(g)
                    groups.append(g)
                futures = [pool.submit(solve_free, inst, plan, g, seed=seed + iterations + j, workers=1,
                                       deterministic_time=STEP_DET_TIME, wall_time=min(remaining, 5.0))
                           for j, g in enumerate(groups)]
                results = [f.result() for f in futures]
                spent += max(r.deterministic_time for r in results) + ROUND_OVERHEAD
                iterations += 1
                for g, res in zip(groups, results):
                    if res.plan is None:
                        continue
                    changed = [k for p in g for k in inst.by_party[p]]
                    cand = plan.copy()
                    for k in changed:
                        cand.start[k], cand.interp[k] = res.plan.start[k], res.plan.interp[k]
                    if not _compatible(inst, cand, changed):
                        continue
                    val = objective(inst, cand)
                    if val <= best:
                        improved += int(val < best)
                        plan, best = cand, val
                if iterations % 20 == 0:
                    say(f"lns round {iterations}: objective {best} ({time.monotonic() - t0:.1f}s)")
        if best <= bound:
            status = "OPTIMAL"
    plan = _repair(inst, plan)
    best = objective(inst, plan)
    stats = {"greedy_objective": float(greedy_obj), "iterations": float(iterations),
             "improving_steps": float(improved), "wall_seconds": 0.0,
             "wall_limit_hit": float(wall_hit), "workers": float(workers)}
    sched = to_schedule(inst, plan, best, min(bound, best), status, stats)
    errors = verify(problem, sched)
    if errors:  # never hand out a broken schedule: fall back to the greedy
        say(f"internal: improved schedule failed verification ({errors[0]}); using greedy")
        plan = greedy(inst)
        best = objective(inst, plan)
        sched = to_schedule(inst, plan, best, min(bound, best), "FEASIBLE", stats)
        errors = verify(problem, sched)
        if errors:
            raise RuntimeError("schedule failed verification: " + "; ".join(errors[:5]))
    stats["wall_seconds"] = round(time.monotonic() - t0, 3)
    say(f"done: {len(sched.meetings)} placed, {len(sched.unplaced)} unplaced, objective {best}, "
        f"bound {sched.bound}, {stats['wall_seconds']}s")
    return sched
