"""HTTP routes for registrations, childcare staffing and interpreter assignments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import HeaderParameter, JSONBody

from resources import services as resource_services
from resources.api import Actor, PathId
from resources.schemas import StaffingWindow
from scheduler import assignments, bookings
from scheduler.db import in_transaction, with_retries
from scheduler.auth import Principal
from scheduler.idempotency import once, request_hash
from scheduler.schemas import AssignmentOut, RegistrationIn, RegistrationOut
from scheduler.access import api

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False, max_length=200,
                                                       description="retry safely: the same key returns the first answer")]


async def once_per_key(request: Request, actor: Principal, key: str | None, route: str, status: int,
                       work: Callable[[], Awaitable[Any]]) -> Response:
    """``work`` under the request's Idempotency-Key (see ``scheduler.idempotency``), answered as JSON."""
    fingerprint = request_hash(request.method, request.url.path, await request.body())
    status, body = await once(actor, key, route, status, work, fingerprint)
    return Response(content=body, status_code=status, media_type="application/json")


def _buffer(request: Request) -> int:
    return request.app.state.settings.travel_buffer_minutes


class RegistrationController(Controller):
    tags = ["registrations"]

    @post("/events/{event_id:int}/registrations", status_code=201, response_description="confirmed or waitlisted", guards=[api.member("event_id", "admin", "family")])
    async def register(self, actor: Actor, request: Request, event_id: PathId, data: JSONBody[RegistrationIn],
                       idempotency_key: IdempotencyKey = None) -> Response[RegistrationOut]:
        return await once_per_key(request, actor, idempotency_key, f"register:{event_id}", 201,
                                  lambda: bookings.register(actor, event_id, data))

    @get("/events/{event_id:int}/registrations", guards=[api.member("event_id", "admin", "family")])
    async def for_event(self, actor: Actor, event_id: PathId) -> list[RegistrationOut]:
        return await bookings.list_for_event(actor, event_id)

    @delete("/events/{event_id:int}/registrations/{registration_id:int}", status_code=200, guards=[api.family("registration_id")])
    async def cancel(self, actor: Actor, event_id: PathId, registration_id: PathId) -> RegistrationOut:
        return await in_transaction(lambda: bookings.cancel(actor, event_id, registration_id))

    @get("/families/{family_id:int}/registrations", guards=[api.family("family_id")])
    async def for_family(self, actor: Actor, family_id: PathId) -> list[RegistrationOut]:
        return await bookings.list_for_family(actor, family_id)

    @get("/childcare/{childcare_id:int}/staffing", tags=["childcare"], guards=[api.member("childcare_id")])
    async def staffing(self, actor: Actor, childcare_id: PathId) -> list[StaffingWindow]:
        return await resource_services.get_staffing(actor, childcare_id)

    @put("/childcare/{childcare_id:int}/staffing", tags=["childcare"], guards=[api.admin("childcare_id")])
    async def set_staffing(self, actor: Actor, childcare_id: PathId, data: JSONBody[list[StaffingWindow]]
                           ) -> list[StaffingWindow]:
        return await with_retries(lambda: bookings.set_staffing(actor, childcare_id, data))


class AssignmentController(Controller):
    tags = ["interpreters"]

    @get("/interpreters/me/open-assignments", guards=[api.signed_in("interpreter")])
    async def open_assignments(self, actor: Actor, request: Request) -> list[AssignmentOut]:
        return await assignments.open_for_me(actor, _buffer(request))

    @get("/interpreters/me/assignments", guards=[api.signed_in("interpreter")])
    async def my_assignments(self, actor: Actor) -> list[AssignmentOut]:
        return await assignments.mine(actor)

    @get("/events/{event_id:int}/assignments", guards=[api.admin("event_id")])
    async def for_event(self, actor: Actor, event_id: PathId) -> list[AssignmentOut]:
        return await assignments.list_for_event(actor, event_id)

    @post("/assignments/{assignment_id:int}/claim", status_code=200, guards=[api.signed_in("interpreter")])
    async def claim(self, actor: Actor, request: Request, assignment_id: PathId,
                    idempotency_key: IdempotencyKey = None) -> Response[AssignmentOut]:
        buffer = _buffer(request)
        return await once_per_key(request, actor, idempotency_key, f"claim:{assignment_id}", 200,
                                  lambda: assignments.claim(actor, assignment_id, buffer))

    @post("/assignments/{assignment_id:int}/release", status_code=200, guards=[api.signed_in("interpreter")])
    async def release(self, actor: Actor, assignment_id: PathId) -> AssignmentOut:
        return await in_transaction(lambda: assignments.release(actor, assignment_id))

    @post("/assignments/{assignment_id:int}/confirm", status_code=200, guards=[api.admin("assignment_id")])
    async def confirm(self, actor: Actor, assignment_id: PathId) -> AssignmentOut:
        return await in_transaction(lambda: assignments.confirm(actor, assignment_id))


ROUTES = [RegistrationController, AssignmentController]
