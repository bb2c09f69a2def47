"""Shapes of the interpreter assignments API."""

from __future__ import annotations

from msgspec import Struct

from resources.schemas import Id


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


class AssignIn(Struct, forbid_unknown_fields=True):
    interpreter_id: Id
