"""Shapes of the scheduling API: families, children, events, users."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from resources.schemas import Count, Email, Id, LangCode, Name, Tag, WeeklyWindow
from scheduler.validation import AgeBand, multi_line, one_line

Kind = Literal["workshop", "conference", "cultural", "meeting"]
Status = Literal["draft", "proposed", "published", "cancelled"]
Role = Literal["admin", "family", "interpreter"]
LocalDateTime = one_line(40, description="local wall-clock time in the school's zone, YYYY-MM-DDTHH:MM")


class FamilyIn(Struct, forbid_unknown_fields=True):
    name: Name
    language: LangCode
    email: Email
    guardians: list[Name] = []


class FamilyOut(Struct):
    id: int
    school_id: int
    name: str
    language: str
    email: str
    guardians: list[str]
    updated_at: dt.datetime


class FamilyPage(Struct):
    items: list[FamilyOut]
    total: int
    limit: int
    offset: int


class ChildIn(Struct, forbid_unknown_fields=True):
    first_name: one_line(80)
    grade: one_line(16, description="e.g. K, 1 … 12, pre-k")
    age_band: AgeBand


class ChildOut(Struct):
    id: int
    family_id: int
    first_name: str
    grade: str
    age_band: str


class DatedWindow(Struct, forbid_unknown_fields=True):
    start: LocalDateTime
    end: LocalDateTime
    busy: bool = False


class AvailabilityIn(Struct, forbid_unknown_fields=True):
    weekly: list[WeeklyWindow] = []
    dated: list[DatedWindow] = []


class DatedWindowOut(Struct):
    start: str
    end: str
    busy: bool


class AvailabilityOut(Struct):
    weekly: list[WeeklyWindow]
    dated: list[DatedWindowOut]


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


class MoveIn(Struct, forbid_unknown_fields=True):
    start: LocalDateTime


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


class InterestsIn(Struct, forbid_unknown_fields=True):
    event_ids: list[Id]


class UserIn(Struct, forbid_unknown_fields=True):
    role: Role
    name: Name
    email: Email
    family_id: Id | None = None
    interpreter_id: Id | None = None


class UserOut(Struct):
    id: int
    role: str
    name: str
    email: str
    school_id: int | None
    family_id: int | None
    interpreter_id: int | None


class NewUserOut(Struct):
    """The token is shown once, here; only its hash is kept."""

    user: UserOut
    token: str


class RegistrationIn(Struct, forbid_unknown_fields=True):
    adults: Annotated[int, Meta(ge=1, le=10)] = 1
    child_ids: Annotated[list[Id], Meta(max_length=12, description="children who need childcare")] = []
    language: LangCode | None = None
    family_id: Id | None = None


class RegistrationOut(Struct):
    id: int
    event_id: int
    family_id: int
    status: str
    waitlist_position: int | None
    adults: int
    language: str
    child_ids: list[int]
    created_at: dt.datetime


class AssignmentOut(Struct):
    id: int
    event_id: int
    event_title: str
    school_id: int
    language: str
    status: str
    interpreter_id: int | None
    starts_at: str
    ends_at: str
