"""Shapes of the resources API: what clients send and get back.

Simple bounds (a capacity is never negative) are declared here so the
decoder rejects them with the field's name; rules that need data (a known
time zone, a room of this school) are checked in the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

Name = Annotated[str, Meta(min_length=1, max_length=120)]
Count = Annotated[int, Meta(ge=0, le=100_000)]
Weekday = Annotated[int, Meta(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
HHMM = Annotated[str, Meta(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
                           description="local time of day, HH:MM (24:00 allowed as an end)")]
LangCode = Annotated[str, Meta(pattern=r"^[a-z]{2,3}$", description="lower-case ISO 639 code, e.g. es")]
Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Id = Annotated[int, Meta(ge=1, le=2_147_483_647)]
Tag = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
Limit = Annotated[int, Meta(ge=1, le=200)]
Offset = Annotated[int, Meta(ge=0, le=2_147_483_647)]

AGE_BANDS = ("infant", "toddler", "preschool", "school-age")


class SchoolIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    slug: Slug
    timezone: Annotated[str, Meta(min_length=1, max_length=64)]
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
    age_band: Annotated[str, Meta(description="infant, toddler, preschool or school-age")]
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
