"""Why a meeting could not be placed, in words a secretary can act on.

Each check removes one more constraint's worth of freedom, so the first one
that leaves no start names the real obstacle ("Ms Lee is fully booked then",
"no Vietnamese interpreter is free") rather than a generic "infeasible".
"""

from __future__ import annotations

from datetime import datetime

from scheduler.core.languages import language_name

from .board import Board
from .instance import Instance, Ranges, intersect


def local_label(inst: Instance, m: int) -> datetime:
    return inst.instant(m).astimezone(inst.problem.window.zone)


def describe(inst: Instance, ranges: Ranges) -> str:
    """"Tue 17:00–18:00, Wed 16:00–17:30" in the school's local time."""
    if not ranges:
        return "no time within the conference evenings"
    parts = []
    for lo, hi in ranges:
        a, b = local_label(inst, lo), local_label(inst, hi)
        parts.append(f"{a:%a %H:%M}–{b:%H:%M}")
    return ", ".join(parts)


def explain(inst: Instance, board: Board, k: int) -> str:
    """Reason for unplaced slot `k`, given everyone else's final placement on
    `board` (k itself must not be on the board)."""
    sl = inst.slots[k]
    req = sl.request
    t, party = req.teacher, req.party
    avail = inst.party_avail[sl.party]
    when = describe(inst, avail)
    who = party.name
    if not avail:
        return f"{who} gave no availability within the conference evenings"
    if not sl.starts:
        together = intersect(avail, inst.teacher_free[sl.teacher])
        if not together:
            return f"{t.name} is not available (hours or breaks) while {who} is available ({when})"
        return (f"{t.name} and {who} share no {sl.dur}-minute stretch "
                f"(both free only {describe(inst, together)})")
    lang = language_name(sl.language) if sl.language else ""
    if sl.language is not None and not sl.interp_starts:
        if not any(sl.language in it.languages for it in inst.problem.interpreters):
            return f"no {lang} interpreter is on the interpreter list"
        return f"no {lang} interpreter is available during {who}'s availability ({when}) when {t.name} is"
    teacher_ok = [s for s in sl.starts if board.teacher_ok(k, s)]
    if not teacher_ok:
        return f"{t.name} has no free {sl.dur}-minute slot while {who} is available ({when})"
    party_ok = [s for s in teacher_ok if board.party_ok(k, s)]
    if not party_ok:
        return (f"{who}'s other meetings take every time {t.name} is still free "
                f"({describe(inst, [(s, s + sl.dur) for s in teacher_ok[:3]])}…)")
    if sl.language is not None:
        return (f"no {lang} interpreter is free during {who}'s availability ({when}) "
                f"at the times {t.name} is free")
    return (f"no start was found within the time limit although {t.name} is free at "
            f"{describe(inst, [(party_ok[0], party_ok[0] + sl.dur)])}; run again with a longer limit")
