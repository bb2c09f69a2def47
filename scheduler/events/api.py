"""HTTP routes for events."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from scheduler.core.access import api
from scheduler.core.paging import PageRequest
from scheduler.core.validation import LocalDateTime
from scheduler.events import services, sessions
from scheduler.events.schemas import AudienceOut, EventIn, EventOut, EventPage, Kind, MoveIn, SessionsIn, Status
from scheduler.http.params import Actor, Limit, Offset, PathId
from scheduler.planning import moves


class SchoolEventsController(Controller):
    """A school's events."""

    path = "/schools/{slug:str}/events"
    tags = ["events"]

    @post("/", guards=[api.admin("slug")])
    async def create_event(self, actor: Actor, slug: FromPath[str], data: JSONBody[EventIn]) -> EventOut:
        """Create a draft event for the planner to place."""
        return await services.create_event(actor, slug, data)

    @get("/", guards=[api.member("slug")])
    async def list_events(
        self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0,
        status: FromQuery[Status | None] = None, kind: FromQuery[Kind | None] = None,
        date_from: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> EventPage:
        """List the school's events by status, kind and dates (families see published ones)."""
        items, total = await services.list_events(actor, slug, PageRequest(limit, offset), status, kind, date_from, date_to)
        return EventPage(items=items, total=total, limit=limit, offset=offset)


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @get("/{event_id:int}", guards=[api.member("event_id")])
    async def read(self, actor: Actor, event_id: PathId) -> EventOut:
        """Read an event."""
        return await services.get_event(actor, event_id)

    @put("/{event_id:int}", guards=[api.admin("event_id")])
    async def update(self, actor: Actor, event_id: PathId, data: JSONBody[EventIn]) -> EventOut:
        """Edit an event; a published one's calendars refresh (SEQUENCE goes up)."""
        return await services.update_event(actor, event_id, data)

    @delete("/{event_id:int}", guards=[api.admin("event_id")])
    async def remove(self, actor: Actor, event_id: PathId) -> None:
        """Delete a draft."""
        await services.delete_event(actor, event_id)

    @post("/{event_id:int}/cancel", status_code=200, guards=[api.admin("event_id")])
    async def cancel(self, actor: Actor, event_id: PathId) -> EventOut:
        """Cancel an event: it stays in calendars as cancelled and families are told."""
        return await services.cancel_event(actor, event_id)

    @post("/{event_id:int}/move", status_code=200, guards=[api.admin("event_id")])
    async def move(self, actor: Actor, event_id: PathId, data: JSONBody[MoveIn]) -> EventOut:
        """Move a published event to a new start, checked by the engine's hard rules.

        Refused (409, each broken rule named) when its room, an interpreter of
        each of its languages or its childcare is not free for the whole event,
        or it would overlap another event for the same grade; ``override``
        moves it anyway and records what was overridden (``override`` in the
        answer). Interpreters' claims are released and families told.
        """
        moved, _check = await moves.move(actor, event_id, data.start, data.override)
        return moved

    @get("/{event_id:int}/move-check", guards=[api.admin("event_id")])
    async def move_check(self, actor: Actor, event_id: PathId, start: FromQuery[LocalDateTime]) -> moves.MoveCheck:
        """What moving the event to ``start`` would break (by rule) and how many families are free then and now."""
        return await moves.check_move(actor, event_id, start)

    @post("/{event_id:int}/sessions", status_code=200, guards=[api.admin("event_id")])
    async def offer_sessions(self, actor: Actor, event_id: PathId, data: JSONBody[SessionsIn]) -> list[EventOut]:
        """Offer a draft workshop as several sessions (a series): the planner places each and counts a family
        toward one of them only. Answers every session, first first."""
        return await sessions.set_sessions(actor, event_id, data.sessions)

    @get("/{event_id:int}/audience", guards=[api.admin("event_id")])
    async def audience(self, actor: Actor, event_id: PathId) -> AudienceOut:
        """Who hears of a change to the event: registered and waiting families, interpreters."""
        return await services.who_is_told(actor, event_id)


ROUTES = [SchoolEventsController, EventController]
