"""The one place errors become HTTP: every error answer is ``{status_code, detail, errors: [{field, message}]}``."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from scheduler.core.errors import DomainError
from scheduler.core.validation import problem
from scheduler.http.middleware import redact_path

log = logging.getLogger("family_bridge")


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
    log.warning("integrity error %s on %s %s", type(exc).__name__, request.method, redact_path(request.url.path))
    return _error(409, "this would break a reference between records; remove what depends on it first", [])


def internal_error(request: Request, exc: Exception) -> Response:
    """Never a stack trace to the client; the log gets the type, not the data."""
    log.exception("unhandled %s on %s %s", type(exc).__name__, request.method, redact_path(request.url.path))
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "internal error", [])


HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    NotAuthorizedException: http_error,
    HTTPException: http_error,
    asyncpg.ExclusionViolationError: booking_clash,
    asyncpg.IntegrityConstraintViolationError: integrity_error,
    sqlite3.IntegrityError: integrity_error,
    Exception: internal_error,
}
