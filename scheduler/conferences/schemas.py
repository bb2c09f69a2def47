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
    mode: str = "in_person"  # in_person / video / phone
    topic: str | None = None
    video_url: str = ""  # the teacher's call, when the family chose video (the interpreter joins it too)
    phone: str = ""  # the number the teacher calls from, when the family chose phone


class ItineraryOut(Struct):
    family_id: int
    meetings: list[MeetingOut]
    unplaced: list[UnplacedOut]


class FreeSlotOut(Struct):
    start: str  # YYYY-MM-DDTHH:MM, what /move takes
    end: str
    starts_at: str  # ISO 8601 with the school's offset
    fits: bool = True  # inside the family's stated availability (families are offered only these)


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


TeacherId = Annotated[int, Meta(ge=1, le=2_147_483_647)]
Mode = Annotated[str, Meta(pattern="^(in_person|video|phone)$", description="in_person, video or phone")]
Topic = one_line(300, min_length=0, description="one sentence: what the family wants to talk about")


class HoldIn(Struct, forbid_unknown_fields=True):
    teacher_id: TeacherId
    start: LocalDateTime


class BookIn(Struct, forbid_unknown_fields=True):
    teacher_id: TeacherId
    start: LocalDateTime
    mode: Mode = "in_person"
    topic: Topic | None = None


class MeetingChoiceIn(Struct, forbid_unknown_fields=True):
    """What the family chooses about one meeting: how, and what it wants to talk about ("" clears it)."""

    mode: Mode | None = None
    topic: Topic | None = None


class GuardianInviteIn(Struct, forbid_unknown_fields=True):
    email: Email


class HoldOut(Struct):
    teacher_id: int
    start: str
    end: str
    expires_at: dt.datetime


class OpenSlotOut(Struct):
    start: str  # YYYY-MM-DDTHH:MM, what /conference-holds and /conference-bookings take
    end: str
    fits: bool  # inside the family's stated availability
    next_to_yours: bool  # back-to-back with one of the family's other meetings or holds (siblings in one visit)


class OpenTeacherOut(Struct):
    teacher_id: int
    teacher: str
    room: str
    minutes: int
    interpreted: bool
    slots: list[OpenSlotOut]


class TeacherContactIn(Struct, forbid_unknown_fields=True):
    video_url: Annotated[str, Meta(max_length=500, pattern=r"^(https://[^\s\x00-\x1f\x7f]+)?$",
                                   description="an https:// link to the teacher's video call, or empty")] = ""
    phone: Annotated[str, Meta(max_length=40, pattern=r"^[0-9+()./ -]*$",
                               description="the number the teacher calls from, or empty")] = ""


class AskedOut(Struct):
    asked: int  # families written to (once each per teacher)
