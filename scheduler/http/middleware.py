"""What a public deployment needs around the app: request ids, security headers, the access log, limits.

Everything here is plain ASGI wrapped around Litestar's own handler (see :func:`install`), not
Litestar route middleware, because route middleware runs only after routing: an unknown path, a
405 or a refused body would then get no security headers, no request id and no log line. The pieces:

* :class:`RequestContext` -- a request id (a sane incoming ``X-Request-ID`` or a new one) echoed in
  the response and attached to every log line of the request; security headers on every response;
  one access-log line per request with the route template and a *redacted* path (no query string,
  no tokens), the status and the duration -- never a body, a name or an address.
* :class:`RateLimit` -- token buckets per client address and route group
  (:data:`RATE_LIMITED_PREFIXES`) answering 429 with ``Retry-After``. The buckets live in the
  database, so the limit holds across ``serve --workers N`` processes.
* :class:`AddressGuard` -- 400 for a control character in the path or query string.
* :class:`BodyLimit` -- a body over the limit is refused with 413 *before* it is read: by
  ``Content-Length`` at once, and by counting while a chunked body streams in.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import logging.config
import logging.handlers
import math
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from litestar import Litestar

from scheduler.core.db import fetch
from scheduler.core.errors import PayloadTooLarge
from scheduler.core.settings import Settings

access_log = logging.getLogger("family_bridge.access")


request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


# A request id from a proxy or a client is kept when it is short and plain (it ends up in log lines
# and a response header, so nothing that could break either); anything else is replaced.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}$")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The incoming ``X-Request-ID`` when it is sane, else a new random one (32 hex characters)."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            try:
                candidate = value.decode("ascii")
            except UnicodeDecodeError:
                break
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


# Path prefixes whose next segment is a credential: private feed links, sign-in links, preferences links.
TOKEN_PATH_PREFIXES: tuple[str, ...] = ("/calendars/private/", "/calendars/teachers/", "/feeds/", "/signin/",
                                        "/magic-link/", "/preferences/", "/email-preferences/")


# Elsewhere, a long mixed-case URL-safe segment (a random token; slugs are lower case) or a long hex
# string is treated as a token too -- belt and braces for routes added later -- and so is anything
# that looks like an e-mail address.
_TOKEN_LIKE = re.compile(r"^(?=[A-Za-z0-9_.=-]*[A-Z])(?=[A-Za-z0-9_.=-]*[a-z0-9])[A-Za-z0-9_.=-]{20,}$|^[0-9a-fA-F]{32,}$")


REDACTED = "<redacted>"


def _secret_like(segment: str) -> bool:
    return "@" in segment or "%40" in segment.lower() or bool(_TOKEN_LIKE.match(segment.removesuffix(".ics")))


def _redact_segment(segment: str) -> str:
    suffix = ".ics" if segment.endswith(".ics") else ""
    return REDACTED + suffix


def redact_path(path: str) -> str:
    """The path as logs may show it: tokens and e-mail addresses replaced, ``.ics`` kept.

    ``/calendars/private/3q2+...x.ics`` becomes ``/calendars/private/<redacted>.ics``.
    The query string is never part of ``path`` (ASGI keeps it apart), so it never reaches a log.
    """
    for prefix in TOKEN_PATH_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            head, _, rest = path[len(prefix):].partition("/")
            path = prefix + _redact_segment(head) + ("/" + rest if rest else "")
            break
    return "/".join(_redact_segment(p) if _secret_like(p) else p for p in path.split("/"))


CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=(), browsing-topics=()")


HSTS = "max-age=31536000"


# The OpenAPI viewers under /schema load their scripts and styles from a CDN and inline; the strict
# policy would leave those pages blank. They show no user data, so they go without a CSP (the JSON
# schema itself, like every other response, keeps it).
CSP_EXEMPT_PREFIXES: tuple[str, ...] = ("/schema",)


CSP_EXEMPT_PATHS: tuple[str, ...] = ("/schema/openapi.json", "/schema/openapi.yaml", "/schema/openapi.yml")


def security_headers(settings: Settings, path: str) -> list[tuple[bytes, bytes]]:
    """The headers every response carries.

    ``Referrer-Policy: no-referrer`` matters most here: feed and sign-in
    tokens live in URLs, and a page must never leak its own address to a
    site it links to. HSTS only when the public address is https: sent over
    plain http it would be ignored, and a local demo must not pin itself.
    """
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
               (b"x-frame-options", b"DENY"), (b"permissions-policy", PERMISSIONS_POLICY.encode())]
    if not (path.startswith(CSP_EXEMPT_PREFIXES) and path not in CSP_EXEMPT_PATHS):
        headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    if settings.public_url.startswith("https://"):
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


def error_body(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> bytes:
    """``{status_code, detail, errors}``: the shape app.py gives every error."""
    return json.dumps({"status_code": status, "detail": detail, "errors": errors or []}).encode()


async def send_error(send: Callable, status: int, detail: str, errors: list[dict[str, str]] | None = None,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = error_body(status, detail, errors)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


# Probes hit these every few seconds; their successes are not worth a log line each.
QUIET_PATHS = frozenset({"/health", "/ready"})


class RequestContext:
    """Request id, security headers and the access-log line, around everything else."""

    def __init__(self, app: Callable, settings: Settings) -> None:
        self.app, self.settings = app, settings
        # the headers depend only on the settings and on whether the path is CSP-exempt: built twice, here
        self._headers = {exempt: security_headers(settings, "/schema" if exempt else "/") for exempt in (True, False)}

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_from(scope.get("headers") or [])
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        path = scope.get("path", "")
        exempt = path.startswith(CSP_EXEMPT_PREFIXES) and path not in CSP_EXEMPT_PATHS
        extra_headers = [*self._headers[exempt], (b"x-request-id", rid.encode())]
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                present = {name.lower() for name, _ in message.get("headers") or []}
                message["headers"] = [*(message.get("headers") or []),
                                      *((n, v) for n, v in extra_headers if n not in present)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if not (path in QUIET_PATHS and status < 400):
                route = scope.get("path_template") or None
                shown = redact_path(path)
                duration = round((time.perf_counter() - started) * 1000, 1)
                access_log.info("%s %s %s %.1f ms", scope.get("method", ""), shown, status, duration,
                                extra={"request_id": rid, "method": scope.get("method", ""), "path": shown,
                                       "route": route, "status": status, "duration_ms": duration})
            request_id_var.reset(token)


# Route groups that carry a credential in the URL, by path prefix. The limit applies per client
# address and group; add a prefix here to protect a new route (e.g. the web sign-in pages).
RATE_LIMITED_PREFIXES: dict[str, tuple[str, ...]] = {
    "feeds": ("/calendars/private/", "/calendars/teachers/", "/feeds/"),
    "signin": ("/signin", "/magic-link", "/preferences/", "/email-preferences/"),
}


def client_key(host: str) -> str:
    """The address a budget belongs to: IPv4 as is, IPv6 by its /64 (one home or phone holds a whole /64)."""
    if ":" in host:
        try:
            return str(ipaddress.IPv6Network(f"{host}/64", strict=False).network_address)
        except ValueError:
            return host
    return host


def rate_limit_group(path: str) -> str | None:
    for group, prefixes in RATE_LIMITED_PREFIXES.items():
        if path.startswith(prefixes):
            return group
    return None


class TokenBuckets:
    """A token bucket per key, kept in the database: bursts up to ``per_minute``, refilled at ``per_minute`` a minute.

    In the database (table ``rate_limit_bucket``) so that every server
    process spends the same budget: with ``serve --workers N`` a client gets
    the limit, not N times it. One statement per request: an upsert that
    refills the bucket for the time since its last use and takes a token,
    *only if* one is there (``ON CONFLICT … DO UPDATE … WHERE``); when no row
    comes back the request is refused and one more read says for how long.
    Atomic on both engines (a row lock on PostgreSQL, the write lock on
    SQLite). Rows idle for an hour are full buckets: every ``sweep_every``
    takes a process deletes them, so a flood of addresses leaves no lasting
    trace. ``clock`` is seconds since the epoch (shared by the processes).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time, sweep_every: int = 10_000) -> None:
        self.capacity, self.rate, self.clock = float(per_minute), per_minute / 60.0, clock
        self.sweep_every, self.taken = sweep_every, 0

    async def take(self, key: str) -> float:
        """0 when the request may go, else the seconds until one more token is available."""
        now = self.clock()
        self.taken += 1
        if self.taken % self.sweep_every == 0:
            await fetch("DELETE FROM rate_limit_bucket WHERE stamp < {}", now - 3600.0)
        refill = ("CASE WHEN rate_limit_bucket.tokens + ({} - rate_limit_bucket.stamp) * {} > {} "
                  "THEN {} ELSE rate_limit_bucket.tokens + ({} - rate_limit_bucket.stamp) * {} END")
        refill_args = (now, self.rate, self.capacity, self.capacity, now, self.rate)
        taken = await fetch(
            "INSERT INTO rate_limit_bucket (key, tokens, stamp) VALUES ({}, {}, {}) ON CONFLICT (key) DO UPDATE "
            f"SET tokens = {refill} - 1, stamp = {{}} WHERE {refill} >= 1 RETURNING tokens",
            key, self.capacity - 1, now, *refill_args, now, *refill_args)
        if taken:
            return 0.0
        left = await fetch(f"SELECT {refill} AS tokens FROM rate_limit_bucket WHERE key = {{}}", *refill_args, key)
        tokens = left[0]["tokens"] if left else self.capacity
        return max(0.0, (1.0 - tokens) / self.rate)


class RateLimit:
    """429 with ``Retry-After`` once a client address spends its group's budget (see module docstring)."""

    def __init__(self, app: Callable, settings: Settings) -> None:
        self.app = app
        limits = {"feeds": settings.rate_limit_feeds_per_minute, "signin": settings.rate_limit_signin_per_minute}
        self.buckets = {group: TokenBuckets(n) for group, n in limits.items() if n > 0}

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        group = rate_limit_group(scope.get("path", "")) if scope["type"] == "http" else None
        if group is not None and group in self.buckets:
            client = scope.get("client")
            wait = await self.buckets[group].take(f"{group} {client_key(client[0]) if client else ''}")
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                await send_error(send, 429, f"too many requests to these links from your address; "
                                            f"try again in {seconds} s", headers=[(b"retry-after", str(seconds).encode())])
                return
        await self.app(scope, receive, send)


# Paths that take a calendar file (PUT .../busy.ics) or a roster (POST .../roster/imports, the roster
# page's preview) get FB_MAX_UPLOAD_BYTES; every other body FB_MAX_BODY_BYTES. Add a pattern here for
# another upload route (e.g. a web page's file form).
UPLOAD_PATHS: tuple[re.Pattern[str], ...] = (re.compile(r"\.ics$"),
                                             re.compile(r"/roster/(?:imports|[^/]+/preview)$"))


def body_limit(settings: Settings, path: str) -> int:
    return settings.max_upload_bytes if any(p.search(path) for p in UPLOAD_PATHS) else settings.max_body_bytes


def body_ceiling(settings: Settings) -> int:
    """Litestar's own ``request_max_body_size`` (a backstop behind :class:`BodyLimit`): the larger limit."""
    return max(settings.max_body_bytes, settings.max_upload_bytes)


def _too_large(size: int | None, limit: int) -> PayloadTooLarge:
    said = f"is {size} bytes" if size is not None else "is larger than that"
    return PayloadTooLarge(f"the request body {said}; the limit for this address is {limit} bytes", "body")


class BodyLimit:
    """413 for a body over the limit, without reading it.

    A declared ``Content-Length`` over the limit is answered at once (with
    ``Connection: close``: the rest of the body is never read, so the
    connection cannot be reused). A chunked body is counted as the app reads
    it; the first chunk past the limit raises :class:`PayloadTooLarge`
    inside the app, whose error handler answers 413 in the usual shape.
    """

    def __init__(self, app: Callable, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope.get("path", ""))
        declared = None
        for name, value in scope.get("headers") or []:
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                break
        if declared is not None and declared > limit:
            error = _too_large(declared, limit)
            await send_error(send, 413, error.message, error.as_items(), headers=[(b"connection", b"close")])
            return
        seen = 0

        async def counted_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(None, limit)
            return message

        await self.app(scope, counted_receive, send)


_CONTROL_BYTES = re.compile(rb"[\x00-\x1f\x7f]")


class AddressGuard:
    """400 for a path or query string with a control character (``%00`` and friends), before any route sees it.

    Every path and query parameter is text that may reach the database, and
    PostgreSQL cannot even store a NUL (it answered 500). No address of ours
    needs a control character, so this one check covers every route.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            path = (scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")).partition(b"?")[0]
            for field, raw in (("path", path), ("query", scope.get("query_string") or b"")):
                if _CONTROL_BYTES.search(unquote_to_bytes(raw)):
                    await send_error(send, 400, f"the address contains a control character in its {field}",
                                     [{"field": field, "message": "control characters are not allowed"}])
                    return
        await self.app(scope, receive, send)


def install(app: Litestar, settings: Settings) -> Litestar:
    """Wrap the app's ASGI handler: context (outermost), then rate limit, then address and body limits.

    Outermost so that the 429 and 413 answered here carry the request id and
    security headers and get their log line too. ``asgi_handler`` is what
    Litestar calls for every HTTP request after its lifespan handling.
    """
    app.asgi_handler = RequestContext(RateLimit(AddressGuard(BodyLimit(app.asgi_handler, settings)), settings),
                                      settings)
    return app
