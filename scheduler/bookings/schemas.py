"""Shapes of the registrations API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

from resources.schemas import Id, LangCode


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
