"""What the OpenAPI document says of each operation: a summary and description, and every error it can give.

Every error has one shape (``{status_code, detail, errors: [{field, message}]}``,
see app.py). Which codes an operation can answer follows from what it is:
its access declaration (401/403 unless public), its method (a body can be too
large or conflict with stored state), its address (rate-limited groups, feeds
that answer 304). Writing them once here keeps the document complete for
every route, old and new, and lets a fuzzer check that no answer is
undocumented (schemathesis ``status_code_conformance``).
"""

from __future__ import annotations

import inspect
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from msgspec import Struct

from scheduler.core.access import declared
from scheduler.http.middleware import rate_limit_group


class ErrorItem(Struct):
    field: str
    message: str


class ErrorOut(Struct):
    """Every error answer: the status again, a sentence, and each problem with the field it is about."""

    status_code: int
    detail: str
    errors: list[ErrorItem]


WHY = {
    400: "malformed: a parameter, the body or the address is not what this operation takes (the field is named)",
    401: "no credential, or an unknown or revoked one",
    403: "the caller's role or school may not do this",
    404: "no such object, or none the caller may see",
    409: "clashes with what is stored: taken, full, already done, or changed since",
    413: "the body is larger than the limit for this address",
    422: "well-formed, but a value is wrong (each field is named)",
    429: "too many requests from this address to this group of links; wait for Retry-After seconds",
    503: "not ready: the database does not answer or lacks migrations",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FEEDS = ("/calendars/",)


#: reads whose answer depends on the object's state: a cancelled meeting, or a week not published, has no
#: free times to move to, and saying so (409) is more use than an empty list
READS_THAT_CONFLICT = frozenset({"/conference-meetings/{meeting_id:int}/free-slots"})


def error_codes(methods: set[str], path: str, rule: str) -> list[int]:
    """The error statuses an operation can answer (see the module docstring)."""
    codes = {400, 404, 422}
    if rule not in ("public", "token"):
        codes |= {401, 403}
    if rule == "token":
        codes.add(403)  # a link that is malformed or signed for something else
    if methods & WRITES:
        codes |= {409, 413}
    if path in READS_THAT_CONFLICT:
        codes.add(409)
    if rate_limit_group(path) is not None:
        codes.add(429)
    if path == "/ready":
        codes.add(503)
    return sorted(codes)


def document_operations(app: Any) -> None:
    """A summary, a description and the error answers of every documented operation (before the schema is
    first built): the summary is the first line of the handler's docstring, the description all of it."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            access = declared(handler)
            if not handler.include_in_schema or not access:
                continue
            doc = inspect.cleandoc(getattr(handler.fn, "__doc__", None) or "")
            if doc and handler.summary is None:
                handler.summary = doc.split("\n", 1)[0].rstrip(".")
            if doc and handler.description is None:
                handler.description = doc
            responses = dict(handler.responses or {})
            methods = handler.http_methods
            for code in error_codes(set(methods), route.path, access[0].rule):
                responses.setdefault(code, ResponseSpec(data_container=ErrorOut, description=WHY[code], generate_examples=False))
            if route.path.startswith(FEEDS) and "GET" in methods:
                responses.setdefault(304, ResponseSpec(data_container=None, generate_examples=False, description="not modified since the "
                                                       "ETag or date the client sent"))
            handler.responses = responses
