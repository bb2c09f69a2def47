"""Small hand-made instances and solutions for the engine tests.

One week in America/New_York (2027-03-01 is a Monday), one of each resource,
so each test changes exactly the field it is about.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "engine"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def base_instance() -> dict[str, Any]:
    days = ["2027-03-01", "2027-03-02", "2027-03-03", "2027-03-04", "2027-03-05"]
    return copy.deepcopy({
        "version": 1,
        "timezone": "America/New_York",
        "slot_minutes": 15,
        "horizon": {"start": "2027-03-01", "end": "2027-03-05"},
        "rooms": [
            {"id": "library", "capacity": 60, "tags": ["accessible"],
             "available": [[f"{d}T15:00", f"{d}T21:00"] for d in days]},
            {"id": "gym", "capacity": 200, "tags": ["accessible", "stage"],
             "available": [[f"{d}T17:00", f"{d}T21:00"] for d in days]},
        ],
        "interpreters": [
            {"id": "ana", "languages": ["es", "pt"], "max_events_per_day": 1,
             "available": [[f"{d}T16:00", f"{d}T20:00"] for d in days]},
        ],
        "childcare": [
            {"id": "kinder", "capacity": 20, "available": [[f"{d}T15:00", f"{d}T21:00"] for d in days]},
        ],
        "families": [
            {"id": "f1", "language": "es", "interests": ["budget"],
             "available": [["2027-03-02T18:00", "2027-03-02T20:30"]]},
            {"id": "f2", "language": "en", "interests": ["budget", "art"],
             "available": [["2027-03-02T17:00", "2027-03-02T20:00"], ["2027-03-03T18:00", "2027-03-03T21:00"]]},
            {"id": "f3", "language": "en", "interests": ["art"],
             "available": [["2027-03-03T18:00", "2027-03-03T20:00"]]},
        ],
        "events": [
            {"id": "budget", "duration_minutes": 90, "window": ["2027-03-01T00:00", "2027-03-05T23:59"],
             "min_capacity": 40, "room_tags": ["accessible"], "interpreter_languages": ["es"],
             "childcare_children": 12, "audience": ["grade-3"], "fixed_start": None},
            {"id": "art", "duration_minutes": 60, "window": ["2027-03-01T00:00", "2027-03-05T23:59"],
             "min_capacity": 20},
        ],
    })


def base_solution() -> dict[str, Any]:
    """A valid solution of base_instance (budget: f1+f2 = 2, art: f2+f3 = 2)."""
    return {
        "version": 1,
        "assignments": [
            {"event": "budget", "start": "2027-03-02T18:00", "room": "library",
             "interpreters": {"es": "ana"}, "childcare": "kinder"},
            {"event": "art", "start": "2027-03-03T18:00", "room": "library",
             "interpreters": {}, "childcare": None},
        ],
        "unscheduled": [],
        "objective": {"scheduled": 2, "attendance": 4},
    }
