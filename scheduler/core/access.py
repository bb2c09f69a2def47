"""Who may call each route: declared once beside it, enforced before its body is read, proven for every role.

Every route handler carries exactly one :class:`Access` among its guards,
e.g. ``@get("/families/{family_id:int}", guards=[api.family("family_id")])``.
The guard authenticates (a bearer token for the API, the session cookie for
pages), checks the role, and, when the rule names a path parameter, looks up
which school, family or interpreter owns the object it names and checks the
caller against it -- all before Litestar reads or validates the request body,
so a caller who may not touch an object learns nothing from a validation
error about it. The services keep their own checks (they are also called
from pages, jobs and the demo); this is the declared contract, and
``tests/integration/test_role_matrix.py`` calls every route as every role
and fails for a route without a declaration.

Rules (``roles`` narrows who may pass at all):

* ``public``    anyone, signed in or not.
* ``token``     anyone who holds the secret in the address (a private feed or
                an e-mailed link); the route checks that secret itself.
* ``signed_in`` any signed-in user whose role is listed (``/users/me``).
* ``district``  district administrators only.
* ``admin``     administrators of the school that owns the object; district admins.
* ``member``    anyone of the school that owns the object (its families,
                interpreters, teachers and admins); district admins.
* ``family``    the family that owns the object, and its school's administrators.
* ``interpreter`` the interpreter that owns the object, and its school's administrators.

Which object a parameter names, and who owns it, is answered by one SQL
statement each feature registers with :func:`owner_of` (``family_id`` -> the
family's school and the family). SQL rather than a function so that the API's
credential check can run it in the same round trip as the token lookup
(:data:`AUTHENTICATORS_WITH_OWNER`): a guarded API request costs one query
before its handler runs, not two. Nothing here is cached, so a revoked
token, a deleted object or a changed owner is seen by the very next request
in every process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from scheduler.core.auth import (
    Principal,
    require_admin,
    require_district_admin,
    require_family_access,
    require_interpreter_access,
    require_member,
)
from scheduler.core.db import fetch
from scheduler.core.errors import Forbidden, NotFound, Unauthorized

MAX_ID = 2_147_483_647
RULES = ("public", "token", "signed_in", "district", "admin", "member", "family", "interpreter")
ALL_ROLES = frozenset({"admin", "family", "interpreter", "teacher"})


@dataclasses.dataclass(frozen=True)
class Owner:
    """Who an object belongs to: always a school (None: district-wide), sometimes a family or an interpreter."""

    school: int | None
    family: int | None = None
    interpreter: int | None = None


OWNERS: dict[str, str] = {}  # path parameter -> the SQL finding the owner of the object it names
FIXED_OWNERS: set[str] = set()  # those lookups whose answer never changes while the object exists


def owner_of(param: str, sql: str, fixed: bool = False) -> None:
    """Register how to find the owner of the object a path parameter names (one lookup per parameter name).

    ``sql`` is one statement with one ``{}`` placeholder (the parameter's
    value) selecting at most one row of exactly the columns ``school,
    family, interpreter`` (``NULL AS family`` for what the object does not
    have), e.g. ``SELECT school, id AS family, NULL AS interpreter FROM
    family WHERE id = {}``.

    ``fixed``: the owner is set when the object is made and never changes
    (an event's school), so a bearer request may take it from memory
    (``core.credential_cache``; a deletion is announced and forgets it).
    """
    if OWNERS.get(param, sql) != sql:
        raise RuntimeError(f"two owner lookups for path parameter {param!r}")
    OWNERS[param] = sql
    if fixed:
        FIXED_OWNERS.add(sql)


async def find_owner(param: str, value: Any) -> Owner | None:
    """The owner of the object ``value`` names, or None when there is no such object."""
    rows = await fetch(OWNERS[param], value)
    return owner_from(rows[0] if rows else None)


def owner_from(row: dict[str, Any] | None) -> Owner | None:
    """An :class:`Owner` from a row of an owner lookup (None: no such object)."""
    if row is None:
        return None
    return Owner(school=row["school"], family=row["family"], interpreter=row["interpreter"])


class SignInRequired(Unauthorized):
    """No (valid) credential: the API answers 401; the pages send the browser to /signin."""


# The credential a guard checks, set by the app: bearer tokens for the API, the session cookie for pages.
Authenticate = Callable[[Any], Awaitable[Any]]
AUTHENTICATORS: dict[str, Authenticate] = {}
# Optionally, per credential, the same check with an owner lookup joined into its query: (connection, owner
# SQL, value) -> (principal or None, the owner row or None). One round trip instead of two; same answers.
AuthenticateWithOwner = Callable[[Any, str, Any], Awaitable[tuple[Any, dict[str, Any] | None]]]
AUTHENTICATORS_WITH_OWNER: dict[str, AuthenticateWithOwner] = {}


@dataclasses.dataclass(frozen=True)
class Access:
    """A route's declaration, and the Litestar guard that enforces it."""

    rule: str
    param: str | None = None
    roles: frozenset[str] = ALL_ROLES
    via: str = "bearer"  # "bearer" (API) or "session" (pages)

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown access rule {self.rule!r}")
        if (self.param is None) == (self.rule in ("admin", "member", "family", "interpreter")):
            raise ValueError(f"rule {self.rule!r} {'needs' if self.param is None else 'takes no'} path parameter")

    async def __call__(self, connection: Any, _handler: Any) -> None:
        if self.rule in ("public", "token"):
            return
        if self.param is None:
            actor = await self.principal(connection)
            if self.rule == "district":
                require_district_admin(actor)
        else:
            value = connection.path_params.get(self.param)
            in_range = not isinstance(value, int) or 1 <= value <= MAX_ID  # ids are 32-bit serials
            actor, owner = await self.principal_and_owner(connection, value if in_range else None)
            if owner is None:
                raise NotFound(f"no {self.param.removesuffix('_id')} {value}", self.param)
            self.check(actor, owner)
        if actor.role not in self.roles:
            raise Forbidden("this is for another kind of account")

    async def principal(self, connection: Any) -> Principal:
        """The caller, authenticated once per request (kept in the request's state for the handler)."""
        state = connection.state
        if getattr(state, "principal", None) is None:
            state.principal = await AUTHENTICATORS[self.via](connection)
        return self._signed_in(state.principal)

    async def principal_and_owner(self, connection: Any, value: Any) -> tuple[Principal, Owner | None]:
        """The caller and the owner of the object the path names (None: no such object, or ``value`` is None).

        In one query when the credential offers it (the API's bearer token), else in two.
        """
        state = connection.state
        joined = AUTHENTICATORS_WITH_OWNER.get(self.via)
        if getattr(state, "principal", None) is None and joined is not None and value is not None:
            principal, row = await joined(connection, OWNERS[self.param], value)
            state.principal = principal
            return self._signed_in(principal), owner_from(row)
        actor = await self.principal(connection)
        return actor, await find_owner(self.param, value) if value is not None else None

    def _signed_in(self, principal: Principal | None) -> Principal:
        if principal is None:
            raise SignInRequired("sign in first: send 'Authorization: Bearer <token>'" if self.via == "bearer"
                                 else "sign in first", "authorization")
        return principal

    def check(self, actor: Principal, owner: Owner) -> None:
        """The rule applied to the caller and the owner of the object the route names (the services' own checks)."""
        if self.rule == "admin":
            require_admin(actor, owner.school)
        elif self.rule == "member":
            require_member(actor, owner.school)
        elif self.rule == "family":
            require_family_access(actor, owner.family, owner.school)
        elif self.rule == "interpreter":
            require_interpreter_access(actor, owner.interpreter, owner.school)


class Rules:
    """The declarations for one kind of credential: ``api`` (bearer tokens) and ``pages`` (session cookies)."""

    def __init__(self, via: str) -> None:
        self.via = via
        self.public = Access("public", via=via)
        self.token = Access("token", via=via)
        self.district = Access("district", roles=frozenset({"admin"}), via=via)

    def signed_in(self, *roles: str) -> Access:
        return Access("signed_in", roles=frozenset(roles) or ALL_ROLES, via=self.via)

    def admin(self, param: str) -> Access:
        return Access("admin", param, frozenset({"admin"}), self.via)

    def member(self, param: str, *roles: str) -> Access:
        return Access("member", param, frozenset(roles) or ALL_ROLES, self.via)

    def family(self, param: str, *roles: str) -> Access:
        return Access("family", param, frozenset(roles) or frozenset({"admin", "family"}), self.via)

    def interpreter(self, param: str, *roles: str) -> Access:
        return Access("interpreter", param, frozenset(roles) or frozenset({"admin", "interpreter"}), self.via)


api = Rules("bearer")
pages = Rules("session")


def declared(handler: Any) -> list[Access]:
    """The Access declarations among a route handler's guards (its own and its layers')."""
    return [g for g in handler.resolve_guards() if isinstance(g, Access)]
