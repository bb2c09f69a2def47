"""Shapes of the users API."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from resources.schemas import Email, Id, Name

Role = Literal["admin", "family", "interpreter", "teacher"]


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
