"""Idempotency keys for booking POSTs: a retry returns the first answer and books nothing more.

The key is *claimed first*: its row is inserted at the start of the
request's write transaction, before the booking, and filled with the answer
at the end. A second request with the same key, arriving while the first
is still working, blocks on the unique index (``idempotency_user_key``)
until the first commits; its insert then fails, its transaction rolls back,
and its retry finds and replays the first answer. (Storing the key only at
the end let the loser run the booking itself and answer 409 "already
confirmed" about half the time on PostgreSQL.) If the first request fails,
its claim rolls back with it and the second simply does the work. On SQLite
the IMMEDIATE write transaction serialises the two anyway.

A key belongs to one request: the stored SHA-256 of method, path and body
must match, or the answer is 422 (a client reusing a key for another body
has a bug that replaying would hide).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from scheduler.accounts.tables import IdempotencyKey
from scheduler.core.auth import Principal
from scheduler.core.db import is_unique_violation, with_retries, writing
from scheduler.core.errors import InvalidInput

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
            mine = (IdempotencyKey.user == actor.user_id) & (IdempotencyKey.key == key)
            stored = await IdempotencyKey.select().where(mine).first().run()
            if stored is not None:
                if stored["route"] != route or (stored["request_hash"] and stored["request_hash"] != fingerprint):
                    raise InvalidInput([("Idempotency-Key", "this key was already used for a different request; "
                                                            "use a new key for a new request")])
                return stored["status_code"], stored["body"].encode()
            await IdempotencyKey.insert(IdempotencyKey(user=actor.user_id, key=key, route=route,
                                                       request_hash=fingerprint, status_code=_CLAIMED,
                                                       body="")).run()
            body = msgspec.json.encode(await work())
            await IdempotencyKey.update({IdempotencyKey.status_code: status,
                                         IdempotencyKey.body: body.decode()}).where(mine).run()
            return status, body

    async def replay_after_losing_the_claim() -> tuple[int, bytes]:
        try:
            return await attempt()
        except Exception as exc:
            if key is not None and is_unique_violation(exc):  # the other request committed first: replay it
                return await attempt()
            raise

    return await with_retries(replay_after_losing_the_claim)
