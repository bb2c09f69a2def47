"""Constructive schedules: the sibling-aware greedy (start point, hint and
fallback for CP-SAT) and the first-come-first-served baseline the benchmark
compares against.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import permutations

from .board import Board
from .cost import Plan
from .instance import Instance


def earliest_start(board: Board, k: int, lb: int) -> tuple[int, int | None] | None:
    """First legal (start, interpreter) for slot k at or after minute `lb`,
    or None. "Earliest" keeps the greedy predictable and leaves later
    slots for families who can only come late."""
    starts = board.inst.slots[k].starts
    for j in range(bisect_left(starts, lb), len(starts)):
        ok, i = board.legal(k, starts[j])
        if ok:
            return starts[j], i
    return None


def _chain(board: Board, order: tuple[int, ...], first: int, i0: int | None) -> list[tuple[int, int, int | None]]:
    """Place `order` back-to-back starting at `first` on a scratch basis;
    returns [(slot, start, interpreter)] without touching the board."""
    inst = board.inst
    out = [(order[0], first, i0)]
    board.place(order[0], first, i0)
    try:
        end, room = first + inst.slots[order[0]].dur, inst.slots[order[0]].room
        for k in order[1:]:
            gap = 0 if inst.slots[k].room == room else inst.passing
            got = earliest_start(board, k, end + gap)
            if got is None:
                continue
            s, i = got
            board.place(k, s, i)
            out.append((k, s, i))
            end, room = s + inst.slots[k].dur, inst.slots[k].room
    finally:
        for k, _, _ in out:
            board.remove(k)
    return out


def _score(inst: Instance, chain: list[tuple[int, int, int | None]], k: int) -> tuple[int, int, int]:
    ivs = sorted((s, s + inst.slots[q].dur) for q, s, _ in chain)
    extra = sum(1 for a, b in zip(ivs, ivs[1:]) if b[0] - a[1] > inst.passing + inst.slack)
    return (k - len(chain), extra, ivs[-1][1] - ivs[0][0])


def place_party(board: Board, p: int) -> None:
    """Best back-to-back placement of one party's meetings: every teacher
    order (up to 4 meetings), every first start, earliest wins among equals."""
    inst = board.inst
    ks = tuple(board.inst.by_party[p])
    if not ks:
        return
    orders = list(permutations(ks)) if len(ks) <= 4 else [ks]
    perfect_span = None
    best: tuple[tuple[int, int, int], list[tuple[int, int, int | None]]] | None = None
    firsts = sorted({s for k in ks for s in inst.slots[k].starts})
    for t in firsts:
        for order in orders:
            ok, i = board.legal(order[0], t)
            if not ok:
                continue
            chain = _chain(board, order, t, i)
            sc = _score(inst, chain, len(ks))
            if best is None or sc < best[0]:
                best = (sc, chain)
                if perfect_span is None:
                    rooms = {inst.slots[k].room for k in ks}
                    perfect_span = sum(inst.slots[k].dur for k in ks) + inst.passing * (len(rooms) - 1)
                if sc[0] == 0 and sc[2] <= perfect_span:
                    break
        if best is not None and best[0][0] == 0 and best[0][1] == 0 and perfect_span is not None \
                and best[0][2] <= perfect_span:
            break
    if best is not None:
        for k, s, i in best[1]:
            board.place(k, s, i)
    for k in ks:  # anything the chain could not take: earliest legal start anywhere
        if board.plan.start[k] is None:
            got = earliest_start(board, k, 0)
            if got is not None:
                board.place(k, got[0], got[1])


def party_order(inst: Instance) -> list[int]:
    """Most constrained first: interpreted parties, then narrow availability,
    then more meetings; index breaks ties so the order is deterministic."""
    def key(p: int) -> tuple[int, int, int, int]:
        ks = inst.by_party[p]
        interpreted = any(inst.slots[k].language for k in ks)
        room = sum(hi - lo for lo, hi in inst.party_avail[p])
        return (0 if interpreted else 1, room, -len(ks), p)
    return sorted(range(len(inst.by_party)), key=key)


def greedy(inst: Instance) -> Plan:
    board = Board(inst)
    for p in party_order(inst):
        place_party(board, p)
    return board.plan


def first_come_first_served(inst: Instance) -> Plan:
    """Baseline: families in arrival (input) order each take, meeting by
    meeting in teacher order, the earliest slot still free."""
    board = Board(inst)
    for p in range(len(inst.by_party)):
        for k in inst.by_party[p]:
            got = earliest_start(board, k, 0)
            if got is not None:
                board.place(k, got[0], got[1])
    return board.plan
