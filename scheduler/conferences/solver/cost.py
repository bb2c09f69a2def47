"""The objective, in one place, so the greedy, the LNS acceptance test and
CP-SAT all optimise the same thing.

Lexicographic in spirit: an unplaced meeting costs more than any amount of
waiting could, so the solver never trades a meeting for a shorter evening.
After that, a family coming back a second time is much worse than waiting a
few minutes, and interpreter idle time comes last.
"""

from __future__ import annotations

from dataclasses import dataclass

from .instance import Instance

W_UNPLACED = 1_000_000
W_EXTRA_VISIT = 300
W_INTERPRETER_SPAN = 1


@dataclass
class Plan:
    """Integer solution: start minute and interpreter index per slot."""

    start: list[int | None]
    interp: list[int | None]

    def copy(self) -> "Plan":
        return Plan(list(self.start), list(self.interp))


def party_span(inst: Instance, plan: Plan, p: int) -> tuple[int, int]:
    """(span in minutes, extra visits) of one party: a new visit starts
    whenever a gap exceeds passing + slack; 0 extra visits = one trip."""
    placed = sorted((plan.start[k], plan.start[k] + inst.slots[k].dur)  # type: ignore[operator]
                    for k in inst.by_party[p] if plan.start[k] is not None)
    if not placed:
        return 0, 0
    link = inst.passing + inst.slack
    extra = sum(1 for a, b in zip(placed, placed[1:]) if b[0] - a[1] > link)
    return placed[-1][1] - placed[0][0], extra


def interpreter_spans(inst: Instance, plan: Plan) -> dict[tuple[int, int], tuple[int, int]]:
    """(interpreter, evening) → (first start, last end)."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for k, s in enumerate(plan.start):
        i = plan.interp[k]
        if s is None or i is None:
            continue
        key = (i, inst.evening_of(s))
        e = s + inst.slots[k].dur
        lo, hi = out.get(key, (s, e))
        out[key] = (min(lo, s), max(hi, e))
    return out


def objective(inst: Instance, plan: Plan) -> int:
    unplaced = sum(1 for s in plan.start if s is None)
    total = W_UNPLACED * unplaced
    for p in range(len(inst.by_party)):
        span, extra = party_span(inst, plan, p)
        total += span + W_EXTRA_VISIT * extra
    total += W_INTERPRETER_SPAN * sum(hi - lo for lo, hi in interpreter_spans(inst, plan).values())
    return total


def lower_bound(inst: Instance) -> int:
    """A bound every schedule respects: meetings with no possible start at
    all stay unplaced, each party needs at least its meetings back-to-back,
    each interpreted meeting needs its interpreter for its length, and an
    interpreter's consecutive meetings are at least `passing` apart, so
    N interpreted meetings spread over B (interpreter, evening) blocks leave
    at least N − B passing gaps inside blocks."""
    total = 0
    interpreted = 0
    for p, ks in enumerate(inst.by_party):
        possible = [k for k in ks if inst.slots[k].starts and (inst.slots[k].language is None or inst.slots[k].interp_starts)]
        total += W_UNPLACED * (len(ks) - len(possible))
        if possible:
            rooms = {inst.slots[k].room for k in possible}
            total += sum(inst.slots[k].dur for k in possible) + inst.passing * (min(len(rooms), len(possible)) - 1)
            total += W_INTERPRETER_SPAN * sum(inst.slots[k].dur for k in possible if inst.slots[k].language)
            interpreted += sum(1 for k in possible if inst.slots[k].language)
    blocks = len(inst.interp_avail) * len(inst.evenings)
    total += W_INTERPRETER_SPAN * inst.passing * max(0, interpreted - blocks)
    return total
