"""Small hand-made conference problems for the unit tests."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.conferences.solver.model import Meeting, Problem, Schedule, Unplaced
from scheduler.conferences.solver.parse import parse_problem

EXAMPLE = Path(__file__).resolve().parents[3] / "scheduler" / "conferences" / "solver" / "example.json"
NY = ZoneInfo("America/New_York")


def span(a: str, b: str, day: str = "2027-03-09") -> dict[str, str]:
    return {"start": f"{day}T{a}", "end": f"{day}T{b}"}


def base() -> dict[str, Any]:
    """One evening 16:00–18:00, three teachers in three rooms, one family."""
    return {
        "window": {"timezone": "America/New_York", "evenings": [span("16:00", "18:00")],
                   "slot_minutes": 10, "interpreted_slot_minutes": 20, "passing_minutes": 5},
        "teachers": [
            {"id": "lee", "name": "Ms Lee", "room": "101", "students": ["a"]},
            {"id": "kim", "name": "Mr Kim", "room": "102", "students": ["b"]},
            {"id": "ruiz", "name": "Ms Ruiz", "room": "103", "students": ["c"]},
        ],
        "children": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "families": [{"id": "ng", "name": "the Nguyen family", "children": ["a", "b", "c"]}],
        "interpreters": [],
    }


def build(d: dict[str, Any]) -> Problem:
    return parse_problem(copy.deepcopy(d))


def example_dict() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def at(hhmm: str, day: str = "2027-03-09") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NY)


def meeting(req: str, a: str, b: str, interpreter: str | None = None, day: str = "2027-03-09") -> Meeting:
    return Meeting(req, at(a, day), at(b, day), interpreter)


def sched(*ms: Meeting, unplaced: tuple[Unplaced, ...] = ()) -> Schedule:
    return Schedule(tuple(ms), unplaced)
