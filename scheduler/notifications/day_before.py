"""The day-before questions beyond events' own (``attendance.py``), as the sweeps and the sender see them.

Conference evenings (``conferences/confirmations.py``) and interpreters
(``assignments/day_before.py``) keep their questions and answers in their own
features; this module is the two hooks ``sweeps.py`` calls, so the sender
stays one file: what to queue on each tick, and which queued rows are no
longer worth sending.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scheduler.assignments import day_before as interpreters
from scheduler.conferences import confirmations
from scheduler.core.settings import Settings


async def sweep(settings: Settings, now: dt.datetime) -> int:
    """Conference questions, interpreters' questions and the coordinators' escalations; how many are new."""
    return (await confirmations.due_questions(settings, now) + await interpreters.due_questions(settings, now)
            + await interpreters.escalations(now, settings.interpreter_confirm_hours))


async def settled(rows: list[dict[str, Any]]) -> set[int]:
    """Queued questions answered already, or about meetings or work that changed since they were queued."""
    return await confirmations.settled(rows) | await interpreters.settled(rows)
