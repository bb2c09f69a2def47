"""PURE: attendance figures of past events from plain rows: registered, confirmed, checked in, show-up rate.

Counted the way the calibration counts its history (``scheduler/planning/calibration.py``): *registered*
is the registrations still ``confirmed`` (cancelled ones and a waitlist never promoted expected nobody);
*confirmed* those of them that answered "yes" the day before; *checked in* every party scanned at the
door, of which *walk-ins* are the parties that matched no registered family; the *show-up rate* is the
registered families checked in / registered, and only for an event where check-ins were taken (an event
with none most likely had nobody at the door: its rate is unknown, not 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scheduler.planning.calibration import came

Row = Mapping[str, Any]


def event_figures(registrations: Sequence[Row], answers: Iterable[Row], checkins: Sequence[Row]) -> dict[str, Any]:
    """One event's counts: ``registrations`` ``{id, family, status}``, ``answers`` ``{registration, answer}``,
    ``checkins`` ``{registration, family, adults, children}`` (all of this event)."""
    live = [r for r in registrations if r.get("status") == "confirmed"]
    yes = {a["registration"] for a in answers if a.get("answer") == "yes"}
    ids, families = {r["id"] for r in live}, {r["family"] for r in live}
    showed = sum(1 for r in live if came(r, checkins))
    walk_ins = sum(1 for c in checkins if c.get("registration") not in ids and c.get("family") not in families)
    return {
        "registered": len(live), "confirmed": sum(1 for r in live if r["id"] in yes),
        "checked_in": len(checkins), "walk_ins": walk_ins, "came": showed,
        "people": sum((c.get("adults") or 0) + (c.get("children") or 0) for c in checkins),
        "checks_taken": bool(checkins),
        "show_up_rate": rate(showed, len(live)) if checkins else None,
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


SUMMED = ("events", "registered", "confirmed", "checked_in", "walk_ins", "people")


def by_month(events: Iterable[Row]) -> list[dict[str, Any]]:
    """Per month (``month`` ``YYYY-MM``, oldest first): the events' figures summed; ``expected`` sums the events
    a plan expected anyone for; the show-up rate only over events where check-ins were taken."""
    months: dict[str, dict[str, Any]] = defaultdict(lambda: {k: 0 for k in (*SUMMED, "came", "counted")})
    expected: dict[str, int | None] = {}
    for e in events:
        m = months[e["month"]]
        m["events"] += 1
        for k in SUMMED[1:]:
            m[k] += e[k]
        if e["checks_taken"]:
            m["came"] += e["came"]
            m["counted"] += e["registered"]
        if e.get("expected") is not None:
            expected[e["month"]] = (expected.get(e["month"]) or 0) + e["expected"]
    return [{"month": k, **{f: v[f] for f in SUMMED}, "expected": expected.get(k),
             "show_up_rate": rate(v["came"], v["counted"])} for k, v in sorted(months.items())]
