"""Fast greedy placement: the always-available fallback and the CP-SAT hint.

Most-constrained event first (fixed starts, then fewest candidate starts),
each at its best-attended start where every need can be met right now,
taking the smallest resource that fits so large rooms stay free for large
events. Deterministic: every tie is broken by index.
"""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass

from .candidates import Candidates
from .model import Instance

Booking = tuple[int, int]


@dataclass(frozen=True)
class Placement:
    """One scheduled event in solver terms (indices into the instance lists)."""

    event: int
    pos: int  # index into Candidates.starts
    start: int
    room: int
    interps: tuple[tuple[str, int], ...]  # (language, interpreter index)
    care: int | None


class Calendar:
    """Bookings per resource as sorted interval lists (bisect overlap checks)."""

    def __init__(self) -> None:
        self.busy: dict[object, list[Booking]] = {}
        self.per_day: dict[tuple[int, int], int] = {}

    def free(self, key: object, s: int, e: int) -> bool:
        lst = self.busy.get(key)
        if not lst:
            return True
        i = bisect.bisect_left(lst, (e, -1))  # first booking starting at/after e
        return i == 0 or lst[i - 1][1] <= s

    def book(self, key: object, s: int, e: int) -> None:
        bisect.insort(self.busy.setdefault(key, []), (s, e))


def greedy(inst: Instance, cands: list[Candidates], only: list[int] | None = None,
           rng: random.Random | None = None, prep: dict[int, "_Prep"] | None = None) -> dict[int, Placement]:
    """Place events one by one; returns event index -> Placement.

    With `rng`, the order is perturbed (constrainedness times a random
    factor) and starts are sometimes taken earliest-first, for restarts.
    """
    events = inst.events
    todo = only if only is not None else list(range(len(events)))
    noise = {e: (rng.uniform(0.5, 2.0) if rng else 1.0) for e in todo}
    order = sorted(todo, key=lambda e: (events[e].fixed_start is None, len(cands[e].starts) * noise[e],
                                        -(int(cands[e].att.max()) if len(cands[e].att) else 0), e))
    by_time = rng is not None and rng.random() < 0.3
    cal = Calendar()
    out: dict[int, Placement] = {}
    prep = {} if prep is None else prep
    for e in order:
        p = place_one(inst, cands[e], cal, by_time, prep)
        if p is not None:
            out[e] = p
    return out


def best_greedy(inst: Instance, cands: list[Candidates], seed: int, restarts: int) -> dict[int, Placement]:
    """Plain greedy, then `restarts` randomised ones; the lexicographic best wins.

    A fixed restart count (not a time budget) keeps the result reproducible.
    """
    def key(pl: dict[int, Placement]) -> tuple[int, int]:
        return len(pl), sum(int(cands[e].att[p.pos]) for e, p in pl.items())

    prep: dict[int, _Prep] = {}  # orders and sorted resource lists, shared by every restart
    best = greedy(inst, cands, prep=prep)
    rng = random.Random(seed)
    for _ in range(restarts):
        cand = greedy(inst, cands, rng=rng, prep=prep)
        if key(cand) > key(best):
            best = cand
    return best


@dataclass(frozen=True)
class _Prep:
    """What place_one sorts for an event, computed once per greedy run."""

    by_att: list[int]
    rooms: list[tuple[int, list[bool]]]
    cares: list[tuple[int, list[bool]]]
    langs: list[tuple[str, list[tuple[int, list[bool]]]]]
    starts: list[int]
    day: list[int]


def _prepare(inst: Instance, c: Candidates) -> _Prep:
    ev = inst.events[c.event]
    att = c.att.tolist()
    st = c.starts.tolist()
    rooms = sorted(c.rooms, key=lambda rm: (inst.rooms[rm[0]].capacity, rm[0]))
    cares = sorted(c.cares, key=lambda cm: (inst.childcare[cm[0]].capacity, cm[0]))
    langs = sorted(ev.interpreter_languages, key=lambda lang: (len(c.interps[lang]), lang))
    return _Prep(sorted(range(len(st)), key=lambda k: (-att[k], st[k])),
                 [(r, m.tolist()) for r, m in rooms], [(k, m.tolist()) for k, m in cares],
                 [(lang, [(ii, m.tolist()) for ii, m in
                          sorted(c.interps[lang], key=lambda im: (len(inst.interpreters[im[0]].languages), im[0]))])
                  for lang in langs], st, c.day.tolist())


def place_one(inst: Instance, c: Candidates, cal: Calendar, by_time: bool = False,
              prep: dict[int, _Prep] | None = None) -> Placement | None:
    """Best-attended (or earliest) start at which the event fits among current bookings."""
    ev = inst.events[c.event]
    if len(c.starts) == 0:
        return None
    pr = prep.get(c.event) if prep is not None else None
    if pr is None:
        pr = _prepare(inst, c)
        if prep is not None:
            prep[c.event] = pr
    order = range(len(pr.starts)) if by_time else pr.by_att
    rooms, cares = pr.rooms, pr.cares
    for k in order:
        s = pr.starts[k]
        e = s + ev.duration
        day = pr.day[k]
        if any(not cal.free(("a", tag), s, e) for tag in ev.audience):
            continue
        room = next((r for r, m in rooms if m[k] and cal.free(("r", r), s, e)), None)
        if room is None:
            continue
        care = None
        if ev.childcare_children > 0:
            care = next((ci for ci, m in cares if m[k] and cal.free(("c", ci), s, e)), None)
            if care is None:
                continue
        used: list[tuple[str, int]] = []
        ok = True
        for lang, speakers in pr.langs:
            taken = {i for _, i in used}
            pick = None
            for ii, m in speakers:
                if not m[k] or ii in taken or not cal.free(("i", ii), s, e):
                    continue
                lim = inst.interpreters[ii].max_events_per_day
                if lim is not None and cal.per_day.get((ii, day), 0) >= lim:
                    continue
                pick = ii
                break
            if pick is None:
                ok = False
                break
            used.append((lang, pick))
        if not ok:
            continue
        for tag in ev.audience:
            cal.book(("a", tag), s, e)
        cal.book(("r", room), s, e)
        if care is not None:
            cal.book(("c", care), s, e)
        for _, ii in used:
            cal.book(("i", ii), s, e)
            cal.per_day[(ii, day)] = cal.per_day.get((ii, day), 0) + 1
        return Placement(c.event, k, s, room, tuple(sorted(used)), care)
    return None
