"""Writing notifications: a row in the same transaction as the change that causes it.

Delivery (SMTP, retries) is a separate sweep; here we only make sure the
intent is recorded atomically with the booking, exactly once per
``dedupe_key`` however often the code path runs.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.core.db import fetch
from scheduler.core.timeutil import utcnow
from scheduler.notifications.tables import Outbox

_QUEUE = ("INSERT INTO outbox (kind, dedupe_key, to_email, language, school, family, interpreter, event, payload, "
          "status, attempts, next_attempt_at, last_error, created_at) "
          "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, 'pending', 0, {}, '', {}) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")


async def notify(kind: str, dedupe_key: str, to_email: str, language: str = "en", *, school: int | None = None,
                 family: int | None = None, interpreter: int | None = None, event: int | None = None,
                 payload: dict[str, Any] | None = None) -> bool:
    """Queue one message; a second call with the same key changes nothing (and answers False).

    One raw statement: every booking writes one, and building a Piccolo row
    object cost more than the insert. The columns and defaults are those of
    :class:`Outbox` (a test compares a row written here with one Piccolo writes).
    """
    now = utcnow()
    return bool(await fetch(_QUEUE, kind, dedupe_key, to_email, language, school, family, interpreter, event,
                            json.dumps(payload or {}, sort_keys=True), now, now))


BOOKING_MAIL = ("registration_confirmed", "registration_waitlisted", "waitlist_offered", "waitlist_promoted")


async def booking_mail(family_id: int) -> dict[int, dict[str, Any]]:
    """Per event, the newest booking e-mail to this family and how its delivery went (status, attempts).

    The page says what is true of the e-mail rather than promising it: "sent",
    "not sent yet, we keep trying", or "could not be delivered".
    """
    rows = await Outbox.select(Outbox.event, Outbox.status, Outbox.attempts, Outbox.id).where(
        (Outbox.family == family_id) & Outbox.kind.is_in(list(BOOKING_MAIL)) & Outbox.event.is_not_null()
    ).order_by(Outbox.id).run()
    return {r["event"]: r for r in rows}  # ordered by id: the newest per event wins
