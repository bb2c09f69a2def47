"""HTTP routes for families, their children, availability and interests."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from scheduler.core.access import api
from scheduler.core.paging import PageRequest
from scheduler.families import services
from scheduler.families.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    ChildIn,
    ChildOut,
    FamilyIn,
    FamilyOut,
    FamilyPage,
    InterestsIn,
)
from scheduler.http.params import Actor, Limit, Offset, PathId


class SchoolFamiliesController(Controller):
    """A school's families."""

    path = "/schools/{slug:str}/families"
    tags = ["families"]

    @post("/", guards=[api.admin("slug")])
    async def create_family(self, actor: Actor, slug: FromPath[str], data: JSONBody[FamilyIn]) -> FamilyOut:
        """Add a family to the school."""
        return await services.create_family(actor, slug, data)

    @get("/", guards=[api.admin("slug")])
    async def list_families(self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0,
                            language: FromQuery[str | None] = None) -> FamilyPage:
        """List the school's families, optionally those of one language."""
        items, total = await services.list_families(actor, slug, PageRequest(limit, offset), language)
        return FamilyPage(items=items, total=total, limit=limit, offset=offset)


class FamilyController(Controller):
    """One family. (``DELETE /families/{id}`` and the export are the privacy feature's: scheduler/privacy/api.py.)"""

    path = "/families"
    tags = ["families"]

    @get("/{family_id:int}", guards=[api.family("family_id")])
    async def read(self, actor: Actor, family_id: PathId) -> FamilyOut:
        """Read a family's profile."""
        return await services.get_family(actor, family_id)

    @put("/{family_id:int}", guards=[api.family("family_id")])
    async def update(self, actor: Actor, family_id: PathId, data: JSONBody[FamilyIn]) -> FamilyOut:
        """Change a family's name, language, e-mail or guardians."""
        return await services.update_family(actor, family_id, data)

    @post("/{family_id:int}/children", guards=[api.family("family_id")])
    async def add_child(self, actor: Actor, family_id: PathId, data: JSONBody[ChildIn]) -> ChildOut:
        """Add a child (grade and age band decide childcare and the events for them)."""
        return await services.add_child(actor, family_id, data)

    @get("/{family_id:int}/children", guards=[api.family("family_id")])
    async def children(self, actor: Actor, family_id: PathId) -> list[ChildOut]:
        """List a family's children."""
        return await services.list_children(actor, family_id)

    @get("/{family_id:int}/availability", guards=[api.family("family_id")])
    async def availability(self, actor: Actor, family_id: PathId) -> AvailabilityOut:
        """When the family can usually come (weekly) and dated exceptions."""
        return await services.get_family_availability(actor, family_id)

    @put("/{family_id:int}/availability", guards=[api.family("family_id")])
    async def set_availability(self, actor: Actor, family_id: PathId, data: JSONBody[AvailabilityIn]) -> AvailabilityOut:
        """Replace the family's availability."""
        return await services.set_family_availability(actor, family_id, data)

    @get("/{family_id:int}/interests", guards=[api.family("family_id")])
    async def interests(self, actor: Actor, family_id: PathId) -> InterestsIn:
        """What the family said of the school's events: those it would come to, and those not for it."""
        yes, no = await services.get_interests(actor, family_id)
        return InterestsIn(event_ids=yes, not_for_us=no)

    @put("/{family_id:int}/interests", guards=[api.family("family_id")])
    async def set_interests(self, actor: Actor, family_id: PathId, data: JSONBody[InterestsIn]) -> InterestsIn:
        """Replace what the family said: "I'd come" (``event_ids``, counted twice by the planner) and "Not for us"
        (``not_for_us``, never counted)."""
        yes, no = await services.set_interests(actor, family_id, data.event_ids, data.not_for_us)
        return InterestsIn(event_ids=yes, not_for_us=no)


class ChildController(Controller):
    path = "/children"
    tags = ["families"]

    @get("/{child_id:int}", guards=[api.family("child_id")])
    async def read(self, actor: Actor, child_id: PathId) -> ChildOut:
        """Read a child."""
        return await services.get_child(actor, child_id)

    @put("/{child_id:int}", guards=[api.family("child_id")])
    async def update(self, actor: Actor, child_id: PathId, data: JSONBody[ChildIn]) -> ChildOut:
        """Change a child's name, grade or age band."""
        return await services.update_child(actor, child_id, data)

    @delete("/{child_id:int}", guards=[api.family("child_id")])
    async def remove(self, actor: Actor, child_id: PathId) -> None:
        """Delete a child."""
        await services.delete_child(actor, child_id)


ROUTES = [SchoolFamiliesController, FamilyController, ChildController]
