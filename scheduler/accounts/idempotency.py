"""Idempotency keys for booking POSTs: a retry returns the first answer and books nothing more.

The key is *claimed first*: its row is inserted at the start of the
request's write transaction, before the booking, and filled with the answer
at the end. A second request with the same key, arriving while the first
is still working, waits on the unique index (``idempotency_user_key``)
until the first commits; its ``INSERT … ON CONFLICT DO NOTHING`` then
inserts nothing, and the same transaction reads and replays the first
answer (a new statement sees the committed row). (Storing the key only at
the end let the loser run the booking itself and answer 409 "already
confirmed" about half the time on PostgreSQL.) If the first request fails,
its claim rolls back with it and the second's insert simply goes through.
On SQLite the IMMEDIATE write transaction serialises the two anyway.

Two statements in the common case (the claim, and the answer written into
it), as raw SQL: this runs on every booking, and Piccolo's query building
cost more CPU than the database did.

A key belongs to one request: the stored SHA-256 of method, path and body
must match, or the answer is 422 (a client reusing a key for another body
has a bug that replaying would hide).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from scheduler.core.auth import Principal
from scheduler.core.db import fetch, with_retries, writing
from scheduler.core.errors import InvalidInput
from scheduler.core.timeutil import utcnow

MAX_KEY = 200
_CLAIMED = 0  # status_code of a key whose request is still running (rows are only seen so once it failed midway)


async def once(actor: Principal, key: str | None, route: str, status: int,
               work: Callable[[], Awaitable[Any]], fingerprint: str = "") -> tuple[int, bytes]:
    """Run ``work`` in one write transaction, or replay the answer stored under ``key``.

    ``route`` names the use case (``register:12``); ``fingerprint`` is the
    request's hash (``scheduler.http.params.fingerprint``; the pages, which send no key, pass none).
    """
    if key is not None and not (0 < len(key) <= MAX_KEY):
        raise InvalidInput([("Idempotency-Key", f"must be 1 to {MAX_KEY} characters")])

    async def attempt() -> tuple[int, bytes]:
        async with writing():
            if key is None:
                return status, msgspec.json.encode(await work())
            claim = await fetch(_CLAIM, actor.user_id, key, route, fingerprint, _CLAIMED, "", utcnow())
            if not claim:  # the key was used before (perhaps by a request that committed a moment ago)
                stored = (await fetch(_STORED, actor.user_id, key))[0]
                if stored["route"] != route or (stored["request_hash"] and stored["request_hash"] != fingerprint):
                    raise InvalidInput([("Idempotency-Key", "this key was already used for a different request; "
                                                            "use a new key for a new request")])
                return stored["status_code"], stored["body"].encode()
            body = msgspec.json.encode(await work())
            await fetch(_ANSWER, status, body.decode(), claim[0]["id"])
            return status, body

    return await with_retries(attempt)


_CLAIM = ('INSERT INTO idempotency_key ("user", key, route, request_hash, status_code, body, created_at) '
          "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING RETURNING id")
_STORED = 'SELECT route, request_hash, status_code, body FROM idempotency_key WHERE "user" = {} AND key = {}'
_ANSWER = "UPDATE idempotency_key SET status_code = {}, body = {} WHERE id = {}"
