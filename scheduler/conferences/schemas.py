"""Shapes of the conferences API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from msgspec import Meta, Struct

from scheduler.core.validation import Email, LangCode, LocalDateTime, one_line

Minutes = Annotated[int, Meta(ge=1, le=240)]


IdList = Annotated[list[Annotated[int, Meta(ge=1, le=2_147_483_647)]], Meta(max_length=5000)]


class SpanIn(Struct, forbid_unknown_fields=True):
    start: LocalDateTime
    end: LocalDateTime


class SpanOut(Struct):
    start: str
    end: str


class WindowIn(Struct, forbid_unknown_fields=True):
    name: one_line(200)
    evenings: Annotated[list[SpanIn], Meta(min_length=1, max_length=14)]
    slot_minutes: Minutes = 10
    interpreted_slot_minutes: Minutes = 20
    passing_minutes: Annotated[int, Meta(ge=0, le=60)] = 5


class TeacherIn(Struct, forbid_unknown_fields=True):
    name: one_line(120)
    email: Email
    room_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]
    language: LangCode = "en"
    availability: Annotated[list[SpanIn], Meta(max_length=50)] = []
    breaks: Annotated[list[SpanIn], Meta(max_length=50)] = []
    child_ids: IdList = []


class ClassListIn(Struct, forbid_unknown_fields=True):
    child_ids: IdList


class SplitIn(Struct, forbid_unknown_fields=True):
    family_ids: IdList


class SolveIn(Struct, forbid_unknown_fields=True):
    time_limit: Annotated[float, Meta(ge=1, le=300)] = 20.0
    seed: Annotated[int, Meta(ge=0, le=2_147_483_647)] = 0


class MoveIn(Struct, forbid_unknown_fields=True):
    start: LocalDateTime


class RosterTeacherIn(Struct, forbid_unknown_fields=True):
    teacher_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]  # a roster teacher (roster.Teacher)
    room_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]
    class_ids: Annotated[list[Annotated[int, Meta(ge=1, le=2_147_483_647)]], Meta(min_length=1, max_length=50)]


class SelfBookingIn(Struct, forbid_unknown_fields=True):
    open: bool


class PostponeIn(Struct, forbid_unknown_fields=True):
    evening_id: Annotated[int, Meta(ge=1, le=2_147_483_647)]
    date: Annotated[str, Meta(max_length=10, description="the new date, YYYY-MM-DD (times of day stay)")]


class UnplacedOut(Struct):
    family_id: int
    guardian: str | None
    teacher_id: int
    reason: str


class WindowOut(Struct):
    id: int
    school_id: int
    name: str
    status: str
    timezone: str
    evenings: list[SpanOut]
    slot_minutes: int
    interpreted_slot_minutes: int
    passing_minutes: int
    teachers: int
    meetings: int
    summary: dict[str, Any]
    unplaced: list[UnplacedOut]
    solved_at: dt.datetime | None
    published_at: dt.datetime | None
    self_booking: bool = False  # reopened for families to pick their own free slots
    evening_ids: list[int] = []  # beside ``evenings``, what ``/postpone`` names


class TeacherOut(Struct):
    id: int
    window_id: int
    name: str
    email: str
    room_id: int
    room: str
    language: str
    availability: list[SpanOut]
    breaks: list[SpanOut]
    child_ids: list[int]
    unavailable: list[SpanOut] = []  # what the teacher marked on their own page


class MeetingOut(Struct):
    id: int
    window_id: int
    teacher_id: int
    teacher: str
    room: str
    family_id: int
    family: str
    guardian: str | None
    child_ids: list[int]
    start: str
    end: str
    minutes: int
    language: str | None
    interpreter_id: int | None
    status: str
    topic: str | None = None  # what the family wants to talk about


class ItineraryOut(Struct):
    family_id: int
    meetings: list[MeetingOut]
    unplaced: list[UnplacedOut]


class FreeSlotOut(Struct):
    start: str  # YYYY-MM-DDTHH:MM, what /move takes
    end: str
    starts_at: str  # ISO 8601 with the school's offset


class TeacherDayOut(Struct):
    teacher_id: int
    teacher: str
    room: str
    date: dt.date
    meetings: list[MeetingOut]


class PublishOut(Struct):
    window: WindowOut
    event_ids: list[int]
    assignments: int
