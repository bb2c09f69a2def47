"""Mutable occupancy board used by the greedy, the baseline and the
explanations: who is busy when, with fast "is this start legal?" checks.

Busy minutes live in bytearrays so a legality test is one C-level `find`,
which keeps the greedy fast enough to run on the full benchmark in well under
a second per hundred families.
"""

from __future__ import annotations

from bisect import insort

from .cost import Plan
from .instance import Instance

NEW_BLOCK_COST = 30  # minutes-equivalent of opening an interpreter's block


class Board:
    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        h = inst.horizon + inst.passing + 1
        self.teacher = [bytearray(h) for _ in inst.teacher_free]
        # Interpreters: each booking also blocks the passing time after it, so
        # two bookings never sit closer than `passing` (they change rooms).
        self.interp = [bytearray(h) for _ in inst.interp_avail]
        self.party: list[list[tuple[int, int, str]]] = [[] for _ in inst.by_party]
        self.interp_sets = [{i: set(v) for i, v in s.interp_starts.items()} for s in inst.slots]
        self.start_sets = [set(s.starts) for s in inst.slots]
        # (interpreter, evening) → that interpreter's bookings, sorted; they
        # never overlap so first start / last end are the ends of the list.
        self.ibook: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self.plan = Plan([None] * len(inst.slots), [None] * len(inst.slots))

    def teacher_ok(self, k: int, s: int) -> bool:
        sl = self.inst.slots[k]
        return self.teacher[sl.teacher].find(1, s, s + sl.dur) < 0

    def party_ok(self, k: int, s: int) -> bool:
        sl = self.inst.slots[k]
        e = s + sl.dur
        for a, b, room in self.party[sl.party]:
            gap = 0 if room == sl.room else self.inst.passing
            if s < b + gap and a < e + gap:
                return False
        return True

    def pick_interpreter(self, k: int, s: int) -> int | None:
        """Free interpreter for slot k at s, preferring the one whose working
        block on that evening grows least (keeps interpreters contiguous)."""
        sl = self.inst.slots[k]
        best: tuple[int, int] | None = None
        ev = self.inst.evening_of(s)
        for i, allowed in self.interp_sets[k].items():
            if s not in allowed or self.interp[i].find(1, s, s + sl.dur + self.inst.passing) >= 0:
                continue
            book = self.ibook.get((i, ev))
            if book:
                lo, hi = book[0][0], book[-1][1]
                growth = (max(hi, s + sl.dur) - min(lo, s)) - (hi - lo)
            else:
                # Calling an interpreter in for a new block costs their time
                # plus a fixed inconvenience; extending a block by a long gap
                # is worse than that, so we do not stretch blocks blindly.
                growth = sl.dur + NEW_BLOCK_COST
            if best is None or (growth, i) < best:
                best = (growth, i)
        return None if best is None else best[1]

    def legal(self, k: int, s: int) -> tuple[bool, int | None]:
        """Can slot k start at s? Returns (ok, interpreter)."""
        if s not in self.start_sets[k] or not self.teacher_ok(k, s) or not self.party_ok(k, s):
            return False, None
        if self.inst.slots[k].language is None:
            return True, None
        i = self.pick_interpreter(k, s)
        return i is not None, i

    def place(self, k: int, s: int, i: int | None) -> None:
        sl = self.inst.slots[k]
        self.teacher[sl.teacher][s:s + sl.dur] = b"\x01" * sl.dur
        self.party[sl.party].append((s, s + sl.dur, sl.room))
        if i is not None:
            n = sl.dur + self.inst.passing
            self.interp[i][s:s + n] = b"\x01" * n
            insort(self.ibook.setdefault((i, self.inst.evening_of(s)), []), (s, s + sl.dur))
        self.plan.start[k] = s
        self.plan.interp[k] = i

    def remove(self, k: int) -> None:
        sl = self.inst.slots[k]
        s, i = self.plan.start[k], self.plan.interp[k]
        assert s is not None
        self.teacher[sl.teacher][s:s + sl.dur] = bytes(sl.dur)
        self.party[sl.party].remove((s, s + sl.dur, sl.room))
        if i is not None:
            n = sl.dur + self.inst.passing
            self.interp[i][s:s + n] = bytes(n)
            self.ibook[(i, self.inst.evening_of(s))].remove((s, s + sl.dur))
        self.plan.start[k] = None
        self.plan.interp[k] = None

    def load(self, plan: Plan) -> None:
        for k, s in enumerate(plan.start):
            if s is not None:
                self.place(k, s, plan.interp[k])
