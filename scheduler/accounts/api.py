"""HTTP routes for users (enrol someone: their token is shown once; who am I), and the API's credential."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.connection import ASGIConnection
from litestar.params import FromPath, JSONBody

from scheduler.accounts import services
from scheduler.accounts.schemas import NewUserOut, UserIn, UserOut
from scheduler.core.access import AUTHENTICATORS, AUTHENTICATORS_WITH_OWNER, api
from scheduler.core.auth import Principal
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


async def bearer_principal(connection: ASGIConnection) -> Principal | None:
    """The API's credential: ``Authorization: Bearer <token>`` (None when absent; 401 when unknown)."""
    token = _bearer_token(connection)
    return None if token is None else await services.authenticate(token)


async def bearer_principal_and_owner(connection: ASGIConnection, owner_sql: str, value: Any
                                     ) -> tuple[Principal | None, dict[str, Any] | None]:
    """The same, with a route guard's owner lookup in the same query (``scheduler.core.access``)."""
    token = _bearer_token(connection)
    if token is None:
        return None, None
    return await services.authenticate_with_owner(token, owner_sql, value)


AUTHENTICATORS["bearer"] = bearer_principal
AUTHENTICATORS_WITH_OWNER["bearer"] = bearer_principal_and_owner
