"""Users: who a token belongs to, enrolling someone, and who am I."""

from __future__ import annotations

from typing import Any

from resources.services import school_by_slug
from resources.tables import Interpreter
from scheduler.accounts.schemas import NewUserOut, UserIn, UserOut
from scheduler.accounts.tables import User
from scheduler.core.auth import (
    Principal,
    hash_api_token,
    new_api_token,
    require_admin,
)
from scheduler.core.db import fetch, writing
from scheduler.core.errors import InvalidInput, Unauthorized
from scheduler.families.tables import Family

_USER = ("SELECT u.id, u.role, u.school AS user_school, u.family AS user_family, u.interpreter AS user_interpreter"
         "{owner} FROM app_user u{join} WHERE u.token_hash = {{}}")
_BY_TOKEN = _USER.format(owner="", join="")


async def authenticate(token: str) -> Principal:
    """The user an API token belongs to; 401 for an unknown or revoked one (revoked = the row is gone).

    The bearer guard remembers the answer only where revocations are
    announced (``core.credential_cache``), so a deleted user's token fails
    at once in every process.
    """
    rows = await fetch(_BY_TOKEN, hash_api_token(token))
    return _principal(rows[0] if rows else None)


async def authenticate_with_owner(token: str, owner_sql: str, value: Any) -> tuple[Principal, dict[str, Any] | None]:
    """:func:`authenticate` and a route guard's owner lookup (``scheduler.core.access``) in one statement."""
    sql = _USER.format(owner=", o.found, o.school, o.family, o.interpreter",
                       join=f" LEFT JOIN (SELECT 1 AS found, q.* FROM ({owner_sql}) q) o ON 1 = 1")
    rows = await fetch(sql, value, hash_api_token(token))
    row = rows[0] if rows else None
    return _principal(row), row if row is not None and row["found"] is not None else None


def _principal(row: dict[str, Any] | None) -> Principal:
    if row is None:
        raise Unauthorized("unknown or revoked token")
    return Principal(user_id=row["id"], role=row["role"], school_id=row["user_school"], family_id=row["user_family"],
                     interpreter_id=row["user_interpreter"])


def _user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(id=row["id"], role=row["role"], name=row["name"], email=row["email"], school_id=row["school"],
                   family_id=row["family"], interpreter_id=row["interpreter"])


async def create_user(actor: Principal, slug: str | None, data: UserIn) -> NewUserOut:
    """An admin enrols someone and hands them a token (shown once)."""
    school_id = None
    if slug is not None:
        school_id = (await school_by_slug(slug))["id"]
    require_admin(actor, school_id)
    if school_id is None and data.role != "admin":
        raise InvalidInput([("role", "families and interpreters belong to a school; create them under /schools/{slug}/users")])
    problems: list[tuple[str, str]] = []
    if data.role == "family":
        if data.family_id is None:
            problems.append(("family_id", "a family user needs family_id"))
        elif not await Family.exists().where((Family.id == data.family_id) & (Family.school == school_id)).run():
            problems.append(("family_id", f"no family {data.family_id} in this school"))
    elif data.family_id is not None:
        problems.append(("family_id", f"only a family user has a family_id, not a {data.role}"))
    if data.role == "interpreter":
        if data.interpreter_id is None:
            problems.append(("interpreter_id", "an interpreter user needs interpreter_id"))
        elif not await Interpreter.exists().where((Interpreter.id == data.interpreter_id)
                                                  & (Interpreter.school == school_id)).run():
            problems.append(("interpreter_id", f"no interpreter {data.interpreter_id} in this school"))
    elif data.interpreter_id is not None:
        problems.append(("interpreter_id", f"only an interpreter user has an interpreter_id, not a {data.role}"))
    if "@" not in data.email:
        problems.append(("email", f"{data.email!r} is not an email address"))
    if problems:
        raise InvalidInput(problems)
    token = new_api_token()
    async with writing():
        row = (await User.insert(User(role=data.role, name=data.name, email=data.email, school=school_id,
                                      family=data.family_id, interpreter=data.interpreter_id,
                                      token_hash=hash_api_token(token))).returning(*User.all_columns()).run())[0]
    return NewUserOut(user=_user_out(row), token=token)


async def me(actor: Principal) -> UserOut:
    row = await User.select().where(User.id == actor.user_id).first().run()
    return _user_out(row)
