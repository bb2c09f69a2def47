"""Idempotency keys for booking POSTs: a retry returns the first answer and books nothing more.

The stored answer is written in the same transaction as the booking, so a
crash can never leave a booking without its key or a key without its
booking. Two requests racing with one key both try to store it; the unique
index lets one win, the loser's transaction rolls back, and its retry finds
the winner's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from scheduler.auth import Principal
from scheduler.db import is_unique_violation, with_retries, writing
from scheduler.errors import InvalidInput
from scheduler.tables import IdempotencyKey

MAX_KEY = 200


async def once(actor: Principal, key: str | None, route: str, status: int,
               work: Callable[[], Awaitable[Any]]) -> tuple[int, bytes]:
    """Run ``work`` in one write transaction, or replay the answer stored under ``key``."""
    if key is not None and not (0 < len(key) <= MAX_KEY):
        raise InvalidInput([("Idempotency-Key", f"must be 1 to {MAX_KEY} characters")])

    async def attempt() -> tuple[int, bytes]:
        async with writing():
            if key is not None:
                stored = await IdempotencyKey.select().where(
                    (IdempotencyKey.user == actor.user_id) & (IdempotencyKey.key == key)).first().run()
                if stored is not None:
                    if stored["route"] != route:
                        raise InvalidInput([("Idempotency-Key", "this key was already used for a different request")])
                    return stored["status_code"], stored["body"].encode()
            body = msgspec.json.encode(await work())
            if key is not None:
                await IdempotencyKey.insert(IdempotencyKey(user=actor.user_id, key=key, route=route,
                                                           status_code=status, body=body.decode())).run()
            return status, body

    async def attempt_once_more_on_key_race() -> tuple[int, bytes]:
        try:
            return await attempt()
        except Exception as exc:
            if key is not None and is_unique_violation(exc):
                return await attempt()
            raise

    return await with_retries(attempt_once_more_on_key_race)
