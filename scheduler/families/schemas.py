"""Shapes of the families API: families, children, availability, interests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from resources.schemas import Email, Id, LangCode, Name, WeeklyWindow
from scheduler.core.validation import AgeBand, LocalDateTime, one_line


class FamilyIn(Struct, forbid_unknown_fields=True):
    name: Name
    language: LangCode
    email: Email
    guardians: list[Name] = []
    # absent: unchanged (a new family: none); "" removes it
    phone: Annotated[str, Meta(max_length=32, description="a mobile number for texts, e.g. +16125550123")] | None = None
    # absent: unchanged (a new family: e-mail, and text when it has a phone)
    channels: Annotated[Literal["email", "sms", "both"],
                        Meta(description="how messages reach the family: e-mail, text (sms) or both")] | None = None


class FamilyOut(Struct):
    id: int
    school_id: int
    name: str
    language: str
    email: str
    guardians: list[str]
    updated_at: dt.datetime
    phone: str = ""
    channels: str = "email"


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


class InterestsIn(Struct, forbid_unknown_fields=True):
    """What a family says of the school's events: the planner counts "I'd come" twice and "Not for us" never
    (scheduler/planning/turnout.py)."""

    event_ids: Annotated[list[Id], Meta(description="\"I'd come\"", max_length=500)]
    not_for_us: Annotated[list[Id], Meta(description="\"Not for us\"", max_length=500)] = []
