"""Who a bearer token is, and who owns an object, remembered for a few seconds -- only where that is safe.

A registration used to spend one of its nine round trips on the token and
the event's owner. Remembering both saves it, but a remembered credential
must stop working the moment it is revoked, in every process. So this
cache is on only where revocations reach every process at commit:

* PostgreSQL triggers (migration ``credential notices``) send ``NOTIFY
  fb_credentials`` when an ``app_user`` row's token, role, school, family
  or interpreter changes or the row is deleted (deactivation, erasure,
  cascades from a deleted school or family, hand-written SQL: whatever the
  path), with the old token hash as payload; and when an event or a
  registration is deleted (payload ``owners``). A NOTIFY is delivered when
  its transaction commits, so a revocation is seen by every listening
  process a few milliseconds after it is committed.
* Each process listens on a connection of its own (:func:`listen`); the
  notice evicts that token (or every owner). While that connection is down,
  or on SQLite (no NOTIFY), nothing is served from memory: every request
  asks the database, as before.

Invalidation rule, in one line: an entry lives until a notice names it, the
listener is lost, or ``TTL`` passes (a backstop should a notice ever be
missed). A lookup that started before a notice is not stored after it (the
``generation`` check), so a slow request cannot put back what a revocation
just evicted.

Only owners that cannot change are remembered (``fixed`` in
``core.access.owner_of``): an event's school and a registration's family
are set once. A deleted one is forgotten by its notice; in between the
services' own lookups answer 404 as they always did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

CHANNEL = "fb_credentials"
OWNERS_CHANGED = "owners"
TTL = 30.0  # seconds: a backstop only; notices evict at once
MAX_ENTRIES = 50_000  # more distinct tokens than this in TTL seconds: start again rather than grow
RECONNECT_SECONDS = 5.0

log = logging.getLogger("family_bridge.credentials")


class CredentialCache:
    def __init__(self) -> None:
        self.enabled = False
        self.generation = 0
        self._principals: dict[str, tuple[float, Any]] = {}
        self._owners: dict[tuple[str, Any], tuple[float, dict[str, Any]]] = {}

    def principal(self, token_hash: str) -> Any | None:
        hit = self._principals.get(token_hash) if self.enabled else None
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def owner(self, sql: str, value: Any) -> dict[str, Any] | None:
        hit = self._owners.get((sql, value)) if self.enabled else None
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def remember(self, generation: int, token_hash: str | None = None, principal: Any = None,
                 owner_key: tuple[str, Any] | None = None, owner: dict[str, Any] | None = None) -> None:
        """Store what a lookup found -- unless a notice arrived since it started (``generation``)."""
        if not self.enabled or generation != self.generation:
            return
        if len(self._principals) + len(self._owners) > MAX_ENTRIES:
            self.forget_all()
        expires = time.monotonic() + TTL
        if token_hash is not None and principal is not None:
            self._principals[token_hash] = (expires, principal)
        if owner_key is not None and owner is not None:
            self._owners[owner_key] = (expires, owner)

    def notice(self, payload: str) -> None:
        """A revocation committed somewhere: forget what it names."""
        self.generation += 1
        if payload == OWNERS_CHANGED:
            self._owners.clear()
        else:
            self._principals.pop(payload, None)

    def forget_all(self) -> None:
        self.generation += 1
        self._principals.clear()
        self._owners.clear()

    def set_enabled(self, enabled: bool) -> None:
        self.forget_all()
        self.enabled = enabled


class Listener:
    """This app's LISTEN connection and its cache, which is on exactly while the connection is up.

    One per app (``app.state.credentials``), not one per process: tests run
    several apps on several databases in one process, and a token hash means
    a different user in each.
    """

    def __init__(self, connect: Any) -> None:
        self.cache = CredentialCache()
        self._connect = connect  # async () -> asyncpg connection
        self._connection: Any = None
        self._task: asyncio.Task | None = None
        self._closing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_listening())

    async def _keep_listening(self) -> None:
        while not self._closing:
            if self._connection is None or self._connection.is_closed():
                self.cache.set_enabled(False)
                try:
                    self._connection = await self._connect()
                    self._connection.add_termination_listener(lambda _c: self.cache.set_enabled(False))
                    await self._connection.add_listener(CHANNEL, lambda _c, _pid, _ch, payload: self.cache.notice(payload))
                    self.cache.set_enabled(True)
                except Exception as exc:  # noqa: BLE001 - the database is down: no cache, try again later
                    log.warning("credential notices unavailable, not caching: %s", exc)
                    self._connection = None
            await asyncio.sleep(RECONNECT_SECONDS)

    async def stop(self) -> None:
        self._closing = True
        self.cache.set_enabled(False)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
