"""Why an event was left out, in words an administrator can act on.

The diagnosis walks the hard rules in the order a person would fix them:
time (fixed start, window, horizon), then each resource on its own (does one
exist? is one free for the whole duration inside the window?), then the
combination, and finally the conflicts with events that were scheduled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.core.languages import language_name

from . import rules
from .candidates import Candidates, Grid, avail_mask, time_mask
from .greedy import Calendar, Placement
from .model import Event, Instance
from .timeutil import fmt_local


@dataclass(frozen=True)
class EventDetail:
    """Extra facts for a scheduled event (kept out of the solution JSON,
    whose keys the format fixes).

    expected_turnout: interested families available for the whole event at
    the chosen start. runner_up_start/turnout: the best-attended *other*
    candidate start (one where a room, interpreters and childcare are each
    available; it may clash with other scheduled events) - what moving the
    event would gain or cost.
    """

    expected_turnout: int
    runner_up_start: str | None
    runner_up_turnout: int | None


def _window_days(ev: Event) -> str:
    return f"{ev.window_text[0][:10]}..{ev.window_text[1][:10]}"


def _room_need(ev: Event) -> str:
    tags = "+".join(sorted(ev.room_tags))
    return f"with tag{'s' if len(ev.room_tags) > 1 else ''} {tags} " if tags else ""


def _names(ids: list[str], limit: int = 4) -> str:
    """'event-4 and event-9' / 'a, b, c and 2 more' (natural id order)."""
    ids = sorted(set(ids), key=lambda s: (len(s), s))
    if len(ids) > limit:
        return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + f" and {ids[-1]}"


def explain(inst: Instance, grid: Grid, ev_index: int, cand: Candidates,
            placed: dict[int, Placement]) -> str:
    """One actionable sentence on why event `ev_index` is not scheduled."""
    ev = inst.events[ev_index]
    d = ev.duration
    if ev.fixed_start is not None:
        fs = ev.fixed_start_text
        if not rules.inside_window(ev, ev.fixed_start):
            return f"fixed start {fs} is outside the window {ev.window_text[0]}..{ev.window_text[1]} (with {d} minutes)"
        if not rules.inside_horizon(inst, ev, ev.fixed_start):
            return f"fixed start {fs} is outside the planning horizon {inst.horizon_dates[0]}..{inst.horizon_dates[1]}"
        if not rules.on_grid(inst, ev.fixed_start):
            return f"fixed start {fs} is not on the {inst.slot_minutes}-minute grid"
    tm = time_mask(inst, ev, grid)
    if not tm.any():
        if ev.window[1] - ev.window[0] < d:
            return f"the window {ev.window_text[0]}..{ev.window_text[1]} is shorter than the {d}-minute event"
        return (f"the window {_window_days(ev)} has no {inst.slot_minutes}-minute grid start inside the horizon "
                f"{inst.horizon_dates[0]}..{inst.horizon_dates[1]} that leaves room for {d} minutes")
    where = f"for {d} minutes at any time in the window {_window_days(ev)}"
    fit = [r for r in inst.rooms if rules.room_fits(ev, r)]
    if not fit:
        tagged = [r for r in inst.rooms if ev.room_tags <= r.tags]
        if not tagged:
            return f"no room has the tag{'s' if len(ev.room_tags) > 1 else ''} {'+'.join(sorted(ev.room_tags))}"
        big = max(r.capacity for r in tagged)
        return f"no room {_room_need(ev)}is large enough: need {ev.min_capacity}, largest {big}"
    room_ok = np.logical_or.reduce([avail_mask(grid.starts, r.available, d) for r in fit]) & tm
    if not room_ok.any():
        return f"no room {_room_need(ev)}with {ev.min_capacity}+ seats is available {where}"
    ok = room_ok
    for lang in ev.interpreter_languages:
        name = language_name(lang)
        speakers = [i for i in inst.interpreters if rules.interpreter_speaks(i, lang)]
        if not speakers:
            return f"no interpreter speaks {name}: add a {name} interpreter"
        m = np.logical_or.reduce([avail_mask(grid.starts, i.available, d) for i in speakers]) & tm
        if not m.any():
            return f"no {name} interpreter is available {where}"
        ok = ok & m
        if not ok.any():
            return f"no {name} interpreter is available {where} while a suitable room is free"
    if ev.childcare_children > 0:
        fitc = [c for c in inst.childcare if rules.childcare_fits(ev, c)]
        if not fitc:
            big = max((c.capacity for c in inst.childcare), default=0)
            return f"no childcare has {ev.childcare_children} places (largest {big})"
        m = np.logical_or.reduce([avail_mask(grid.starts, c.available, d) for c in fitc]) & tm
        if not m.any():
            return f"no childcare with {ev.childcare_children} places is available {where}"
        ok = ok & m
        if not ok.any():
            return f"childcare for {ev.childcare_children} is never available {where} together with a room and interpreters"
    if len(ev.interpreter_languages) > 1 and len(cand.starts) == 0:
        return f"no start {where} has a room and every needed interpreter free at the same time"
    if len(cand.starts) == 0:
        return f"no start {where} has a room, interpreters and childcare available together"
    return _conflicts(inst, ev, cand, placed)


def _conflicts(inst: Instance, ev: Event, cand: Candidates, placed: dict[int, Placement]) -> str:
    """Every individually feasible start is blocked by scheduled events: say by which."""
    d = ev.duration
    others = [(inst.events[e], p) for e, p in placed.items()]
    aud_block: set[str] = set()
    room_block: set[str] = set()
    lang_block: dict[str, set[str]] = {}
    care_block: set[str] = set()
    n_aud = 0
    n_starts = len(cand.starts)
    p_start = np.asarray([p.start for _, p in others], dtype=np.int64)
    p_end = np.asarray([p.start + o.duration for o, p in others], dtype=np.int64)
    for k in range(n_starts):
        s = int(cand.starts[k])
        hit = np.flatnonzero((p_start < s + d) & (s < p_end))  # rules.overlaps, vectorised
        ov = [others[j] for j in hit]
        a = [o.id for o, _ in ov if rules.share_audience(ev, o)]
        if a:
            n_aud += 1
            aud_block.update(a)
            continue
        busy_rooms = {p.room for _, p in ov}
        if all(r in busy_rooms for r, m in cand.rooms if m[k]):
            room_block.update(o.id for o, p in ov if any(p.room == r for r, _ in cand.rooms))
        for lang in ev.interpreter_languages:
            busy = {i for _, p in ov for _, i in p.interps}
            holders = {o.id for o, p in ov if p.interps}
            # (unpruned candidates, as the benchmark's plain model uses, may
            # have no speaker at all at k: nobody to name then)
            if holders and all(i in busy for i, m in cand.interps[lang] if m[k]):
                lang_block.setdefault(lang, set()).update(holders)
        if ev.childcare_children > 0:
            busy_c = {p.care for _, p in ov}
            if all(c in busy_c for c, m in cand.cares if m[k]):
                care_block.update(o.id for o, p in ov if p.care is not None)
    tags = "/".join(sorted(ev.audience))
    if n_aud == n_starts:
        return f"every feasible start conflicts with {tags} events {_names(list(aud_block))}"
    parts = []
    if aud_block:
        parts.append(f"{tags} events {_names(list(aud_block))}")
    if room_block:
        parts.append(f"every suitable room is taken by {_names(list(room_block))}")
    for lang, ids in sorted(lang_block.items()):
        parts.append(f"the {language_name(lang)} interpreters are booked for {_names(list(ids))}")
    if care_block:
        parts.append(f"childcare is booked for {_names(list(care_block))}")
    if not parts:
        parts.append("interpreter daily limits and resource combinations already used by scheduled events")
    return ("each of its " + str(n_starts) + " feasible starts clashes with scheduled events (" + "; ".join(parts)
            + "); scheduling it would unschedule another event or lower turnout — widen the window or add a resource")


def details_for(inst: Instance, cand: Candidates, p: Placement) -> EventDetail:
    """Expected turnout at the chosen start and the best other start's turnout."""
    turnout = int(cand.att[p.pos])
    best_k = None
    for k in range(len(cand.starts)):
        if k == p.pos:
            continue
        if best_k is None or cand.att[k] > cand.att[best_k]:
            best_k = k
    if best_k is None:
        return EventDetail(turnout, None, None)
    return EventDetail(turnout, fmt_local(int(cand.starts[best_k]), inst.tz), int(cand.att[best_k]))


__all__ = ["explain", "details_for", "EventDetail", "language_name", "Calendar"]
