"""Independent checker: every rule, from the problem and schedule alone.

It deliberately shares no code with the solver (no integer instance, no
board) so a bug in the solver's bookkeeping cannot hide itself here. The
solver calls it before returning; tests call it on hand-made schedules.
"""

from __future__ import annotations

from datetime import timedelta

from .model import Meeting, Problem, Request, Schedule, Span, requests


def _within_one(span: Span, blocks: tuple[Span, ...]) -> bool:
    return any(b.contains(span) for b in blocks)


def verify(problem: Problem, schedule: Schedule) -> list[str]:
    """Return one message per broken rule (empty list ⇒ valid)."""
    errs: list[str] = []
    w = problem.window
    reqs: dict[str, Request] = {r.id: r for r in requests(problem)}
    interps = {i.id: i for i in problem.interpreters}
    seen: dict[str, Meeting] = {}
    for m in schedule.meetings:
        if m.request not in reqs:
            errs.append(f"{m.request}: no such meeting was requested")
            continue
        if m.request in seen:
            errs.append(f"{m.request}: placed twice")
            continue
        seen[m.request] = m
    for u in schedule.unplaced:
        if u.request not in reqs:
            errs.append(f"{u.request}: unplaced but never requested")
        elif u.request in seen:
            errs.append(f"{u.request}: both placed and unplaced")
        elif not u.reason.strip():
            errs.append(f"{u.request}: unplaced without a reason")
    accounted = set(seen) | {u.request for u in schedule.unplaced}
    for rid in reqs:
        if rid not in accounted:
            errs.append(f"{rid}: neither placed nor explained")

    for rid, m in seen.items():
        r = reqs[rid]
        span = Span(m.start, m.end)
        if span.minutes != r.minutes:
            errs.append(f"{rid}: lasts {span.minutes} min, needs {r.minutes}")
        if not _within_one(span, w.evenings):
            errs.append(f"{rid}: not inside one conference evening")
        if not _within_one(span, r.teacher.availability):
            errs.append(f"{rid}: outside {r.teacher.name}'s availability")
        for b in r.teacher.breaks:
            if b.overlaps(span):
                errs.append(f"{rid}: during {r.teacher.name}'s break")
        if not _within_one(span, r.party.availability):
            errs.append(f"{rid}: outside {r.party.name}'s availability")
        if r.interpreted:
            it = interps.get(m.interpreter or "")
            if it is None:
                errs.append(f"{rid}: needs a {r.party.language} interpreter, has none")
            else:
                if r.party.language not in it.languages:
                    errs.append(f"{rid}: interpreter {it.id} does not speak {r.party.language}")
                if not _within_one(span, it.availability):
                    errs.append(f"{rid}: outside interpreter {it.id}'s availability")
        elif m.interpreter is not None:
            errs.append(f"{rid}: interpreter booked for a meeting that needs none")

    def clash(kind: str, key: str, items: list[tuple[Meeting, str]], passing: int) -> None:
        items.sort(key=lambda x: (x[0].start, x[0].request))
        gap = timedelta(minutes=passing)
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                (ma, ra), (mb, rb) = items[a], items[b]
                if mb.start >= ma.end + gap:
                    break
                need = gap if ra != rb else timedelta(0)
                if mb.start >= ma.end + need:
                    continue
                if mb.start < ma.end:
                    errs.append(f"{kind} {key}: {ma.request} and {mb.request} overlap")
                else:
                    errs.append(f"{kind} {key}: no passing time between {ma.request} and {mb.request}")

    by_teacher: dict[str, list[tuple[Meeting, str]]] = {}
    by_party: dict[str, list[tuple[Meeting, str]]] = {}
    by_interp: dict[str, list[tuple[Meeting, str]]] = {}
    for rid, m in seen.items():
        r = reqs[rid]
        by_teacher.setdefault(r.teacher.id, []).append((m, r.teacher.room))
        by_party.setdefault(r.party.id, []).append((m, r.teacher.room))
        if m.interpreter:
            by_interp.setdefault(m.interpreter, []).append((m, r.teacher.room))
    for t, items in by_teacher.items():
        clash("teacher", t, items, 0)
    for p, items in by_party.items():
        clash("family", p, items, w.passing_minutes)
    for i, items in by_interp.items():
        clash("interpreter", i, items, w.passing_minutes)
    return errs
