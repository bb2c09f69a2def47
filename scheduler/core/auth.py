"""Who is asking, and what their role lets them touch.

API tokens are random and long, so a plain SHA-256 is enough to store them
safely (no salt or slow hash needed: there is nothing to brute-force), and
it keeps working when the server's secret key is rotated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

from scheduler.core.errors import Forbidden

ROLES = ("admin", "family", "interpreter", "teacher")


@dataclasses.dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    school_id: int | None = None
    family_id: int | None = None
    interpreter_id: int | None = None

    @property
    def is_district_admin(self) -> bool:
        """An admin bound to no school manages every school (and creates them)."""
        return self.role == "admin" and self.school_id is None


def new_api_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_admin(actor: Principal, school_id: int | None) -> None:
    """Admins write school data, each only for their own school.

    ``school_id`` is required and ``None`` means "no school": district-wide
    data (district administrators, messages of no school), which only a
    district administrator may touch. There is deliberately no default: a
    call that forgot the school once let a school admin mint a district admin.
    """
    if actor.role != "admin":
        raise Forbidden("only a school administrator may do this")
    if school_id is None:
        require_district_admin(actor)
    elif actor.school_id not in (None, school_id):
        raise Forbidden("administrators manage only their own school")


def require_district_admin(actor: Principal) -> None:
    if not actor.is_district_admin:
        raise Forbidden("only a district administrator may do this")


def require_family_access(actor: Principal, family_id: int, school_id: int) -> None:
    """A family reads and edits only itself; its school's admins may too."""
    if actor.role == "family" and actor.family_id == family_id:
        return
    if actor.role == "admin" and actor.school_id in (None, school_id):
        return
    raise Forbidden("you may only see and change your own family")


def require_interpreter_access(actor: Principal, interpreter_id: int, school_id: int) -> None:
    if actor.role == "interpreter" and actor.interpreter_id == interpreter_id:
        return
    if actor.role == "admin" and actor.school_id in (None, school_id):
        return
    raise Forbidden("you may only see and change your own interpreter profile")


def require_member(actor: Principal, school_id: int) -> None:
    """Anyone signed in may read a school's shared data, within their own school."""
    if actor.school_id is None and actor.role == "admin":
        return
    if actor.school_id != school_id:
        raise Forbidden("this belongs to another school")
