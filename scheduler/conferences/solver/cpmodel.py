"""CP-SAT model over a chosen set of *free* parties, everything else fixed.

With every party free this is the exact model (used for small schools, and
it yields the proven bound). With a few dozen parties free it is one step of
large-neighbourhood search: the rest of the schedule is frozen as fixed
intervals on teachers and interpreters, so the sub-model stays tiny however
large the school is.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from .cost import W_EXTRA_VISIT, W_INTERPRETER_SPAN, W_UNPLACED, Plan
from .instance import Instance


@dataclass
class SubResult:
    plan: Plan | None
    status: str
    objective: float
    bound: float
    deterministic_time: float


def solve_free(inst: Instance, plan: Plan, free_parties: list[int], *, seed: int, workers: int,
               deterministic_time: float, wall_time: float) -> SubResult:
    """Re-optimise the meetings of `free_parties` around the fixed rest of
    `plan`, hinted with `plan`. Returns a new plan only if CP-SAT found one."""
    m = cp_model.CpModel()
    free_slots = [k for p in free_parties for k in inst.by_party[p]]
    free_slot_set = set(free_slots)
    start: dict[int, cp_model.IntVar] = {}
    pres: dict[int, cp_model.IntVar] = {}
    xs: dict[tuple[int, int, int], cp_model.IntVar] = {}
    teacher_iv: dict[int, list[cp_model.IntervalVar]] = {}
    interp_iv: dict[int, list[cp_model.IntervalVar]] = {}
    touched: set[tuple[int, int]] = set()
    const = 0
    unplaced_terms: list[cp_model.IntVar] = []

    for k in free_slots:
        sl = inst.slots[k]
        if not sl.starts or (sl.language is not None and not sl.interp_starts):
            const += W_UNPLACED  # cannot be placed whatever the others do
            continue
        s = m.NewIntVarFromDomain(cp_model.Domain.FromValues(sl.starts), f"s{k}")
        p = m.NewBoolVar(f"p{k}")
        start[k], pres[k] = s, p
        unplaced_terms.append(p)
        teacher_iv.setdefault(sl.teacher, []).append(m.NewOptionalFixedSizeIntervalVar(s, sl.dur, p, f"t{k}"))
        if sl.language is not None:
            opts = []
            for i, allowed in sorted(sl.interp_starts.items()):
                by_ev: dict[int, list[int]] = {}
                for v in allowed:
                    by_ev.setdefault(inst.evening_of(v), []).append(v)
                for e, vals in sorted(by_ev.items()):
                    x = m.NewBoolVar(f"x{k}_{i}_{e}")
                    m.AddLinearExpressionInDomain(s, cp_model.Domain.FromValues(vals)).OnlyEnforceIf(x)
                    interp_iv.setdefault(i, []).append(
                        m.NewOptionalFixedSizeIntervalVar(s, sl.dur + inst.passing, x, f"i{k}_{i}_{e}"))
                    xs[(k, i, e)] = x
                    touched.add((i, e))
                    opts.append(x)
            m.Add(sum(opts) == p)
        if plan.start[k] is not None:
            m.AddHint(s, plan.start[k])
            m.AddHint(p, 1)
        else:
            m.AddHint(p, 0)

    # Fixed (frozen) meetings of everyone else, only where they matter.
    fixed_ie: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for k, s0 in enumerate(plan.start):
        if s0 is None or k in free_slot_set:
            continue
        sl = inst.slots[k]
        if sl.teacher in teacher_iv:
            teacher_iv[sl.teacher].append(m.NewFixedSizeIntervalVar(s0, sl.dur, f"ft{k}"))
        i = plan.interp[k]
        if i is not None:
            if i in interp_iv:
                interp_iv[i].append(m.NewFixedSizeIntervalVar(s0, sl.dur + inst.passing, f"fi{k}"))
            fixed_ie.setdefault((i, inst.evening_of(s0)), []).append((s0, s0 + sl.dur))
    for ivs in teacher_iv.values():
        m.AddNoOverlap(ivs)
    for ivs in interp_iv.values():
        m.AddNoOverlap(ivs)

    # Hints for interpreter choices.
    for (k, i, e), x in xs.items():
        s0 = plan.start[k]
        m.AddHint(x, 1 if (s0 is not None and plan.interp[k] == i and inst.evening_of(s0) == e) else 0)

    span_terms: list[cp_model.LinearExprT] = []
    visit_terms: list[cp_model.LinearExprT] = []
    for p in free_parties:
        ks = [k for k in inst.by_party[p] if k in start]
        if not ks:
            continue
        if len(ks) == 1:
            k = ks[0]
            span_terms.append(inst.slots[k].dur * pres[k])
            continue
        for a in range(len(ks)):
            for b in range(a + 1, len(ks)):
                ka, kb = ks[a], ks[b]
                gap = 0 if inst.slots[ka].room == inst.slots[kb].room else inst.passing
                o = m.NewBoolVar(f"o{ka}_{kb}")
                both = [pres[ka], pres[kb]]
                m.Add(start[ka] + inst.slots[ka].dur + gap <= start[kb]).OnlyEnforceIf([o, *both])
                m.Add(start[kb] + inst.slots[kb].dur + gap <= start[ka]).OnlyEnforceIf([o.Not(), *both])
                sa, sb = plan.start[ka], plan.start[kb]
                if sa is not None and sb is not None:
                    m.AddHint(o, 1 if sa < sb else 0)
        first = m.NewIntVar(0, inst.horizon, f"first{p}")
        last = m.NewIntVar(0, inst.horizon, f"last{p}")
        m.Add(last >= first)
        for k in ks:
            m.Add(first <= start[k]).OnlyEnforceIf(pres[k])
            m.Add(last >= start[k] + inst.slots[k].dur).OnlyEnforceIf(pres[k])
        span = last - first
        span_terms.append(span)
        # Exact visit count: a placed meeting starts a new visit unless
        # another meeting ends at most passing+slack before it. (Sorted
        # meetings never overlap, so the meeting right before it then ends
        # no earlier and that consecutive gap is short too.) The earliest
        # meeting always starts a visit; each further visit costs W_EXTRA_VISIT.
        link = inst.passing + inst.slack
        opens = []
        for mk in ks:
            sv = m.NewBoolVar(f"sv{mk}")
            m.AddImplication(sv, pres[mk])
            opens.append(sv)
            s_m = plan.start[mk]
            nears = []
            hint_open = s_m is not None
            for a in ks:
                if a == mk:
                    continue
                n = m.NewBoolVar(f"n{a}_{mk}")
                m.AddImplication(n, pres[a])
                end_a = start[a] + inst.slots[a].dur
                m.Add(end_a <= start[mk]).OnlyEnforceIf(n)
                m.Add(start[mk] <= end_a + link).OnlyEnforceIf(n)
                s_a = plan.start[a]
                near = (s_a is not None and s_m is not None
                        and 0 <= s_m - (s_a + inst.slots[a].dur) <= link)
                m.AddHint(n, 1 if near else 0)
                hint_open = hint_open and not near
                nears.append(n)
            m.AddBoolOr([sv, *nears, pres[mk].Not()])
            m.AddHint(sv, 1 if hint_open else 0)
        anyp = m.NewBoolVar(f"any{p}")
        m.AddMaxEquality(anyp, [pres[k] for k in ks])
        visit_terms.append(sum(opens) - anyp)
        placed = [plan.start[k] for k in ks if plan.start[k] is not None]
        if placed:
            lo = min(placed)  # type: ignore[type-var]
            hi = max(plan.start[k] + inst.slots[k].dur for k in ks if plan.start[k] is not None)  # type: ignore[operator]
            m.AddHint(first, lo)
            m.AddHint(last, hi)
        # Party constraints for slots with no possible start are moot.

    ispan_terms: list[cp_model.LinearExprT] = []
    for (i, e) in sorted(touched):
        lo_e, hi_e = inst.evenings[e]
        first = m.NewIntVar(lo_e, hi_e, f"if{i}_{e}")
        last = m.NewIntVar(lo_e, hi_e, f"il{i}_{e}")
        m.Add(last >= first)
        for a, b in fixed_ie.get((i, e), []):
            m.Add(first <= a)
            m.Add(last >= b)
        for (k, i2, e2), x in xs.items():
            if i2 == i and e2 == e:
                m.Add(first <= start[k]).OnlyEnforceIf(x)
                m.Add(last >= start[k] + inst.slots[k].dur).OnlyEnforceIf(x)
        ispan_terms.append(last - first)

    m.Minimize(const + W_UNPLACED * (len(unplaced_terms) - sum(unplaced_terms)) + sum(span_terms)
               + W_EXTRA_VISIT * sum(visit_terms) + W_INTERPRETER_SPAN * sum(ispan_terms))

    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = workers
    prm.random_seed = seed
    prm.max_deterministic_time = deterministic_time
    prm.max_time_in_seconds = wall_time
    # Interleaved search makes multi-worker search reproducible: with the
    # deterministic-time limit the same input and seed give the same answer.
    prm.interleave_search = workers > 1
    status = solver.Solve(m)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SubResult(None, name, float("inf"), solver.BestObjectiveBound(), solver.deterministic_time)
    new = plan.copy()
    for k in free_slots:
        new.start[k] = None
        new.interp[k] = None
        if k in start and solver.Value(pres[k]):
            new.start[k] = solver.Value(start[k])
    for (k, i, e), x in xs.items():
        if solver.Value(x):
            new.interp[k] = i
    return SubResult(new, name, solver.ObjectiveValue(), solver.BestObjectiveBound(), solver.deterministic_time)
