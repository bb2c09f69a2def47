"""HTTP routes for check-in at the door: the list and counts, a phone's queue as a batch, undo."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.params import JSONBody

from scheduler.attendance import checkin
from scheduler.attendance.schemas import BatchOut, CheckInBatch, CheckInList
from scheduler.core.access import api
from scheduler.http.params import Actor, PathId

STAFF = api.member("event_id", "admin", "teacher")


class CheckInController(Controller):
    path = "/events/{event_id:int}/check-ins"
    tags = ["check-in"]

    @get("/", guards=[STAFF])
    async def list_check_ins(self, actor: Actor, event_id: PathId) -> CheckInList:
        """Who is checked in at an event, latest first, with the counts (registered, checked in, walk-ins).

        For the school's administrators and teachers."""
        return await checkin.list_check_ins(actor, event_id)

    @post("/", guards=[STAFF], status_code=200)
    async def check_in(self, request: Request, actor: Actor, event_id: PathId,
                       data: JSONBody[CheckInBatch]) -> BatchOut:
        """Check in a batch: a phone's offline queue, each item by door code, family or walk-in name.

        Each item is answered on its own (``checked_in``, ``already`` or ``refused`` with the field and the
        reason), so one bad item does not lose the others. The same ``client_ref`` again answers the check-in
        it made (a retried sync adds nothing); a family already checked in answers ``already``. Check-in is
        open from the day before the event to the day after it; a ``checked_in_at`` outside those days or in
        the future is replaced by the time the server received it (the item's ``note`` says so)."""
        return await checkin.check_in_batch(actor, event_id, data.items, request.app.state.settings.secret_key)

    @delete("/{check_in_id:int}", guards=[STAFF], status_code=204)
    async def undo(self, actor: Actor, event_id: PathId, check_in_id: PathId) -> None:
        """Take back a check-in made by mistake; the family can be checked in again."""
        await checkin.undo(actor, event_id, check_in_id)


ROUTES = [CheckInController]
