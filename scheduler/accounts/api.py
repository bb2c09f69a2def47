"""HTTP routes for users (enrol someone: their token is shown once; who am I), and the API's credential."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.params import FromPath, JSONBody

from scheduler.accounts import services
from scheduler.accounts.schemas import NewUserOut, UserIn, UserOut
from scheduler.core.access import AUTHENTICATORS, AUTHENTICATORS_WITH_OWNER, FIXED_OWNERS, api
from scheduler.core.auth import Principal, hash_api_token
from scheduler.core.credential_cache import CredentialCache
from scheduler.core.db import fetch
from scheduler.http.params import Actor


class SchoolUsersController(Controller):
    path = "/schools/{slug:str}/users"
    tags = ["users"]

    @post("/", guards=[api.admin("slug")])
    async def create_user(self, actor: Actor, slug: FromPath[str], data: JSONBody[UserIn]) -> NewUserOut:
        """Enrol a family, an interpreter or an administrator of the school; the API token is shown once."""
        return await services.create_user(actor, slug, data)


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @post("/", guards=[api.district])
    async def create_admin(self, actor: Actor, data: JSONBody[UserIn]) -> NewUserOut:
        """District administrators enrol other district-level administrators."""
        return await services.create_user(actor, None, data)

    @get("/me", guards=[api.signed_in()])
    async def me(self, actor: Actor) -> UserOut:
        """Who the token belongs to: role, school, family or interpreter."""
        return await services.me(actor)


ROUTES = [SchoolUsersController, UserController]


def _bearer_token(connection: ASGIConnection) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


_NO_CACHE = CredentialCache()  # never enabled: SQLite, or an app without a listener


def _cache(connection: ASGIConnection) -> CredentialCache:
    return getattr(connection.app.state, "credentials", None) or _NO_CACHE


async def bearer_principal(connection: ASGIConnection) -> Principal | None:
    """The API's credential: ``Authorization: Bearer <token>`` (None when absent; 401 when unknown).

    Remembered for a few seconds where revocations are announced (``core.credential_cache``).
    """
    token = _bearer_token(connection)
    if token is None:
        return None
    cache = _cache(connection)
    token_hash = hash_api_token(token)
    generation = cache.generation
    principal = cache.principal(token_hash) or await services.authenticate(token)
    cache.remember(generation, token_hash, principal)
    return principal


async def bearer_principal_and_owner(connection: ASGIConnection, owner_sql: str, value: Any
                                     ) -> tuple[Principal | None, dict[str, Any] | None]:
    """The same, with a route guard's owner lookup in the same query (``scheduler.core.access``).

    From memory when both are remembered; an owner is remembered only when it cannot change (``FIXED_OWNERS``).
    """
    token = _bearer_token(connection)
    if token is None:
        return None, None
    cache = _cache(connection)
    token_hash = hash_api_token(token)
    generation = cache.generation
    fixed = owner_sql in FIXED_OWNERS
    principal = cache.principal(token_hash)
    owner = cache.owner(owner_sql, value) if fixed else None
    if principal is None:
        principal, owner = await services.authenticate_with_owner(token, owner_sql, value)
    elif owner is None:
        rows = await fetch(owner_sql, value)
        owner = rows[0] if rows else None
    cache.remember(generation, token_hash, principal, (owner_sql, value) if fixed else None, owner)
    return principal, owner


AUTHENTICATORS["bearer"] = bearer_principal
AUTHENTICATORS_WITH_OWNER["bearer"] = bearer_principal_and_owner
