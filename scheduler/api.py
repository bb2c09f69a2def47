"""HTTP routes for families, children, availability, events and users."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from resources.api import Actor, Limit, Offset, PathId
from scheduler import data_rights, services
from scheduler.data_rights import DeletionOut
from scheduler.paging import PageRequest
from scheduler.schemas import (
    AudienceOut,
    AvailabilityIn,
    AvailabilityOut,
    ChildIn,
    ChildOut,
    EventIn,
    EventOut,
    EventPage,
    FamilyIn,
    FamilyOut,
    FamilyPage,
    InterestsIn,
    Kind,
    MoveIn,
    NewUserOut,
    Status,
    UserIn,
    UserOut,
)
from scheduler.access import api

DeleteConfirm = Annotated[int | None, QueryParameter(
    ge=1, le=2_147_483_647, description="required: the family id again (a deletion cannot be undone, so it is asked "
                                        "for twice)")]


class SchoolScopedController(Controller):
    """Collections that belong to one school: its families, events and users."""

    path = "/schools/{slug:str}"

    @post("/families", tags=["families"], guards=[api.admin("slug")])
    async def create_family(self, actor: Actor, slug: FromPath[str], data: JSONBody[FamilyIn]) -> FamilyOut:
        return await services.create_family(actor, slug, data)

    @get("/families", tags=["families"], guards=[api.admin("slug")])
    async def list_families(self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0,
                            language: FromQuery[str | None] = None) -> FamilyPage:
        items, total = await services.list_families(actor, slug, PageRequest(limit, offset), language)
        return FamilyPage(items=items, total=total, limit=limit, offset=offset)

    @post("/events", tags=["events"], guards=[api.admin("slug")])
    async def create_event(self, actor: Actor, slug: FromPath[str], data: JSONBody[EventIn]) -> EventOut:
        return await services.create_event(actor, slug, data)

    @get("/events", tags=["events"], guards=[api.member("slug")])
    async def list_events(
        self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0,
        status: FromQuery[Status | None] = None, kind: FromQuery[Kind | None] = None,
        date_from: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> EventPage:
        items, total = await services.list_events(actor, slug, PageRequest(limit, offset), status, kind, date_from, date_to)
        return EventPage(items=items, total=total, limit=limit, offset=offset)

    @post("/users", tags=["users"], guards=[api.admin("slug")])
    async def create_user(self, actor: Actor, slug: FromPath[str], data: JSONBody[UserIn]) -> NewUserOut:
        return await services.create_user(actor, slug, data)


class FamilyController(Controller):
    path = "/families"
    tags = ["families"]

    @get("/{family_id:int}", guards=[api.family("family_id")])
    async def read(self, actor: Actor, family_id: PathId) -> FamilyOut:
        return await services.get_family(actor, family_id)

    @put("/{family_id:int}", guards=[api.family("family_id")])
    async def update(self, actor: Actor, family_id: PathId, data: JSONBody[FamilyIn]) -> FamilyOut:
        return await services.update_family(actor, family_id, data)

    @delete("/{family_id:int}", status_code=200, guards=[api.family("family_id")])
    async def remove(self, actor: Actor, family_id: PathId, confirm: DeleteConfirm = None) -> DeletionOut:
        """Delete the account and its personal data (``scheduler/data_rights.py``): seats go to the waitlist,
        feed links and API tokens stop working, unsent e-mail is withheld. Declared here, not in
        ``data_rights_api``, because Litestar serves one path from one controller."""
        return await data_rights.delete_family(actor, family_id, confirm)

    @post("/{family_id:int}/children", guards=[api.family("family_id")])
    async def add_child(self, actor: Actor, family_id: PathId, data: JSONBody[ChildIn]) -> ChildOut:
        return await services.add_child(actor, family_id, data)

    @get("/{family_id:int}/children", guards=[api.family("family_id")])
    async def children(self, actor: Actor, family_id: PathId) -> list[ChildOut]:
        return await services.list_children(actor, family_id)

    @get("/{family_id:int}/availability", guards=[api.family("family_id")])
    async def availability(self, actor: Actor, family_id: PathId) -> AvailabilityOut:
        return await services.get_family_availability(actor, family_id)

    @put("/{family_id:int}/availability", guards=[api.family("family_id")])
    async def set_availability(self, actor: Actor, family_id: PathId, data: JSONBody[AvailabilityIn]) -> AvailabilityOut:
        return await services.set_family_availability(actor, family_id, data)

    @get("/{family_id:int}/interests", guards=[api.family("family_id")])
    async def interests(self, actor: Actor, family_id: PathId) -> InterestsIn:
        return InterestsIn(event_ids=await services.get_interests(actor, family_id))

    @put("/{family_id:int}/interests", guards=[api.family("family_id")])
    async def set_interests(self, actor: Actor, family_id: PathId, data: JSONBody[InterestsIn]) -> InterestsIn:
        return InterestsIn(event_ids=await services.set_interests(actor, family_id, data.event_ids))


class ChildController(Controller):
    path = "/children"
    tags = ["families"]

    @get("/{child_id:int}", guards=[api.family("child_id")])
    async def read(self, actor: Actor, child_id: PathId) -> ChildOut:
        return await services.get_child(actor, child_id)

    @put("/{child_id:int}", guards=[api.family("child_id")])
    async def update(self, actor: Actor, child_id: PathId, data: JSONBody[ChildIn]) -> ChildOut:
        return await services.update_child(actor, child_id, data)

    @delete("/{child_id:int}", guards=[api.family("child_id")])
    async def remove(self, actor: Actor, child_id: PathId) -> None:
        await services.delete_child(actor, child_id)


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @get("/{event_id:int}", guards=[api.member("event_id")])
    async def read(self, actor: Actor, event_id: PathId) -> EventOut:
        return await services.get_event(actor, event_id)

    @put("/{event_id:int}", guards=[api.admin("event_id")])
    async def update(self, actor: Actor, event_id: PathId, data: JSONBody[EventIn]) -> EventOut:
        return await services.update_event(actor, event_id, data)

    @delete("/{event_id:int}", guards=[api.admin("event_id")])
    async def remove(self, actor: Actor, event_id: PathId) -> None:
        await services.delete_event(actor, event_id)

    @post("/{event_id:int}/cancel", status_code=200, guards=[api.admin("event_id")])
    async def cancel(self, actor: Actor, event_id: PathId) -> EventOut:
        return await services.cancel_event(actor, event_id)

    @post("/{event_id:int}/move", status_code=200, guards=[api.admin("event_id")])
    async def move(self, actor: Actor, event_id: PathId, data: JSONBody[MoveIn]) -> EventOut:
        return await services.move_event(actor, event_id, data.start)

    @get("/{event_id:int}/audience", guards=[api.admin("event_id")])
    async def audience(self, actor: Actor, event_id: PathId) -> AudienceOut:
        return await services.who_is_told(actor, event_id)


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @post("/", guards=[api.district])
    async def create_admin(self, actor: Actor, data: JSONBody[UserIn]) -> NewUserOut:
        """District administrators enrol other district-level administrators."""
        return await services.create_user(actor, None, data)

    @get("/me", guards=[api.signed_in()])
    async def me(self, actor: Actor) -> UserOut:
        return await services.me(actor)


ROUTES = [SchoolScopedController, FamilyController, ChildController, EventController, UserController]
