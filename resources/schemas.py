"""Shapes of the resources API: what clients send and get back.

Simple bounds (a capacity is never negative) are declared here so the
decoder rejects them with the field's name; rules that need data (a known
time zone, a room of this school) are checked in the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

from scheduler.core.validation import HHMM, AgeBand, Email, LangCode, Slug, Tag, one_line

Name = one_line(120)
Count = Annotated[int, Meta(ge=0, le=100_000)]
Weekday = Annotated[int, Meta(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
Id = Annotated[int, Meta(ge=1, le=2_147_483_647)]
Limit = Annotated[int, Meta(ge=1, le=200)]
Offset = Annotated[int, Meta(ge=0, le=2_147_483_647)]

AGE_BANDS = ("infant", "toddler", "preschool", "school-age")


class SchoolIn(Struct, forbid_unknown_fields=True):
    name: one_line(200)
    slug: Slug
    timezone: one_line(64, description="an IANA time zone, e.g. America/Chicago")
    languages: list[LangCode] = []


class SchoolOut(Struct):
    id: int
    name: str
    slug: str
    timezone: str
    languages: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


class WeeklyWindow(Struct, forbid_unknown_fields=True):
    weekday: Weekday
    start: HHMM
    end: HHMM


class StaffingWindow(Struct, forbid_unknown_fields=True):
    weekday: Weekday
    start: HHMM
    end: HHMM
    staff: Annotated[int, Meta(ge=1, le=100)]


class RoomIn(Struct, forbid_unknown_fields=True):
    name: Name
    capacity: Count
    tags: list[Tag] = []


class RoomOut(Struct):
    id: int
    school_id: int
    name: str
    capacity: int
    tags: list[str]


class InterpreterIn(Struct, forbid_unknown_fields=True):
    name: Name
    email: Email
    languages: Annotated[list[LangCode], Meta(min_length=1)]
    max_events_per_day: Annotated[int, Meta(ge=1, le=20)] | None = None


class InterpreterOut(Struct):
    id: int
    school_id: int
    name: str
    email: str
    languages: list[str]
    max_events_per_day: int | None


class ChildcareIn(Struct, forbid_unknown_fields=True):
    name: Name
    capacity: Count
    room_id: Id | None = None


class ChildcareOut(Struct):
    id: int
    school_id: int
    name: str
    capacity: int
    room_id: int | None


class RatioIn(Struct, forbid_unknown_fields=True):
    age_band: AgeBand
    children_per_staff: Annotated[int, Meta(ge=1, le=40)]


class SchoolPage(Struct):
    items: list[SchoolOut]
    total: int
    limit: int
    offset: int


class RoomPage(Struct):
    items: list[RoomOut]
    total: int
    limit: int
    offset: int


class InterpreterPage(Struct):
    items: list[InterpreterOut]
    total: int
    limit: int
    offset: int


class ChildcarePage(Struct):
    items: list[ChildcareOut]
    total: int
    limit: int
    offset: int
