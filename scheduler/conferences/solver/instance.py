"""Integer view of a `Problem`: minutes since the first evening began.

Both the greedy and CP-SAT want plain integers. Converting once, from
absolute instants, is what makes DST-crossing evenings come out right: a
local 01:00–03:30 on a spring-forward night is 90 real minutes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Problem, Request, Span, parties, requests

Ranges = list[tuple[int, int]]


def intersect(a: Ranges, b: Ranges) -> Ranges:
    """Intersection of two sorted lists of disjoint half-open ranges."""
    out: Ranges = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Ranges, b: Ranges) -> Ranges:
    """`a` minus `b` (both sorted, disjoint)."""
    out: Ranges = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi <= cur or blo >= hi:
                continue
            if blo > cur:
                out.append((cur, blo))
            cur = max(cur, bhi)
        if cur < hi:
            out.append((cur, hi))
    return out


def normalise(r: Ranges) -> Ranges:
    """Sort and merge touching/overlapping ranges."""
    out: Ranges = []
    for lo, hi in sorted(r):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


@dataclass
class Slot:
    """One request in integer form, with every start it may take."""

    index: int
    request: Request
    party: int
    teacher: int
    room: str
    dur: int
    language: str | None          # set only when an interpreter is needed
    starts: list[int]             # party ∩ teacher (minus breaks) ∩ evening, on the grid
    interp_starts: dict[int, list[int]]  # interpreter index → allowed subset of `starts`


@dataclass
class Instance:
    problem: Problem
    origin: datetime
    horizon: int
    evenings: Ranges
    grid: int
    passing: int
    slack: int
    party_ids: list[str]
    party_names: list[str]
    party_avail: list[Ranges]
    teacher_free: list[Ranges]
    interp_avail: list[Ranges]
    slots: list[Slot]
    by_party: list[list[int]]
    by_teacher: list[list[int]]

    def minute(self, t: datetime) -> int:
        return int((t - self.origin) / timedelta(minutes=1))

    def instant(self, m: int) -> datetime:
        return self.origin + timedelta(minutes=m)

    def evening_of(self, m: int) -> int:
        for k, (lo, hi) in enumerate(self.evenings):
            if lo <= m < hi:
                return k
        return -1


def _grid_starts(ranges: Ranges, dur: int, grid: int) -> list[int]:
    out: list[int] = []
    for lo, hi in ranges:
        s = -(-lo // grid) * grid
        while s + dur <= hi:
            out.append(s)
            s += grid
    return out


def _fits(s: int, dur: int, ranges: Ranges) -> bool:
    return any(lo <= s and s + dur <= hi for lo, hi in ranges)


def compile_problem(problem: Problem) -> Instance:
    """Build the integer instance (deterministic: input order is kept)."""
    w = problem.window
    origin = min(e.start for e in w.evenings)

    def rng(spans: tuple[Span, ...]) -> Ranges:
        return normalise([(int((s.start - origin) / timedelta(minutes=1)),
                           int((s.end - origin) / timedelta(minutes=1))) for s in spans])

    evenings = rng(w.evenings)
    horizon = max(hi for _, hi in evenings)
    ps = parties(problem)
    pidx = {p.id: i for i, p in enumerate(ps)}
    tidx = {t.id: i for i, t in enumerate(problem.teachers)}
    party_avail = [intersect(rng(p.availability), evenings) for p in ps]
    teacher_free = [subtract(intersect(rng(t.availability), evenings), rng(t.breaks)) for t in problem.teachers]
    interp_avail = [intersect(rng(i.availability), evenings) for i in problem.interpreters]
    slots: list[Slot] = []
    by_party: list[list[int]] = [[] for _ in ps]
    by_teacher: list[list[int]] = [[] for _ in problem.teachers]
    for k, req in enumerate(requests(problem)):
        p, t = pidx[req.party.id], tidx[req.teacher.id]
        # A meeting must sit inside one evening, one party block and one free
        # teacher block; intersecting the three range lists gives exactly that.
        ok = intersect(intersect(party_avail[p], teacher_free[t]), evenings)
        starts = _grid_starts(ok, req.minutes, w.grid_minutes)
        interp: dict[int, list[int]] = {}
        if req.interpreted:
            for i, it in enumerate(problem.interpreters):
                if req.party.language in it.languages:
                    allowed = [s for s in starts if _fits(s, req.minutes, interp_avail[i])]
                    if allowed:
                        interp[i] = allowed
        slots.append(Slot(k, req, p, t, req.teacher.room, req.minutes,
                          req.party.language if req.interpreted else None, starts, interp))
        by_party[p].append(k)
        by_teacher[t].append(k)
    return Instance(problem, origin, horizon, evenings, w.grid_minutes, w.passing_minutes,
                    w.visit_slack_minutes, [p.id for p in ps], [p.name for p in ps], party_avail,
                    teacher_free, interp_avail, slots, by_party, by_teacher)
