"""Independent checker: does a solution dict obey engine-format v1 for an instance?

Written from the format text, sharing only the parsed model and the rule
functions with the solver (never its candidate tables or attendance arrays),
so a bug in the solver's precomputation cannot hide itself here.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from . import rules
from .model import Instance
from .parse import parse_instance
from .timeutil import exists, local_date, parse_local, to_abs

_SOL_KEYS = {"version", "assignments", "unscheduled", "objective"}
_ASG_KEYS = {"event", "start", "room", "interpreters", "childcare"}
_UNS_KEYS = {"event", "reason"}
_OBJ_REQ = {"scheduled", "attendance"}
_OBJ_OPT = {"bound"}


def _keys(errs: list[str], d: Any, path: str, req: set[str], opt: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    if not isinstance(d, dict):
        errs.append(f"{path}: must be an object")
        return False
    for k in d:
        if k not in req and k not in opt:
            errs.append(f"{path}.{k}: unknown key")
    missing = [k for k in sorted(req) if k not in d]
    for k in missing:
        errs.append(f"{path}.{k}: missing required key")
    return not missing


def verify(instance: Instance | dict, solution: Any) -> list[str]:
    """Return every violation of the format's rules (empty list: valid)."""
    inst = instance if isinstance(instance, Instance) else parse_instance(instance)
    errs: list[str] = []
    if not _keys(errs, solution, "solution", _SOL_KEYS):
        return errs
    if solution["version"] != 1 or isinstance(solution["version"], bool):
        errs.append(f"solution.version: must be 1, got {solution['version']!r}")
    asg = solution["assignments"]
    uns = solution["unscheduled"]
    if not isinstance(asg, list) or not isinstance(uns, list):
        errs.append("solution: assignments and unscheduled must be lists")
        return errs

    seen: dict[str, str] = {}
    room_use: dict[str, list] = defaultdict(list)
    int_use: dict[str, list] = defaultdict(list)
    int_day: dict[tuple[str, object], int] = defaultdict(int)
    care_use: dict[str, list] = defaultdict(list)
    aud_use: dict[str, list] = defaultdict(list)
    attendance = 0
    scheduled = 0
    fans: dict[str, list] = defaultdict(list)
    for fam in inst.families:
        for name in fam.interests:
            fans[name].append(fam)
    for i, a in enumerate(asg):
        p = f"assignments[{i}]"
        if not _keys(errs, a, p, _ASG_KEYS):
            continue
        eid = a["event"]
        ev = inst.event_or_none(eid) if isinstance(eid, str) else None
        if ev is None:
            errs.append(f"{p}.event: unknown event {eid!r}")
            continue
        if eid in seen:
            errs.append(f"{p}: event {eid!r} appears more than once")
            continue
        seen[eid] = p
        try:
            naive = parse_local(a["start"])
        except ValueError as e:
            errs.append(f"{p}.start: {e}")
            continue
        if not rules.start_exists(naive, inst.tz):
            errs.append(f"{p}.start: {a['start']} does not exist in {inst.timezone} (spring-forward gap)")
            continue
        s = to_abs(naive, inst.tz)
        e = s + ev.duration
        iv = (s, e)
        if not rules.on_grid(inst, s):
            errs.append(f"{p}.start: {a['start']} is not on the {inst.slot_minutes}-minute grid")
        if not rules.inside_window(ev, s):
            errs.append(f"{p}: [{a['start']}, +{ev.duration}min) is not inside the window")
        if not rules.inside_horizon(inst, ev, s):
            errs.append(f"{p}: [{a['start']}, +{ev.duration}min) is not inside the horizon")
        if not rules.matches_fixed_start(ev, s):
            errs.append(f"{p}.start: {a['start']} differs from fixed_start {ev.fixed_start_text}")
        room = inst.room(a["room"]) if isinstance(a["room"], str) else None
        if room is None:
            errs.append(f"{p}.room: unknown room {a['room']!r}")
        else:
            if not rules.room_fits(ev, room):
                errs.append(f"{p}.room: {room.id} does not fit (capacity/tags)")
            if not rules.inside_availability(room.available, s, e):
                errs.append(f"{p}.room: {room.id} is not available for the whole event")
            room_use[room.id].append((eid, iv))
        ints = a["interpreters"]
        if not isinstance(ints, dict):
            errs.append(f"{p}.interpreters: must be an object language -> interpreter")
        else:
            if set(ints) != set(ev.interpreter_languages):
                errs.append(f"{p}.interpreters: languages {sorted(ints)} != needed {sorted(ev.interpreter_languages)}")
            used: set[str] = set()
            for lang, iid in ints.items():
                it = inst.interpreter(iid) if isinstance(iid, str) else None
                if it is None:
                    errs.append(f"{p}.interpreters.{lang}: unknown interpreter {iid!r}")
                    continue
                if iid in used:
                    errs.append(f"{p}.interpreters.{lang}: {iid} interprets more than one language")
                    continue
                used.add(iid)
                if not rules.interpreter_speaks(it, lang):
                    errs.append(f"{p}.interpreters.{lang}: {iid} does not speak {lang}")
                if not rules.inside_availability(it.available, s, e):
                    errs.append(f"{p}.interpreters.{lang}: {iid} is not available for the whole event")
                int_use[iid].append((eid, iv))
                int_day[(iid, local_date(s, inst.tz))] += 1
        cid = a["childcare"]
        if ev.childcare_children == 0:
            if cid is not None:
                errs.append(f"{p}.childcare: must be null when childcare_children is 0")
        else:
            care = inst.care(cid) if isinstance(cid, str) else None
            if care is None:
                errs.append(f"{p}.childcare: unknown or missing childcare {cid!r}")
            else:
                if not rules.childcare_fits(ev, care):
                    errs.append(f"{p}.childcare: {cid} has {care.capacity} places, need {ev.childcare_children}")
                if not rules.inside_availability(care.available, s, e):
                    errs.append(f"{p}.childcare: {cid} is not available for the whole event")
                care_use[cid].append((eid, iv))
        for tag in ev.audience:
            aud_use[tag].append((eid, iv))
        scheduled += 1
        attendance += sum(1 for f in fans[eid] if rules.family_attends(f, ev, s))

    for label, uses in (("room", room_use), ("interpreter", int_use), ("childcare", care_use),
                        ("audience", aud_use)):
        for rid in sorted(uses):
            for x, y in rules.overlapping_pairs(uses[rid]):
                errs.append(f"{label} {rid}: events {x} and {y} overlap")
    for (iid, day), n in sorted(int_day.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        it = inst.interpreter(iid)
        if it is not None and not rules.within_daily_limit(it, n):
            errs.append(f"interpreter {iid}: {n} events start on {day}, limit {it.max_events_per_day}")

    for i, u in enumerate(uns):
        p = f"unscheduled[{i}]"
        if not _keys(errs, u, p, _UNS_KEYS):
            continue
        eid = u["event"]
        if not isinstance(eid, str) or inst.event_or_none(eid) is None:
            errs.append(f"{p}.event: unknown event {eid!r}")
            continue
        if eid in seen:
            errs.append(f"{p}: event {eid!r} appears more than once")
            continue
        seen[eid] = p
        if not isinstance(u["reason"], str) or not u["reason"].strip():
            errs.append(f"{p}.reason: an unscheduled event needs a reason")
    for ev in inst.events:
        if ev.id not in seen:
            errs.append(f"event {ev.id}: appears neither in assignments nor in unscheduled")

    obj = solution["objective"]
    if _keys(errs, obj, "objective", _OBJ_REQ, _OBJ_OPT):
        if obj["scheduled"] != scheduled:
            errs.append(f"objective.scheduled: {obj['scheduled']!r} but {scheduled} events are assigned")
        if obj["attendance"] != attendance:
            errs.append(f"objective.attendance: {obj['attendance']!r} but recomputed {attendance}")
        if "bound" in obj and obj["bound"] is not None:
            b = obj["bound"]
            if not isinstance(b, int) or isinstance(b, bool) or b < attendance:
                errs.append(f"objective.bound: {b!r} must be an integer >= attendance {attendance}")
    return errs


__all__ = ["verify", "exists"]
