"""PURE: which families an event can expect, and how much each counts (the planner's objective, explained).

The booking engine maximises *attendance*: over placed events, the families
that list the event in their ``interests`` and are free for the whole event
(engine-format v1). What goes into ``interests`` is decided here, so a
coordinator can believe the expected turnout:

* **in the audience** — the event is for the whole school, or for a grade one
  of the family's children is in (``grade-3``);
* **can take part** — the family reads the school's own language, or the
  event is interpreted into the family's language; and a family with a child
  younger than school age (infant, toddler, preschool) counts only toward
  events that offer childcare: parents of small children can seldom come to
  an evening event otherwise, and the schools this serves say childcare is
  what most often keeps them away. School-age children can come along or
  stay home, so they set no condition;
* **said so** — "I'd come" on the family page (or a registration) always
  counts, whatever the rules above say, and weighs ``WEIGHTS["interested"]``
  (the engine sees a second entry for the family, ``family-<id>-keen``,
  interested in those events only); "Not for us" removes the family from
  that event.

Availability is not decided here: the engine counts a family only when it is
free for the whole event at the start it chooses.

A workshop offered as several sessions (a *series*) must count each family
once: its eligible families are split between the sessions by when in the
week they are usually free (earliest first), so each session is planned for
its own group and nobody is counted twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scheduler.core.grades import YOUNG_AGE_BANDS, audience_tag

Row = Mapping[str, Any]

WEIGHTS = {"audience": 1, "interested": 2, "not_for_us": 0}
RULE = ("in the audience (the whole school, or a child in one of the event's grades); reads the school's language "
        "or the event is interpreted into the family's; a child younger than school age needs childcare at the "
        "event; \"I'd come\" always counts, twice; \"Not for us\" never")


def family_facts(children: Iterable[Row]) -> tuple[dict[int, set[str]], dict[int, bool]]:
    """Per family: the audience tags of its children's grades, and whether it has a child under school age."""
    tags: dict[int, set[str]] = defaultdict(set)
    young: dict[int, bool] = defaultdict(bool)
    for c in children:
        tags[c["family"]].add(audience_tag(c["grade"]))
        young[c["family"]] = young[c["family"]] or c["age_band"] in YOUNG_AGE_BANDS
    return tags, young


def why_not(family: Row, event: Row, tags: set[str], young: bool, school_language: str) -> str | None:
    """Why the rules leave this family out of this event's audience, or None when it counts."""
    audience = set(event.get("audience") or [])
    if audience and not audience & tags:
        return "audience"
    if family["language"] != school_language and family["language"] not in (event.get("interpreter_languages") or []):
        return "language"
    if young and not event.get("childcare_children"):
        return "childcare"
    return None


def interests(families: Sequence[Row], children: Iterable[Row], events: Sequence[Row], said: Iterable[Row],
              school_language: str) -> tuple[dict[int, set[int]], dict[int, set[int]], dict[int, dict[str, int]]]:
    """(counted, keen, tally): per family the events it counts toward and those it said "I'd come" to; per event
    how many families are in its audience, were left out by each rule, said yes, or said "Not for us".

    ``said`` rows are ``{family, event, choice}`` with choice ``yes`` (or a registration) or ``no``.
    """
    tags, young = family_facts(children)
    yes: dict[int, set[int]] = defaultdict(set)
    no: dict[int, set[int]] = defaultdict(set)
    for r in said:
        (no if r.get("choice") == "no" else yes)[r["family"]].add(r["event"])
    counted: dict[int, set[int]] = defaultdict(set)
    tally: dict[int, dict[str, int]] = {e["id"]: defaultdict(int) for e in events}
    for f in families:
        fid = f["id"]
        for e in events:
            eid = e["id"]
            if eid in no[fid]:
                tally[eid]["not_for_us"] += 1
                continue
            if eid in yes[fid]:
                tally[eid]["interested"] += 1
                counted[fid].add(eid)
                continue
            reason = why_not(f, e, tags[fid], young[fid], school_language)
            if reason is None:
                tally[eid]["audience"] += 1
                counted[fid].add(eid)
            else:
                tally[eid][f"left_out_{reason}"] += 1
    planned = {e["id"] for e in events}
    keen = {fid: (evs & planned) - no[fid] for fid, evs in yes.items() if (evs & planned) - no[fid]}
    return counted, keen, {eid: dict(t) for eid, t in tally.items()}


def split_series(counted: dict[int, set[int]], keen: dict[int, set[int]], series: Mapping[int, Sequence[int]],
                 first_free: Mapping[int, int]) -> None:
    """Each family counts toward one session of a series (in place): groups by when in the week it is free.

    ``series`` maps a series to its sessions (event ids, in order); ``first_free`` is each family's earliest
    free minute of the week (families with none go last). Families are sorted by it and cut into as many
    equal groups as there are sessions: the earliest-free group goes to the first session, and so on.
    """
    for sessions in series.values():
        if len(sessions) < 2:
            continue
        members = sorted((fid for fid, evs in counted.items() if evs & set(sessions)),
                         key=lambda fid: (first_free.get(fid, 10_080), fid))
        size = -(-len(members) // len(sessions)) or 1
        for i, fid in enumerate(members):
            mine = sessions[min(i // size, len(sessions) - 1)]
            counted[fid] = (counted[fid] - set(sessions)) | {mine}
            if fid in keen and keen[fid] & set(sessions):
                keen[fid] = (keen[fid] - set(sessions)) | {mine}


def families_free(inst: Any, event_id: str, start: int) -> int:
    """Distinct families counting toward an event placed at ``start`` (a parsed engine instance, absolute minutes):
    the figure a coordinator reads as "expected turnout" (a family's second, "-keen" entry is the same family)."""
    return len(who_is_free(inst, event_id, start))


def who_is_free(inst: Any, event_id: str, start: int) -> set[str]:
    """The families (``family-<id>``) counting toward an event placed at ``start`` and free for all of it."""
    end = start + inst.event(event_id).duration
    return {f.id.removesuffix("-keen") for f in inst.families
            if event_id in f.interests and any(a <= start and end <= b for a, b in f.available)}


def families_who_could(inst: Any, event_id: str) -> int:
    """Distinct families counting toward an event that are free for its whole length at some time in its window
    (rooms and interpreters aside): the "available" a coordinator reads beside a draft."""
    ev = inst.event(event_id)
    lo, hi = ev.window
    return len({f.id.removesuffix("-keen") for f in inst.families
                if event_id in f.interests and any(min(b, hi) - max(a, lo) >= ev.duration for a, b in f.available)})


# ---------------------------------------------------------------- from the planner's rows (instance.PlanningRows)


def said(rows: Any) -> list[Row]:
    """What families said of the events: interest rows, and live registrations as an "I'd come". What a family
    said of one session of a series it said of the whole series (the family page shows a series once)."""
    sessions: dict[int, list[int]] = defaultdict(list)
    for e in rows.events:
        if e.get("series") is not None:
            sessions[e["series"]].append(e["id"])
    series_of = {eid: members for members in sessions.values() for eid in members}
    out = []
    for r in [*rows.interests, *({"family": r["family"], "event": r["event"], "choice": "yes"}
                                 for r in rows.registrations if r.get("status") != "cancelled")]:
        out += [r | {"event": eid} for eid in series_of.get(r["event"], [r["event"]])]
    return out


def first_free_minute(rows: Any) -> dict[int, int]:
    """Each family's earliest free minute of the week (Monday 00:00 = 0), for splitting a series."""
    first: dict[int, int] = {}
    for r in rows.family_weekly:
        minute = r["weekday"] * 1440 + r["start_minute"]
        first[r["family"]] = min(first.get(r["family"], minute), minute)
    return first


def family_interests(rows: Any) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per family: the planned events it counts toward, and those it counts twice toward (it said so)."""
    counted, keen, _tally = interests(rows.families, rows.children, rows.events, said(rows), rows.language)
    series: dict[int, list[int]] = defaultdict(list)
    for e in sorted(rows.events, key=lambda r: r["id"]):
        if e.get("series") is not None:
            series[e["series"]].append(e["id"])
    split_series(counted, keen, series, first_free_minute(rows))
    return counted, keen


def audience_tally(rows: Any) -> dict[int, dict[str, int]]:
    """Per planned event: families in its audience, left out by each rule, saying yes, saying "not for us"."""
    return interests(rows.families, rows.children, rows.events, said(rows), rows.language)[2]
