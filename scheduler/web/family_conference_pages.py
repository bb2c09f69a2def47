"""What the family page shows of its conferences beyond the itinerary: where each meeting may move, whom it may
book itself and when, the times it is holding. The routes are in ``family_pages.py``."""

from __future__ import annotations

from typing import Any

from scheduler.conferences import booking, selfbook
from scheduler.core.auth import Principal
from scheduler.core.errors import DomainError
from scheduler.web.common import Page


async def conference_context(page: Page, actor: Principal, family_id: int, meetings: list[Any]) -> dict[str, Any]:
    """What the conference section shows: times each meeting may move to (within the family's stated
    availability), the teachers it may book itself with their open times, and the times it is holding."""
    moves = {}
    for m in meetings:
        try:
            moves[m.id] = await booking.free_slots(actor, m.id)
        except DomainError:  # not movable (an interpreted meeting without a block): the page says to call
            moves[m.id] = None
    return {"moves": moves, "offers": await selfbook.open_slots(actor, family_id),
            "holds": await selfbook.my_holds(actor, family_id)}
