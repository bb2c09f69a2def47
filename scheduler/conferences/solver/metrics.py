"""Figures an administrator (and the benchmark) judges a schedule by.

Computed from the problem and the output schedule only, so the solver and
the first-come-first-served baseline are measured by the same ruler.
"""

from __future__ import annotations

from datetime import timedelta
from statistics import median

from .model import Problem, Schedule, requests


def _minutes(d: timedelta) -> int:
    return int(d / timedelta(minutes=1))


def summary(problem: Problem, schedule: Schedule) -> dict[str, float]:
    """requested/placed counts, median party span, share of multi-meeting
    parties seen in a single visit, interpreter idle minutes (gaps inside
    each interpreter's working block per evening; "wait" is that idle time
    minus the passing time they need anyway)."""
    w = problem.window
    reqs = {r.id: r for r in requests(problem)}
    by_party: dict[str, list[tuple]] = {}
    wanted: dict[str, int] = {}
    for r in reqs.values():
        wanted[r.party.id] = wanted.get(r.party.id, 0) + 1
    by_interp: dict[tuple[str, int], list[tuple]] = {}
    for m in schedule.meetings:
        r = reqs[m.request]
        by_party.setdefault(r.party.id, []).append((m.start, m.end))
        if m.interpreter:
            ev = next((k for k, e in enumerate(w.evenings) if e.start <= m.start < e.end), -1)
            by_interp.setdefault((m.interpreter, ev), []).append((m.start, m.end))
    spans = []
    multi_spans = []
    multi = one_visit = 0
    limit = timedelta(minutes=w.passing_minutes + w.visit_slack_minutes)
    for pid, ms in by_party.items():
        ms.sort()
        spans.append(_minutes(max(e for _, e in ms) - ms[0][0]))
        if wanted[pid] >= 2:
            multi += 1
            multi_spans.append(spans[-1])
            visits = 1 + sum(1 for a, b in zip(ms, ms[1:]) if b[0] - a[1] > limit)
            if visits == 1 and len(ms) == wanted[pid]:
                one_visit += 1
    idle = 0
    passing = 0
    for ms in by_interp.values():
        ms.sort()
        idle += _minutes(max(e for _, e in ms) - ms[0][0]) - sum(_minutes(e - s) for s, e in ms)
        passing += w.passing_minutes * (len(ms) - 1)
    return {
        "requested": float(len(reqs)),
        "placed": float(len(schedule.meetings)),
        "median_family_span_minutes": float(median(spans)) if spans else 0.0,
        "median_multi_meeting_span_minutes": float(median(multi_spans)) if multi_spans else 0.0,
        "multi_meeting_families": float(multi),
        "one_visit_share": round(one_visit / multi, 4) if multi else 1.0,
        "interpreter_idle_minutes": float(idle),
        # idle beyond the passing time an interpreter needs between rooms
        "interpreter_wait_minutes": float(idle - passing),
    }
