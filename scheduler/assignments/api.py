"""HTTP routes for interpreter assignments: open work, claim, release, confirm."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from scheduler.accounts.idempotency import once
from scheduler.assignments import services
from scheduler.assignments.schemas import AssignIn, AssignmentOut
from scheduler.core.access import api
from scheduler.http.params import Actor, IdempotencyKey, PathId, fingerprint, json_answer


def _buffer(request: Request) -> int:
    return request.app.state.settings.travel_buffer_minutes


class AssignmentController(Controller):
    tags = ["interpreters"]

    @get("/interpreters/me/open-assignments", guards=[api.signed_in("interpreter")])
    async def open_assignments(self, actor: Actor, request: Request) -> list[AssignmentOut]:
        """Open interpreting work in the caller's languages that fits their time and other work."""
        return await services.open_for_me(actor, _buffer(request))

    @get("/interpreters/me/assignments", guards=[api.signed_in("interpreter")])
    async def my_assignments(self, actor: Actor) -> list[AssignmentOut]:
        """The caller's claimed and confirmed interpreting work."""
        return await services.mine(actor)

    @get("/events/{event_id:int}/assignments", guards=[api.admin("event_id")])
    async def for_event(self, actor: Actor, event_id: PathId) -> list[AssignmentOut]:
        """An event's interpreter assignments: open, claimed, confirmed."""
        return await services.list_for_event(actor, event_id)

    @post("/assignments/{assignment_id:int}/claim", status_code=200, guards=[api.signed_in("interpreter")])
    async def claim(self, actor: Actor, request: Request, assignment_id: PathId,
                    idempotency_key: IdempotencyKey = None) -> Response[AssignmentOut]:
        """Interpreters work for more than one school: any interpreter may claim open work in their languages."""
        buffer = _buffer(request)
        return json_answer(*await once(actor, idempotency_key, f"claim:{assignment_id}", 200,
                                       lambda: services.claim(actor, assignment_id, buffer), await fingerprint(request)))

    @post("/assignments/{assignment_id:int}/release", status_code=200, guards=[api.signed_in("interpreter")])
    async def release(self, actor: Actor, assignment_id: PathId) -> AssignmentOut:
        """Give claimed work back; it is open again for others."""
        return await services.release(actor, assignment_id)

    @post("/assignments/{assignment_id:int}/assign", status_code=200, guards=[api.admin("assignment_id")])
    async def assign(self, actor: Actor, request: Request, assignment_id: PathId,
                     data: JSONBody[AssignIn]) -> AssignmentOut:
        """An administrator gives open work to an interpreter by hand: the rules of a claim, confirmed at once."""
        return await services.assign(actor, assignment_id, data.interpreter_id, _buffer(request))

    @post("/assignments/{assignment_id:int}/confirm", status_code=200, guards=[api.admin("assignment_id")])
    async def confirm(self, actor: Actor, assignment_id: PathId) -> AssignmentOut:
        """Confirm an interpreter's claim; the interpreter is told by e-mail."""
        return await services.confirm(actor, assignment_id)


ROUTES = [AssignmentController]
