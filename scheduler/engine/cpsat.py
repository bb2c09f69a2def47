"""CP-SAT model of engine-format v1 and its decomposition into components.

Model (per component): one boolean per (event, candidate start), a presence
literal per event, an integer start channelled from the start booleans, and
optional fixed-size intervals per chosen room / interpreter / childcare and
per audience tag, each resource under NoOverlap. Availability of a resource
at a start is a clause `use(resource) + start_k <= 1` for the starts the
resource cannot cover. Interpreter daily limits count "uses on day D" with
one auxiliary boolean per (event, interpreter, day) only where the limit
can actually bind.

Lexicographic objective in one solve: scheduled * W + attendance, where W
exceeds any possible attendance total, so one more event always wins.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
from ortools.sat.python import cp_model

from .candidates import Candidates
from .greedy import Placement
from .model import Instance

ProgressFn = Callable[[int, int], None]
BIG_MODEL = 8000  # start literals above which expensive presolve steps are switched off


@dataclass
class ComponentResult:
    placements: dict[int, Placement]
    value: int  # weighted objective of placements
    bound: int  # proven upper bound on the weighted objective
    status: str
    dtime: float
    by_wall: bool = False  # stopped by the wall clock (answer may vary between runs)


def weight(cands: list[Candidates]) -> int:
    """W: larger than any attainable attendance total (sum of per-event maxima)."""
    return 1 + sum(int(c.att.max()) if len(c.att) else 0 for c in cands)


def value_of(placements: dict[int, Placement], cands: list[Candidates], w: int) -> int:
    return sum(w + int(cands[e].att[p.pos]) for e, p in placements.items())


def trivial_bound(events: list[int], cands: list[Candidates], w: int) -> int:
    return sum(w + int(cands[e].att.max()) for e in events if len(cands[e].starts))


def components(inst: Instance, cands: list[Candidates]) -> list[list[int]]:
    """Connected components of the "may interact" graph over schedulable events.

    Two events interact only if they could use the same room, interpreter,
    childcare or audience tag on a common local day (days, not minutes,
    because interpreter limits count per day). Each component is solved on
    its own; the optimum of the whole is the sum of the components' optima.
    """
    live = [c.event for c in cands if len(c.starts)]
    parent = {e: e for e in live}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    by_key: dict[object, list[tuple[int, int, int]]] = {}
    for e in live:
        c = cands[e]
        lo, hi = int(c.day.min()), int(c.day.max())
        keys: list[object] = [("r", r) for r, _ in c.rooms] + [("c", k) for k, _ in c.cares]
        keys += [("i", i) for lst in c.interps.values() for i, _ in lst]
        keys += [("a", t) for t in inst.events[e].audience]
        for k in set(keys):
            by_key.setdefault(k, []).append((lo, hi, e))
    for k in sorted(by_key, key=repr):
        spans = sorted(by_key[k])
        rep, cur_hi = spans[0][2], spans[0][1]
        for lo, hi, e in spans[1:]:
            if lo <= cur_hi:
                parent[find(e)] = find(rep)
                cur_hi = max(cur_hi, hi)
            else:
                rep, cur_hi = e, hi
    groups: dict[int, list[int]] = {}
    for e in live:
        groups.setdefault(find(e), []).append(e)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, fn: Callable[[int, int], None]):
        super().__init__()
        self.fn = fn

    def on_solution_callback(self) -> None:
        self.fn(int(round(self.ObjectiveValue())), int(self.BestObjectiveBound()))


def solve_component(inst: Instance, cands: list[Candidates], events: list[int], w: int,
                    hint: dict[int, Placement], time_limit: float, dtime_limit: float, seed: int,
                    workers: int | None = None, progress: ProgressFn | None = None,
                    use_hint: bool = True, limits: dict[tuple[int, int], int] | None = None,
                    redundant: bool = True, light: bool = False, count_only: bool = False,
                    min_scheduled: int | None = None, drop: frozenset[str] = frozenset()) -> ComponentResult:
    """Build and solve the CP-SAT model for `events`; never worse than the hint.

    `limits` overrides an interpreter's daily limit per (interpreter, day
    index) — the large-neighbourhood search passes what events outside the
    neighbourhood leave over.
    """
    m = cp_model.CpModel()
    x: dict[int, list] = {}
    pres: dict[int, object] = {}
    start: dict[int, object] = {}
    room_iv: dict[int, list] = {}
    int_iv: dict[int, list] = {}
    care_iv: dict[int, list] = {}
    aud_iv: dict[str, list] = {}
    y: dict[tuple[int, int], object] = {}
    z: dict[tuple[int, str, int], object] = {}
    u: dict[tuple[int, int], object] = {}
    u_new: dict[tuple[int, int], object] = {}  # only the auxiliary "uses" literals
    cc: dict[tuple[int, int], object] = {}
    day_uses: dict[tuple[int, int], list[tuple[int, object]]] = {}
    obj = []
    for e in events:
        c = cands[e]
        ev = inst.events[e]
        d = ev.duration
        n = len(c.starts)
        xs = [m.NewBoolVar(f"x{e}_{k}") for k in range(n)]
        x[e] = xs
        p = m.NewBoolVar(f"p{e}")
        pres[e] = p
        m.Add(sum(xs) == p)
        s0 = int(c.starts[0])
        st = m.NewIntVarFromDomain(cp_model.Domain.FromValues([int(v) for v in c.starts]), f"s{e}")
        start[e] = st
        m.Add(st == s0 + sum(int(c.starts[k] - s0) * xs[k] for k in range(1, n)))
        obj.append(w * p)
        obj.extend(int(c.att[k]) * xs[k] for k in range(n) if c.att[k])
        for tag in sorted(ev.audience) if "audience" not in drop else ():
            aud_iv.setdefault(tag, []).append(m.NewOptionalFixedSizeIntervalVar(st, d, p, f"a{e}{tag}"))

        def avail(lit: object, mask) -> None:
            # With sum(xs) == p <= 1 both forms say "lit only at a start the
            # resource covers"; post the one with fewer terms.
            good = [xs[k] for k in range(n) if mask[k]]
            if len(good) == n:
                return
            if len(good) <= n - len(good):
                m.Add(lit <= sum(good))
            else:
                m.Add(lit + sum(xs[k] for k in range(n) if not mask[k]) <= 1)

        ys = []
        for r, mask in c.rooms if "rooms" not in drop else ():
            v = m.NewBoolVar(f"y{e}_{r}")
            y[(e, r)] = v
            ys.append(v)
            avail(v, mask)
            room_iv.setdefault(r, []).append(m.NewOptionalFixedSizeIntervalVar(st, d, v, f"ri{e}_{r}"))
        if ys:
            m.Add(sum(ys) == p)
        per_int: dict[int, list] = {}
        masks: dict[int, object] = {}
        for lang in ev.interpreter_languages:
            zs = []
            for i, mask in c.interps[lang]:
                v = m.NewBoolVar(f"z{e}_{lang}_{i}")
                z[(e, lang, i)] = v
                zs.append(v)
                per_int.setdefault(i, []).append(v)
                masks[i] = mask
            m.Add(sum(zs) == p)
        for i, vs in sorted(per_int.items()):
            if len(vs) == 1:
                ui = vs[0]
            else:
                ui = m.NewBoolVar(f"u{e}_{i}")
                m.Add(sum(vs) == ui)
                u_new[(e, i)] = ui
            u[(e, i)] = ui
            avail(ui, masks[i])
            int_iv.setdefault(i, []).append(m.NewOptionalFixedSizeIntervalVar(st, d, ui, f"ii{e}_{i}"))
            if inst.interpreters[i].max_events_per_day is not None:
                for day in sorted(set(int(v) for v in c.day)):
                    day_uses.setdefault((i, day), []).append((e, ui))
        if ev.childcare_children > 0 and "care" not in drop:
            cs = []
            for k_, mask in c.cares:
                v = m.NewBoolVar(f"c{e}_{k_}")
                cc[(e, k_)] = v
                cs.append(v)
                avail(v, mask)
                care_iv.setdefault(k_, []).append(m.NewOptionalFixedSizeIntervalVar(st, d, v, f"ci{e}_{k_}"))
            m.Add(sum(cs) == p)
    for group in (room_iv, int_iv, care_iv, aud_iv):
        for key in sorted(group, key=str):
            if len(group[key]) > 1:
                m.AddNoOverlap(group[key])
    wvars: dict[tuple[int, int, int], object] = {}
    for (i, day), uses in sorted(day_uses.items()):
        lim = inst.interpreters[i].max_events_per_day
        if limits is not None and (i, day) in limits:
            lim = limits[(i, day)]
        if lim is None or len(uses) <= lim:
            continue
        terms = []
        for e, ui in uses:
            c = cands[e]
            on_day = [x[e][k] for k in range(len(c.starts)) if int(c.day[k]) == day]
            if len(on_day) == len(c.starts):
                terms.append(ui)
                continue
            wv = m.NewBoolVar(f"w{e}_{i}_{day}")
            m.Add(wv >= ui + sum(on_day) - 1)
            wvars[(e, i, day)] = wv
            terms.append(wv)
        m.Add(sum(terms) <= lim)
    if redundant:
        _redundant(m, inst, cands, events, x, limits, drop)
    if min_scheduled is not None:
        m.Add(sum(pres.values()) >= min_scheduled)
    if count_only:
        m.Maximize(sum(pres.values()))
    else:
        m.Maximize(sum(obj))

    hint_value = value_of({e: hint[e] for e in events if e in hint}, cands, w)
    if count_only:
        hint_value = sum(1 for e in events if e in hint)
    if use_hint:
        _add_hint(m, inst, cands, events, hint, x, pres, start, y, z, u_new, cc, wvars)

    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.random_seed = seed
    prm.num_workers = workers or os.cpu_count() or 1
    prm.interleave_search = True  # deterministic whatever the worker count
    n_x = sum(len(v) for v in x.values())
    if n_x > BIG_MODEL or light:
        # Probing and symmetry detection cost minutes of wall time on
        # 100k-literal models (seconds on LNS sub-models) while their
        # deterministic-time accounting stays tiny; the search itself (from
        # the hint) pays off far more.
        prm.cp_model_probing_level = 0
        prm.symmetry_level = 0
    prm.max_time_in_seconds = max(0.05, time_limit)
    prm.max_deterministic_time = max(0.05, dtime_limit)
    prm.log_search_progress = bool(os.environ.get("FB_CPSAT_LOG"))
    status = solver.Solve(m, _Progress(progress) if progress else None)
    dtime = solver.response_proto.deterministic_time
    by_wall = status != cp_model.OPTIMAL and solver.WallTime() >= prm.max_time_in_seconds * 0.98 \
        and dtime < prm.max_deterministic_time * 0.98
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        val = int(round(solver.ObjectiveValue()))
        bound = int(solver.BestObjectiveBound()) if status == cp_model.FEASIBLE else val
        if val >= hint_value:
            out: dict[int, Placement] = {}
            for e in events:
                if not solver.Value(pres[e]):
                    continue
                c = cands[e]
                k = next(k for k, v in enumerate(x[e]) if solver.Value(v))
                room = next(r for r, _ in c.rooms if solver.Value(y[(e, r)]))
                ints = tuple(sorted((lang, next(i for i, _ in c.interps[lang] if solver.Value(z[(e, lang, i)])))
                                    for lang in inst.events[e].interpreter_languages))
                care = (next(k_ for k_, _ in c.cares if solver.Value(cc[(e, k_)]))
                        if inst.events[e].childcare_children > 0 else None)
                out[e] = Placement(e, k, int(c.starts[k]), room, ints, care)
            return ComponentResult(out, val, max(bound, val),
                                   "optimal" if status == cp_model.OPTIMAL else "feasible", dtime, by_wall)
        return ComponentResult({e: hint[e] for e in events if e in hint}, hint_value, max(bound, hint_value),
                               "hint", dtime, by_wall)
    bound = trivial_bound(events, cands, w) if not count_only else sum(1 for e in events if len(cands[e].starts))
    if status == cp_model.UNKNOWN:
        b = solver.BestObjectiveBound()
        # a bound below a known solution is no bound; and a search stopped in
        # presolve reports 0, which is no bound either (the benchmark's plain
        # model, without a hint, claimed "at most 0 events" that way)
        if hint_value <= b < bound and b > 0:
            bound = int(b)
    return ComponentResult({e: hint[e] for e in events if e in hint}, hint_value, max(bound, hint_value),
                           "greedy", dtime, by_wall)


def _add_hint(m: cp_model.CpModel, inst: Instance, cands: list[Candidates], events: list[int],
              hint: dict[int, Placement], x, pres, start, y, z, u_new, cc, wvars) -> None:
    """Hint every variable (a complete hint is cheapest for CP-SAT to repair)."""
    for e in events:
        c = cands[e]
        p = hint.get(e)
        for k, v in enumerate(x[e]):
            m.AddHint(v, p is not None and k == p.pos)
        m.AddHint(pres[e], p is not None)
        m.AddHint(start[e], p.start if p else int(c.starts[0]))
        for r, _ in c.rooms:
            m.AddHint(y[(e, r)], p is not None and p.room == r)
        chosen = dict(p.interps) if p else {}
        for lang in inst.events[e].interpreter_languages:
            for i, _ in c.interps[lang]:
                m.AddHint(z[(e, lang, i)], chosen.get(lang) == i)
        used = set(chosen.values())
        for i in sorted({i for lst in c.interps.values() for i, _ in lst}):
            if (e, i) in u_new:
                m.AddHint(u_new[(e, i)], i in used)
        for k_, _ in c.cares:
            m.AddHint(cc[(e, k_)], p is not None and p.care == k_)
    for (e, i, day), var in wvars.items():
        p = hint.get(e)
        m.AddHint(var, p is not None and i in dict(p.interps).values() and int(cands[e].day[p.pos]) == day)


Row = list[tuple[int, int, int]]  # (event, first start index, end start index): sum of those x <= cap


def _redundant(m: cp_model.CpModel, inst: Instance, cands: list[Candidates], events: list[int],
               x: dict[int, list], limits: dict[tuple[int, int], int] | None,
               drop: frozenset[str] = frozenset()) -> None:
    """Post the Hall rows (`hall_rows`) on the start literals."""
    for row, cap in hall_rows(inst, cands, events, limits, drop):
        m.Add(cp_model.LinearExpr.sum([v for e, a, b in row for v in x[e][a:b]]) <= cap)


def hall_rows(inst: Instance, cands: list[Candidates], events: list[int],
              limits: dict[tuple[int, int], int] | None = None,
              drop: frozenset[str] = frozenset()) -> Iterator[tuple[Row, int]]:
    """Time-indexed Hall constraints: implied, but they give CP-SAT a strong LP.

    At any instant t, the events running at t that all draw from one pool of
    resources (an audience tag: pool of one; a language: its interpreters;
    a set of rooms or childcare that includes every fitting one) number at
    most the pool members that could be in use at t. Checking only at
    candidate start instants suffices: intervals that pairwise overlap share
    the latest of their starts. Same per local day for interpreter limits.
    """
    groups: list[tuple[list[int], dict[int, np.ndarray] | None]] = []
    by_tag: dict[str, list[int]] = {}
    by_lang: dict[str, list[int]] = {}
    for e in events:
        for tag in inst.events[e].audience if "audience" not in drop else ():
            by_tag.setdefault(tag, []).append(e)
        for lang in inst.events[e].interpreter_languages:
            by_lang.setdefault(lang, []).append(e)
    for tag in sorted(by_tag):
        if len(by_tag[tag]) > 1:
            groups.append((by_tag[tag], None))

    def pool_uses(members: list[tuple[int, list[tuple[int, object]]]]) -> dict[int, np.ndarray]:
        """resource -> (n, 2) array of intervals in which it could be in use."""
        parts: dict[int, list[np.ndarray]] = {}
        for e, lst in members:
            c = cands[e]
            d = inst.events[e].duration
            for r, mask in lst:
                st = c.starts[mask]
                parts.setdefault(r, []).append(np.stack([st, st + d], axis=1))
        return {r: np.concatenate(v) for r, v in parts.items()}

    for lang in sorted(by_lang):
        es = by_lang[lang]
        if len(es) > 1:
            groups.append((es, pool_uses([(e, cands[e].interps[lang]) for e in es])))
    for kind in [k for k in ("rooms", "cares") if {"rooms": "rooms", "cares": "care"}[k] not in drop]:
        sets: dict[frozenset[int], None] = {}
        for e in events:
            lst = getattr(cands[e], kind)
            if lst:
                sets.setdefault(frozenset(r for r, _ in lst), None)
        for fs in sets:
            es = [e for e in events if getattr(cands[e], kind) and {r for r, _ in getattr(cands[e], kind)} <= fs]
            if len(es) > len(fs):
                groups.append((es, pool_uses([(e, [(r, mk) for r, mk in getattr(cands[e], kind)]) for e in es])))
    for es, uses in groups:
        points = np.unique(np.concatenate([cands[e].starts for e in es]))
        if uses is None:
            cap = np.ones(len(points), dtype=np.int64)
        else:
            cap = np.zeros(len(points), dtype=np.int64)
            for r, iv in uses.items():
                lo = np.searchsorted(points, iv[:, 0], "left")
                hi = np.searchsorted(points, iv[:, 1], "left")
                diff = np.zeros(len(points) + 1, dtype=np.int64)
                np.add.at(diff, lo, 1)
                np.add.at(diff, hi, -1)
                cap += np.cumsum(diff[:-1]) > 0
        # x-index range [A, B) of each event's starts running at each point,
        # for all points at once (one searchsorted per event, not per point)
        lo_ix = np.stack([np.searchsorted(cands[e].starts, points - inst.events[e].duration + 1, "left")
                          for e in es])
        hi_ix = np.stack([np.searchsorted(cands[e].starts, points, "right") for e in es])
        n_ev = (hi_ix > lo_ix).sum(axis=0)
        prev = None
        for j in np.flatnonzero(n_ev > cap):
            key = (lo_ix[:, j].tobytes(), hi_ix[:, j].tobytes(), int(cap[j]))
            if key == prev:  # same starts as the previous point: same constraint
                continue
            prev = key
            yield [(e, int(lo_ix[r, j]), int(hi_ix[r, j])) for r, e in enumerate(es)
                   if hi_ix[r, j] > lo_ix[r, j]], int(cap[j])
    # interpreter daily limits per language pool: only the speakers who can
    # cover one of that day's candidate starts count toward the day's total.
    # Pools are single languages and pairs of languages with a common
    # speaker: an event needing both languages of a pair takes two
    # interpreters out of the pair's daily total (its slice appears twice).
    speakers_of = {lang: {i for e in es for i, _ in cands[e].interps[lang]} for lang, es in by_lang.items()}
    langs = sorted(by_lang)
    pools = [(lang,) for lang in langs]
    pools += [(a, b) for n, a in enumerate(langs) for b in langs[n + 1:] if speakers_of[a] & speakers_of[b]]
    for pool in pools:
        days: dict[int, list] = {}
        speakers: dict[int, set[int]] = {}
        for e in sorted({e for lang in pool for e in by_lang[lang]}):
            dd = cands[e].day  # non-decreasing: a day's starts are one slice
            for dday in np.unique(dd):
                a, b = int(np.searchsorted(dd, dday, "left")), int(np.searchsorted(dd, dday, "right"))
                for lang in pool:
                    if lang in inst.events[e].interpreter_languages:
                        days.setdefault(int(dday), []).append((e, a, b))
                        speakers.setdefault(int(dday), set()).update(
                            i for i, mk in cands[e].interps[lang] if mk[a:b].any())
        for dday, eks in sorted(days.items()):
            total: int | None = 0
            for i in sorted(speakers[dday]):
                lim = inst.interpreters[i].max_events_per_day
                if limits is not None and (i, dday) in limits:
                    lim = limits[(i, dday)]
                if lim is None:
                    total = None
                    break
                total += lim
            if total is not None and len(eks) > total:
                yield eks, total
