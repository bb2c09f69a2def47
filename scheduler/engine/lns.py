"""Large-neighbourhood search for components too big for one CP-SAT model.

A district component (hundreds of events, ~45k start literals) makes CP-SAT
spend its whole budget in presolve without improving the greedy hint. So we
keep a current solution and repeatedly re-optimise a *time slab* of a few
days exactly with CP-SAT: the events placed in the slab plus unscheduled
events that could go there are freed, everything else is fixed, and the
fixed bookings are subtracted from the freed events' candidates (busy rooms,
interpreters and childcare, audience clashes, interpreter daily limits).
A sub-solve never returns worse than its hint, so the objective only rises.
Deterministic: slabs come from a seeded RNG and each sub-solve has a
deterministic-time limit.
"""
from __future__ import annotations

import os
import random
import sys
import time
from dataclasses import replace
from typing import Callable

import numpy as np

from .candidates import Candidates
from .cpsat import solve_component, value_of
from .greedy import Placement
from .model import Instance

_DEBUG = bool(os.environ.get("FB_LNS_LOG"))  # one line per LNS round on stderr (like FB_CPSAT_LOG)
SUB_LITERALS = 1200  # start literals of unscheduled events added per neighbourhood


def _blocked(starts: np.ndarray, d: int, bookings: list[tuple[int, int]]) -> np.ndarray:
    """Starts whose [s, s+d) overlaps any booking."""
    if not bookings:
        return np.zeros(len(starts), dtype=bool)
    b = np.asarray(bookings, dtype=np.int64)
    return ((starts[None, :] < b[:, 1:2]) & (starts[None, :] + d > b[:, 0:1])).any(axis=0)


def residual(inst: Instance, cands: list[Candidates], free: list[int], fixed: dict[int, Placement],
             ranges: dict[int, tuple[int, int]]) -> tuple[list[Candidates], dict[tuple[int, int], int]]:
    """Candidates of the freed events restricted to their day range and
    to what the fixed placements leave free; plus remaining daily limits."""
    busy: dict[object, list[tuple[int, int]]] = {}
    per_day: dict[tuple[int, int], int] = {}
    for e, p in fixed.items():
        ev = inst.events[e]
        iv = (p.start, p.start + ev.duration)
        busy.setdefault(("r", p.room), []).append(iv)
        if p.care is not None:
            busy.setdefault(("c", p.care), []).append(iv)
        for _, i in p.interps:
            busy.setdefault(("i", i), []).append(iv)
            day = int(cands[e].day[p.pos])
            per_day[(i, day)] = per_day.get((i, day), 0) + 1
        for tag in ev.audience:
            busy.setdefault(("a", tag), []).append(iv)
    out = list(cands)
    for e in free:
        c = cands[e]
        ev = inst.events[e]
        d = ev.duration
        day_lo, day_hi = ranges[e]
        keep = (c.day >= day_lo) & (c.day <= day_hi)
        for tag in ev.audience:
            keep &= ~_blocked(c.starts, d, busy.get(("a", tag), []))

        def sub(kind: str, lst: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
            res = []
            for k, m in lst:
                mm = m & keep & ~_blocked(c.starts, d, busy.get((kind, k), []))
                if kind == "i" and inst.interpreters[k].max_events_per_day is not None:
                    lim = inst.interpreters[k].max_events_per_day
                    full = [day for (i, day), n in per_day.items() if i == k and n >= lim]
                    if full:
                        mm &= ~np.isin(c.day, full)
                res.append((k, mm))
            return res

        rooms = sub("r", c.rooms)
        interps = {lang: sub("i", lst) for lang, lst in c.interps.items()}
        cares = sub("c", c.cares)
        ok = keep & np.logical_or.reduce([m for _, m in rooms] or [np.zeros(len(keep), bool)])
        for lst in interps.values():
            ok &= np.logical_or.reduce([m for _, m in lst] or [np.zeros(len(keep), bool)])
        if ev.childcare_children > 0:
            ok &= np.logical_or.reduce([m for _, m in cares] or [np.zeros(len(keep), bool)])
        idx = np.flatnonzero(ok)

        def cut(lst: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
            return [(k, m[idx]) for k, m in lst if m[idx].any()]

        out[e] = Candidates(e, c.starts[idx], c.day[idx], c.att[idx], cut(rooms),
                            {lang: cut(v) for lang, v in interps.items()}, cut(cares))
    limits = {}
    for key, n in per_day.items():
        lim = inst.interpreters[key[0]].max_events_per_day
        if lim is not None:
            limits[key] = lim - n
    return out, limits


def _keys(inst: Instance, c: Candidates) -> set[object]:
    """Everything an event could hold: rooms, interpreters, childcare, audience tags."""
    keys: set[object] = {("r", r) for r, _ in c.rooms} | {("c", k) for k, _ in c.cares}
    keys |= {("i", i) for lst in c.interps.values() for i, _ in lst}
    keys |= {("a", t) for t in inst.events[c.event].audience}
    return keys


def lns(inst: Instance, cands: list[Candidates], events: list[int], w: int, current: dict[int, Placement],
        wall_budget: float, dtime_budget: float, seed: int, workers: int | None,
        progress: Callable[[int, int], None] | None, bound: int,
        patience: int | None = None, count_cap: int | None = None) -> tuple[dict[int, Placement], float, int, bool]:
    """Improve `current` (placements of `events`) by slab re-optimisation.

    Returns (placements, deterministic time used, number of sub-solves,
    whether the wall clock rather than the deterministic budget stopped it).
    Stops as soon as the objective reaches `bound` (nothing left to gain) and,
    with `patience`, after that many rounds in a row without improvement
    (the caller then hands the rest of the time to a whole-model solve).
    Once `count_cap` events are placed (a proven maximum) only time slabs
    are searched: neighbourhoods built around unscheduled events cannot
    place them and would only waste rounds.
    """
    rng = random.Random(seed)
    t0 = time.monotonic()
    cur = {e: p for e, p in current.items() if e in set(events)}
    ev_set = set(events)
    n_days = 1 + max(int(cands[e].day.max()) for e in events)
    used = 0.0
    rounds = 0
    days = list(range(n_days))
    by_wall = False
    stale = 0
    if patience is not None:
        patience = max(patience, n_days)  # give every day's slab one chance
    while used < dtime_budget and value_of(cur, cands, w) < bound and (patience is None or stale < patience):
        if time.monotonic() - t0 >= wall_budget - 0.5:
            by_wall = True
            break
        if rounds % len(days) == 0:
            rng.shuffle(days)
        span = rng.choice([1, 2, 2, 3])
        waiting_all = [e for e in events if e not in cur]
        kind = rounds % 3 if count_cap is None or len(cur) < count_cap else 0
        ranges: dict[int, tuple[int, int]] = {}
        if kind == 2 and waiting_all:
            # conflict: one unscheduled event plus placed events that hold what it
            # needs on its days, free to move anywhere in their own windows (an
            # event blocked by a booking weeks away is out of reach of a slab)
            u = rng.choice(waiting_all)
            u_keys = _keys(inst, cands[u])
            u_days = set(int(v) for v in cands[u].day)
            rivals = [e for e, p in cur.items() if int(cands[e].day[p.pos]) in u_days
                      and _keys(inst, cands[e]) & u_keys]
            rng.shuffle(rivals)
            free = [u]
            ranges[u] = (int(cands[u].day.min()), int(cands[u].day.max()))
            size = len(cands[u].starts)
            for e in rivals:
                if size + len(cands[e].starts) > SUB_LITERALS:
                    continue
                free.append(e)
                ranges[e] = (int(cands[e].day.min()), int(cands[e].day.max()))
                size += len(cands[e].starts)
        else:
            if kind == 1 and waiting_all:
                # focused: a slab on a day where some unscheduled event could go
                u = rng.choice(waiting_all)
                d0 = int(rng.choice(sorted(set(int(v) for v in cands[u].day))))
                d0 = max(0, d0 - rng.randrange(span))
                first = [u]
            else:
                d0 = days[rounds % len(days)]
                first = []
            lo, hi = d0, min(n_days - 1, d0 + span - 1)
            placed_in = [e for e, p in cur.items() if lo <= int(cands[e].day[p.pos]) <= hi]
            for e in placed_in:  # placed events may move anywhere inside the slab
                ranges[e] = (lo, hi)
            waiting = [e for e in waiting_all if bool(((cands[e].day >= lo) & (cands[e].day <= hi)).any())]
            rng.shuffle(waiting)
            free = sorted(placed_in)

            def n_lits(e: int) -> int:
                a, b = ranges.get(e, (lo, hi))
                return int(((cands[e].day >= a) & (cands[e].day <= b)).sum())

            size = sum(n_lits(e) for e in free)
            for e in first + [e for e in waiting if e not in first]:
                extra = n_lits(e)
                if size + extra > SUB_LITERALS and e not in first:
                    continue
                free.append(e)
                ranges.setdefault(e, (lo, hi))
                size += extra
        free = sorted(set(free))
        rounds += 1
        if not free:
            continue
        fixed = {e: p for e, p in cur.items() if e not in set(free)}
        sub, limits = residual(inst, cands, free, fixed, ranges)
        live = [e for e in free if len(sub[e].starts)]
        hint = {}
        for e in live:
            if e in cur:
                k = int(np.searchsorted(sub[e].starts, cur[e].start))
                hint[e] = replace(cur[e], pos=k)
        wall_left = wall_budget - (time.monotonic() - t0)
        res = solve_component(inst, sub, live, w, hint, min(3.0, max(0.1, wall_left - 0.3)),
                              min(0.4, max(0.05, dtime_budget - used)), seed + rounds, workers, None,
                              limits=limits, light=True)
        used += res.dtime
        by_wall = by_wall or res.by_wall
        before = value_of(cur, cands, w)
        previous = dict(cur)
        for e in free:
            cur.pop(e, None)
        for e, p in res.placements.items():
            k = int(np.searchsorted(cands[e].starts, p.start))
            cur[e] = replace(p, pos=k)
        after = value_of(cur, cands, w)
        if after < before:  # cannot happen (a sub-solve never returns worse than its hint); stay safe
            cur, after = previous, before
        stale = 0 if after > before else stale + 1
        if progress and after > before:
            progress(after, bound)
        if _DEBUG:
            print(f"lns {rounds} kind={kind} free={len(free)} lits={size} wall={time.monotonic() - t0:.1f} "
                  f"dt={res.dtime:.2f} {res.status} {before}->{after} placed={len(cur)}", file=sys.stderr)
    del ev_set
    return cur, used, rounds, by_wall
