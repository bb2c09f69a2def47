"""HTTP routes for schools, rooms, interpreters and childcare: parse, call a service, shape."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from resources import services
from resources.schemas import (
    ChildcareIn,
    ChildcareOut,
    ChildcarePage,
    InterpreterIn,
    InterpreterOut,
    InterpreterPage,
    RatioIn,
    RoomIn,
    RoomOut,
    RoomPage,
    SchoolIn,
    SchoolOut,
    SchoolPage,
    StaffingWindow,
    WeeklyWindow,
)
from scheduler.bookings import services as bookings
from scheduler.core.access import api
from scheduler.core.paging import PageRequest
from scheduler.http.params import Actor, Limit, Offset, PathId


class SchoolController(Controller):
    path = "/schools"
    tags = ["schools"]

    @post("/", guards=[api.district])
    async def create(self, actor: Actor, data: JSONBody[SchoolIn]) -> SchoolOut:
        """Create a school (district administrators)."""
        return await services.create_school(actor, data)

    @get("/", guards=[api.signed_in()])
    async def list(self, actor: Actor, limit: Limit = 50, offset: Offset = 0) -> SchoolPage:
        """List the schools the caller belongs to (all of them for the district)."""
        items, total = await services.list_schools(actor, PageRequest(limit, offset))
        return SchoolPage(items=items, total=total, limit=limit, offset=offset)

    @get("/{slug:str}", guards=[api.member("slug")])
    async def read(self, actor: Actor, slug: FromPath[str]) -> SchoolOut:
        """Read a school: its name, time zone and languages."""
        return await services.get_school(actor, slug)

    @put("/{slug:str}", guards=[api.admin("slug")])
    async def update(self, actor: Actor, slug: FromPath[str], data: JSONBody[SchoolIn]) -> SchoolOut:
        """Change a school's name, address slug, time zone or languages."""
        return await services.update_school(actor, slug, data)

    @post("/{slug:str}/rooms", guards=[api.admin("slug")])
    async def create_room(self, actor: Actor, slug: FromPath[str], data: JSONBody[RoomIn]) -> RoomOut:
        """Add a room events can use."""
        return await services.create_room(actor, slug, data)

    @get("/{slug:str}/rooms", guards=[api.member("slug")])
    async def list_rooms(self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0,
                         tag: FromQuery[str | None] = None) -> RoomPage:
        """List the school's rooms, optionally those with a tag."""
        items, total = await services.list_rooms(actor, slug, PageRequest(limit, offset), tag)
        return RoomPage(items=items, total=total, limit=limit, offset=offset)

    @post("/{slug:str}/interpreters", guards=[api.admin("slug")])
    async def create_interpreter(self, actor: Actor, slug: FromPath[str], data: JSONBody[InterpreterIn]) -> InterpreterOut:
        """Add an interpreter with the languages they interpret."""
        return await services.create_interpreter(actor, slug, data)

    @get("/{slug:str}/interpreters", guards=[api.admin("slug")])
    async def list_interpreters(self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0,
                                language: FromQuery[str | None] = None) -> InterpreterPage:
        """List the school's interpreters, optionally those of one language."""
        items, total = await services.list_interpreters(actor, slug, PageRequest(limit, offset), language)
        return InterpreterPage(items=items, total=total, limit=limit, offset=offset)

    @post("/{slug:str}/childcare", guards=[api.admin("slug")])
    async def create_childcare(self, actor: Actor, slug: FromPath[str], data: JSONBody[ChildcareIn]) -> ChildcareOut:
        """Add a childcare room with its licensed cap."""
        return await services.create_childcare(actor, slug, data)

    @get("/{slug:str}/childcare", guards=[api.member("slug")])
    async def list_childcare(self, actor: Actor, slug: FromPath[str], limit: Limit = 50, offset: Offset = 0) -> ChildcarePage:
        """List the school's childcare rooms."""
        items, total = await services.list_childcare(actor, slug, PageRequest(limit, offset))
        return ChildcarePage(items=items, total=total, limit=limit, offset=offset)


class RoomController(Controller):
    path = "/rooms"
    tags = ["rooms"]

    @get("/{room_id:int}", guards=[api.member("room_id")])
    async def read(self, actor: Actor, room_id: PathId) -> RoomOut:
        """Read a room."""
        return await services.get_room(actor, room_id)

    @put("/{room_id:int}", guards=[api.admin("room_id")])
    async def update(self, actor: Actor, room_id: PathId, data: JSONBody[RoomIn]) -> RoomOut:
        """Change a room's name, capacity or tags."""
        return await services.update_room(actor, room_id, data)

    @delete("/{room_id:int}", guards=[api.admin("room_id")])
    async def remove(self, actor: Actor, room_id: PathId) -> None:
        """Delete a room no upcoming event uses."""
        await services.delete_room(actor, room_id)

    @get("/{room_id:int}/availability", guards=[api.member("room_id")])
    async def availability(self, actor: Actor, room_id: PathId) -> list[WeeklyWindow]:
        """The weekly hours the room can be booked (in the school's zone)."""
        return await services.get_room_availability(actor, room_id)

    @put("/{room_id:int}/availability", guards=[api.admin("room_id")])
    async def set_availability(self, actor: Actor, room_id: PathId, data: JSONBody[list[WeeklyWindow]]) -> list[WeeklyWindow]:
        """Replace the room's weekly hours."""
        return await services.set_room_availability(actor, room_id, data)


class InterpreterController(Controller):
    path = "/interpreters"
    tags = ["interpreters"]

    @get("/{interpreter_id:int}", guards=[api.interpreter("interpreter_id")])
    async def read(self, actor: Actor, interpreter_id: PathId) -> InterpreterOut:
        """Read an interpreter's profile."""
        return await services.get_interpreter(actor, interpreter_id)

    @put("/{interpreter_id:int}", guards=[api.interpreter("interpreter_id")])
    async def update(self, actor: Actor, interpreter_id: PathId, data: JSONBody[InterpreterIn]) -> InterpreterOut:
        """Change an interpreter's name, e-mail, languages or daily limit."""
        return await services.update_interpreter(actor, interpreter_id, data)

    @delete("/{interpreter_id:int}", guards=[api.admin("interpreter_id")])
    async def remove(self, actor: Actor, interpreter_id: PathId) -> None:
        """Delete an interpreter."""
        await services.delete_interpreter(actor, interpreter_id)

    @get("/{interpreter_id:int}/availability", guards=[api.interpreter("interpreter_id")])
    async def availability(self, actor: Actor, interpreter_id: PathId) -> list[WeeklyWindow]:
        """The weekly hours the interpreter can usually work."""
        return await services.get_interpreter_availability(actor, interpreter_id)

    @put("/{interpreter_id:int}/availability", guards=[api.interpreter("interpreter_id")])
    async def set_availability(self, actor: Actor, interpreter_id: PathId, data: JSONBody[list[WeeklyWindow]]
                               ) -> list[WeeklyWindow]:
        """Replace the interpreter's weekly hours."""
        return await services.set_interpreter_availability(actor, interpreter_id, data)


class ChildcareController(Controller):
    path = "/childcare"
    tags = ["childcare"]

    @get("/{childcare_id:int}", guards=[api.member("childcare_id")])
    async def read(self, actor: Actor, childcare_id: PathId) -> ChildcareOut:
        """Read a childcare room."""
        return await services.get_childcare(actor, childcare_id)

    @put("/{childcare_id:int}", guards=[api.admin("childcare_id")])
    async def update(self, actor: Actor, childcare_id: PathId, data: JSONBody[ChildcareIn]) -> ChildcareOut:
        """Change a childcare room's name, cap or room."""
        return await services.update_childcare(actor, childcare_id, data)

    @delete("/{childcare_id:int}", guards=[api.admin("childcare_id")])
    async def remove(self, actor: Actor, childcare_id: PathId) -> None:
        """Delete a childcare room."""
        await services.delete_childcare(actor, childcare_id)

    @get("/{childcare_id:int}/ratios", guards=[api.member("childcare_id")])
    async def ratios(self, actor: Actor, childcare_id: PathId) -> list[RatioIn]:
        """Children per adult, per age band (licensing rules)."""
        return await services.get_ratios(actor, childcare_id)

    @put("/{childcare_id:int}/ratios", guards=[api.admin("childcare_id")])
    async def set_ratios(self, actor: Actor, childcare_id: PathId, data: JSONBody[list[RatioIn]]) -> list[RatioIn]:
        """Replace the children-per-adult ratios; bands left out keep the defaults."""
        return await services.set_ratios(actor, childcare_id, data)

    @get("/{childcare_id:int}/staffing", guards=[api.member("childcare_id")])
    async def staffing(self, actor: Actor, childcare_id: PathId) -> list[StaffingWindow]:
        """Adults on duty per weekly window: childcare is offered only then."""
        return await services.get_staffing(actor, childcare_id)

    @put("/{childcare_id:int}/staffing", guards=[api.admin("childcare_id")])
    async def set_staffing(self, actor: Actor, childcare_id: PathId, data: JSONBody[list[StaffingWindow]]
                           ) -> list[StaffingWindow]:
        """More staff can take more children: the waitlist is promoted in the same transaction."""
        return await bookings.set_staffing(actor, childcare_id, data)


ROUTES = [SchoolController, RoomController, InterpreterController, ChildcareController]
