"""Shapes of the plans API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from msgspec import Meta, Struct


class PlanIn(Struct, forbid_unknown_fields=True):
    time_limit: Annotated[int, Meta(ge=1, le=300, description="solver seconds")] = 30
    seed: Annotated[int, Meta(ge=0, le=2_147_483_647)] = 0
    keep_published: Annotated[bool, Meta(description="published events stay where they are")] = True


class Objective(Struct):
    scheduled: int | None
    attendance: int | None
    bound: int | None


class PlanInterpreterOut(Struct):
    id: int | None
    name: str


class AudienceOut(Struct):
    """Who an event was planned for (scheduler/planning/turnout.py): families counted, and those left out."""

    audience: int = 0  # in its audience and able to take part (counted once)
    interested: int = 0  # said "I'd come" or registered (counted twice)
    not_for_us: int = 0  # said "Not for us" (never counted)
    left_out_audience: int = 0  # no child in the event's grades
    left_out_language: int = 0  # the event is not interpreted into the family's language
    left_out_childcare: int = 0  # a child under school age and no childcare at the event


class CalibrationOut(Struct):
    """What the plan's attendance calibration rests on (scheduler/planning/calibration.py)."""

    school_rate: float  # registered families who came, over the history (0.7 when there is none)
    history_events: int  # past events with check-ins it counts
    history_registrations: int
    time_of_day: dict[str, float]  # bucket (weekday-evening...) -> factor on a family's probability


class TurnoutRule(Struct):
    weights: dict[str, int]
    rule: str
    calibration: CalibrationOut | None = None  # None: no attendance history yet, the weights above as they are


class PlanEventOut(Struct):
    event_id: int
    title: str
    outcome: str  # placed / unscheduled / kept
    start: str | None = None
    end: str | None = None
    room_id: int | None = None
    room: str | None = None
    interpreters: dict[str, PlanInterpreterOut] = {}
    childcare_id: int | None = None
    childcare: str | None = None
    expected_turnout: int | None = None  # distinct families in its audience and free for the whole event
    weighted_turnout: int | None = None  # what the engine maximised: "I'd come" counts twice
    # families expected at the door at that start, from attendance history (scheduler/planning/calibration.py)
    expected_at_door: float | None = None
    runner_up_start: str | None = None
    runner_up_turnout: int | None = None
    audience: AudienceOut | None = None
    turnout_note: str | None = None  # why the expected turnout is 0, when it is
    reason: str | None = None


class PlanSummary(Struct):
    id: int
    school_id: int
    status: str
    objective: Objective
    time_limit: int
    keep_published: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None
    published_at: dt.datetime | None
    error: str


class PlanOut(Struct):
    id: int
    school_id: int
    status: str
    objective: Objective
    time_limit: int
    seed: int
    keep_published: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None
    published_at: dt.datetime | None
    error: str
    progress: dict[str, int] | None
    stats: dict[str, Any]
    events: list[PlanEventOut]
    turnout: TurnoutRule | None = None
    # what changed since the plan was made (rooms, interpreters, childcare, availability, interests): plan again
    stale: list[str] = []


class PlanPage(Struct):
    items: list[PlanSummary]
    total: int
    limit: int
    offset: int
