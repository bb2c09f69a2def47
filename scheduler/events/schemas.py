"""Shapes of the events API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from resources.schemas import Count, LangCode, Tag
from scheduler.core.validation import LocalDateTime, multi_line, one_line

Kind = Literal["workshop", "conference", "cultural", "meeting"]
Status = Literal["draft", "proposed", "published", "cancelled"]


class EventText(Struct, forbid_unknown_fields=True):
    """An event's title and description in one more of the school's languages."""

    title: one_line(200)
    description: multi_line(5000) = ""


class EventIn(Struct, forbid_unknown_fields=True):
    title: one_line(200)
    kind: Kind
    duration_minutes: Annotated[int, Meta(ge=1, le=720)]
    earliest_date: dt.date
    latest_date: dt.date
    description: multi_line(5000) = ""
    min_capacity: Count = 0
    room_tags: list[Tag] = []
    audience: list[Tag] = []
    interpreter_languages: list[LangCode] = []
    childcare_children: Count = 0
    fixed_start: LocalDateTime | None = None
    seat_limit: Annotated[int | None, Meta(description="at most this many adults, even in a bigger room")] = None
    translations: Annotated[dict[LangCode, EventText], Meta(
        description="title and description in the school's other languages (families read their own)")] = {}


class OverrideOut(Struct):
    """The engine's rules a move by hand overrode (scheduler/planning/moves.py)."""

    rules: list[str]
    problems: list[str]
    by: int | None
    at: str


class EventOut(Struct):
    id: int
    school_id: int
    title: str
    kind: str
    description: str
    duration_minutes: int
    earliest_date: dt.date
    latest_date: dt.date
    min_capacity: int
    room_tags: list[str]
    audience: list[str]
    interpreter_languages: list[str]
    childcare_children: int
    fixed_start: str | None
    status: str
    starts_at: str | None
    ends_at: str | None
    room_id: int | None
    sequence: int
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None
    seat_limit: int | None = None
    seats: int | None = None
    translations: dict[str, EventText] = {}
    series: int | None = None  # sessions of one workshop share the first session's id
    override: OverrideOut | None = None


class MoveIn(Struct, forbid_unknown_fields=True):
    start: LocalDateTime
    override: Annotated[bool, Meta(description="move although the engine's rules refuse it (recorded)")] = False


class AudienceOut(Struct):
    """Who hears of a change to an event (cancel or move), shown before an administrator confirms."""

    families: int
    waitlisted: int
    interpreters: int


class EventPage(Struct):
    items: list[EventOut]
    total: int
    limit: int
    offset: int


class SessionsIn(Struct, forbid_unknown_fields=True):
    sessions: Annotated[int | Literal["as_needed"], Meta(
        description="1 to 10, or \"as_needed\": enough sessions for every family that said \"I'd come\" to have a "
                    "seat")]
