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
    expected_turnout: int | None = None
    runner_up_start: str | None = None
    runner_up_turnout: int | None = None
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


class PlanPage(Struct):
    items: list[PlanSummary]
    total: int
    limit: int
    offset: int
