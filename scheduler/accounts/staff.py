"""Administrators' accounts and a school's staff accounts: made with an e-mailed sign-in link, deactivated.

Nobody is handed a password or a token to copy: a new account gets a
one-time sign-in link by e-mail (valid ``INVITE_HOURS``), and can ask for
a new one at /signin any time. The first administrator of a new install is
made by the command line (``family-bridge admin create``), which prints the
link instead of mailing it, since no mail may be set up yet.

Deactivating keeps the user row (history and audit name it) and ends every
way in at once: the API token is replaced by a random one nobody knows,
browser sessions and unused sign-in links are deleted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from resources.services import school_by_slug
from resources.tables import Interpreter
from scheduler.accounts import signin
from scheduler.accounts.tables import SignInLink, User, WebSession
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, hash_api_token, new_api_token, require_admin
from scheduler.core.db import use_case
from scheduler.core.errors import Conflict, InvalidInput, NotFound
from scheduler.core.settings import Settings

STAFF_ROLES = ("admin", "interpreter", "teacher")  # a teacher finds their conferences by this e-mail


# a staff account belongs to its school (a district administrator's to the district: school NULL)
owner_of("user_id", "SELECT school, NULL AS family, NULL AS interpreter FROM app_user WHERE id = {}")


@dataclasses.dataclass(frozen=True)
class AdminAccount:
    """What ``family-bridge admin create`` made or found."""

    user_id: int
    created: bool
    school: str | None
    token: str | None  # only when a new API token was asked for: shown once


@use_case
async def ensure_admin(email: str, name: str, school_slug: str | None, with_token: bool = False) -> AdminAccount:
    """The administrator with this e-mail (district-wide without a school), made if missing.

    Idempotent per e-mail and school: a second call finds the account and
    changes nothing (unless a new API token is asked for, which replaces the
    old one).
    """
    address = email.strip().lower()
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise InvalidInput([("email", f"{email!r} is not an e-mail address")])
    school_id = None
    if school_slug is not None:
        school_id = (await school_by_slug(school_slug))["id"]
    where = (User.email == address) & (User.role == "admin")
    where &= User.school.is_null() if school_id is None else (User.school == school_id)
    row = await User.select(User.id).where(where).first().run()
    token = new_api_token() if with_token or row is None else None
    if row is not None:
        if with_token:
            await User.update({User.token_hash: hash_api_token(token), User.active: True}).where(
                User.id == row["id"]).run()
        return AdminAccount(user_id=row["id"], created=False, school=school_slug, token=token if with_token else None)
    made = await User.insert(User(role="admin", name=name.strip() or address, email=address, school=school_id,
                                  token_hash=hash_api_token(token))).returning(User.id).run()
    return AdminAccount(user_id=made[0]["id"], created=True, school=school_slug, token=token if with_token else None)


async def link_for(settings: Settings, user_id: int) -> str:
    """A one-time sign-in link for an account, valid for ``signin.INVITE_HOURS``."""
    return await signin.new_link(settings, user_id, dt.timedelta(hours=signin.INVITE_HOURS))


async def list_staff(actor: Principal, slug: str) -> list[dict[str, Any]]:
    """The school's administrators and interpreters with an account, active ones first."""
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    return await User.select(User.id, User.role, User.name, User.email, User.active, User.interpreter,
                             User.created_at).where(
        (User.school == school["id"]) & User.role.is_in(list(STAFF_ROLES))).order_by(
        User.active, ascending=False).order_by(User.role).order_by(User.name).run()


@use_case
async def _add(actor: Principal, school: dict[str, Any], role: str, name: str, email: str,
               interpreter_id: int | None) -> int:
    require_admin(actor, school["id"])
    address = email.strip().lower()
    problems: list[tuple[str, str]] = []
    if role not in STAFF_ROLES:
        problems.append(("role", f"a staff account is one of {', '.join(STAFF_ROLES)}"))
    if role == "interpreter":
        if interpreter_id is None:
            problems.append(("interpreter_id", "choose the interpreter this account signs in as"))
        elif not await Interpreter.exists().where((Interpreter.id == interpreter_id)
                                                  & (Interpreter.school == school["id"])).run():
            problems.append(("interpreter_id", f"no interpreter {interpreter_id} in this school"))
    if problems:
        raise InvalidInput(problems)
    if await User.exists().where((User.school == school["id"]) & (User.email == address) & (User.role == role)).run():
        raise Conflict(f"{address} already has a {role} account at this school", "email")
    made = await User.insert(User(role=role, name=name.strip(), email=address, school=school["id"],
                                  interpreter=interpreter_id if role == "interpreter" else None,
                                  token_hash=hash_api_token(new_api_token()))).returning(User.id).run()
    return made[0]["id"]


async def invite_staff(settings: Settings, actor: Principal, slug: str, role: str, name: str, email: str,
                       language: str, translator: signin.Translator, interpreter_id: int | None = None) -> bool:
    """Make the account, then e-mail its sign-in link; True when the e-mail went out (the account stays
    either way: a new link can be sent from the same page)."""
    school = await school_by_slug(slug)
    user_id = await _add(actor, school, role, name, email, interpreter_id)
    return await signin.send_link(settings, user_id, email.strip().lower(), language, translator,
                                  dt.timedelta(hours=signin.INVITE_HOURS))


async def _staff_user(actor: Principal, user_id: int) -> dict[str, Any]:
    row = await User.select().where(User.id == user_id).first().run()
    if row is None or row["role"] not in STAFF_ROLES or row["school"] is None:
        raise NotFound(f"no staff account {user_id}", "user_id")
    require_admin(actor, row["school"])
    return row


async def resend_link(settings: Settings, actor: Principal, user_id: int, language: str,
                      translator: signin.Translator) -> bool:
    row = await _staff_user(actor, user_id)
    if not row["active"]:
        raise Conflict("this account is deactivated; activate it first", "user_id")
    return await signin.send_link(settings, user_id, row["email"], language, translator,
                                  dt.timedelta(hours=signin.INVITE_HOURS))


@use_case
async def set_active(actor: Principal, user_id: int, active: bool) -> None:
    """Deactivate (every way in ends now) or activate again (they ask for a sign-in link)."""
    row = await _staff_user(actor, user_id)
    if row["id"] == actor.user_id and not active:
        raise Conflict("you cannot deactivate your own account", "user_id")
    values: dict[Any, Any] = {User.active: active}
    if not active:
        values[User.token_hash] = hash_api_token(new_api_token())  # the old token matches nothing now
        await WebSession.delete().where(WebSession.user == user_id).run()
        await SignInLink.delete().where((SignInLink.user == user_id) & SignInLink.used_at.is_null()).run()
    await User.update(values).where(User.id == user_id).run()
