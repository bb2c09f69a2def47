"""Writing notifications: a row in the same transaction as the change that causes it.

Delivery (SMTP, retries) is a separate sweep; here we only make sure the
intent is recorded atomically with the booking, exactly once per
``dedupe_key`` however often the code path runs.
"""

from __future__ import annotations

import json
from typing import Any

from scheduler.tables import Outbox


async def notify(kind: str, dedupe_key: str, to_email: str, language: str = "en", *, school: int | None = None,
                 family: int | None = None, interpreter: int | None = None, event: int | None = None,
                 payload: dict[str, Any] | None = None) -> None:
    """Queue one message; a second call with the same key changes nothing."""
    await Outbox.insert(Outbox(kind=kind, dedupe_key=dedupe_key, to_email=to_email, language=language, school=school,
                               family=family, interpreter=interpreter, event=event,
                               payload=json.dumps(payload or {}, sort_keys=True))
                        ).on_conflict(target=Outbox.dedupe_key, action="DO NOTHING").run()
