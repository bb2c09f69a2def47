"""create_app(): routes, database lifespan, OpenAPI, and the one place errors become HTTP."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from litestar import Litestar, Request, Response, get
from litestar.di import Provide
from litestar.connection import ASGIConnection
from litestar.types import Empty
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from calendars import api as calendars_api
from resources import api as resources_api
from scheduler import api as scheduler_api
from scheduler import bookings_api
from scheduler import notifications_api
from scheduler import conference_api
from scheduler import data_rights_api
from scheduler import hardening
from scheduler import plans_api
from scheduler import services
from scheduler import web
from scheduler.auth import Principal
from scheduler.db import bind, engine_from_url, is_postgres
from scheduler.errors import DomainError, Unauthorized
from scheduler.settings import Settings, get_settings
from scheduler.openapi import document_errors
from scheduler.validation import FORM_CONTROL, MAX_JSON_DEPTH, nests_deeper, problem
from scheduler.access import AUTHENTICATORS, api

log = logging.getLogger("family_bridge")


class GuardedRequest(Request):
    """Bodies checked before anything reads them: JSON not nested too deeply, form fields without control characters.

    The JSON decoders recurse: a 2 KB body of 1,000 nested lists raised
    RecursionError (a 500). A NUL in a form field reached PostgreSQL, which
    cannot store it (a 500 again). Both are a 400 naming the body or the field.
    """

    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty and nests_deeper(await self.body()):
            raise DomainError(f"the JSON body nests arrays or objects more than {MAX_JSON_DEPTH} levels deep",
                              "body")
        return await super().json()

    async def form(self) -> Any:
        data = await super().form()
        for key, value in data.multi_items():
            if isinstance(value, str) and FORM_CONTROL.search(value):
                raise DomainError(f"{key}: control characters are not allowed", key)
        return data


async def bearer_principal(connection: ASGIConnection) -> Principal | None:
    """The API's credential: ``Authorization: Bearer <token>`` (None when absent; 401 when unknown)."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await services.authenticate(token.strip())


AUTHENTICATORS["bearer"] = bearer_principal


async def provide_actor(request: Request) -> Principal:
    """The caller the route's guard authenticated (see ``scheduler.access``)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # every route declares access; this is only reached by one that admits everyone
        raise Unauthorized("send 'Authorization: Bearer <token>'", "authorization")
    return principal


@get("/health", tags=["service"], guards=[api.public])
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


def _error(status: int, detail: str, errors: list[dict[str, str]]) -> Response:
    return Response({"status_code": status, "detail": detail, "errors": errors}, status_code=status)


def domain_error(_: Request, exc: DomainError) -> Response:
    return _error(exc.status_code, exc.message, exc.as_items())


def validation_error(_: Request, exc: ValidationException) -> Response:
    """Decoder errors name the field the same way domain errors do (see ``validation.problem``)."""
    items = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message, key = str(item.get("message", "")), str(item.get("key") or "")
            source = str(item.get("source") or "")
            if key == "data" and exc.__cause__ is not None and "- at `$" in str(exc.__cause__) \
                    and "- at `$" not in message:
                message = str(exc.__cause__)  # a list body: Litestar drops the index, the decoder's own error keeps it
            # a body's fields are named from its root; a parameter's by its own name
            field, message = problem(message.replace("- at `$.data", "- at `$"), "" if key == "data" else key)
            if source and not field:
                field = key
            items.append({"field": field, "message": message})
    detail = "; ".join(f"{i['field']}: {i['message']}" if i["field"] else i["message"] for i in items) or exc.detail
    return _error(exc.status_code, detail, items)


def http_error(_: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, exc.detail, [])


def booking_clash(_: Request, exc: Exception) -> Response:
    """PostgreSQL's exclusion constraint caught an overlap the services did not (a race)."""
    return _error(409, "this clashes with another booking of the same person at that time", [])


def integrity_error(request: Request, exc: Exception) -> Response:
    """A database rule the services did not foresee (a reference still in use): the client's conflict, not a crash."""
    log.warning("integrity error %s on %s %s", type(exc).__name__, request.method, hardening.redact_path(request.url.path))
    return _error(409, "this would break a reference between records; remove what depends on it first", [])


def internal_error(request: Request, exc: Exception) -> Response:
    """Never a stack trace to the client; the log gets the type, not the data."""
    log.exception("unhandled %s on %s %s", type(exc).__name__, request.method, hardening.redact_path(request.url.path))
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "internal error", [])


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def database(_: Litestar) -> AsyncIterator[None]:
        engine = engine_from_url(settings.database_url)
        bind(engine)
        if is_postgres(engine):
            await engine.start_connection_pool(min_size=1, max_size=settings.db_pool_size)
        jobs = None
        if settings.jobs_in_process:  # reminders and e-mail in this process (FB_JOBS_IN_PROCESS)
            from scheduler.jobs import build_scheduler

            jobs = build_scheduler(settings)
            jobs.start()
        try:
            yield
        finally:
            if jobs is not None:
                jobs.shutdown(wait=False)
            if is_postgres(engine):
                await engine.close_connection_pool()

    app = Litestar(
        route_handlers=[health, hardening.ready, *resources_api.ROUTES, *scheduler_api.ROUTES, *calendars_api.ROUTES,
                        *data_rights_api.ROUTES, *bookings_api.ROUTES, *plans_api.ROUTES, *notifications_api.ROUTES,
                        *conference_api.ROUTES, web.router()],
        dependencies={"actor": Provide(provide_actor)},
        lifespan=[database],
        request_class=GuardedRequest,
        template_config=web.TEMPLATES,
        exception_handlers={
            DomainError: domain_error,
            ValidationException: validation_error,
            NotAuthorizedException: http_error,
            HTTPException: http_error,
            asyncpg.ExclusionViolationError: booking_clash,
            asyncpg.IntegrityConstraintViolationError: integrity_error,
            sqlite3.IntegrityError: integrity_error,
            Exception: internal_error,
        },
        openapi_config=OpenAPIConfig(
            title="Family Bridge",
            version="0.1.0",
            path="/schema",
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
        ),
        request_max_body_size=hardening.body_ceiling(settings),
        logging_config=None,  # serve/worker configure logging (hardening.logging_config); Litestar's would replace it
        debug=False,
    )
    app.state.settings = settings
    document_errors(app)
    return hardening.install(app, settings)  # headers, request ids, access log, rate and body limits
