"""Parameters every API route shares: the caller, paging, ids in the path, the Idempotency-Key header."""

from __future__ import annotations

import hashlib
from typing import Annotated

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, PathParameter, QueryParameter

from scheduler.core.auth import Principal
from scheduler.core.errors import Unauthorized

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0, le=2_147_483_647, description="rows to skip")]
Actor = NamedDependency[Principal]
PathId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False, max_length=200,
                                                       description="retry safely: the same key returns the first answer")]


async def provide_actor(request: Request) -> Principal:
    """The caller the route's guard authenticated (see ``scheduler.core.access``)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # every route declares access; this is only reached by one that admits everyone
        raise Unauthorized("send 'Authorization: Bearer <token>'", "authorization")
    return principal


async def fingerprint(request: Request) -> str:
    """What an Idempotency-Key is tied to: SHA-256 of this request's method, path and exact body."""
    body = await request.body()
    return hashlib.sha256(b"%s %s\n%s" % (request.method.encode(), request.url.path.encode(), body)).hexdigest()


def json_answer(status: int, body: bytes) -> Response:
    """A stored (or just encoded) JSON answer, sent as it is."""
    return Response(content=body, status_code=status, media_type="application/json")
