"""HTTP routes for registrations: book (or join the waitlist), list, cancel, take an offered seat."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody

from scheduler.accounts.idempotency import once
from scheduler.bookings import services
from scheduler.bookings.schemas import RegistrationIn, RegistrationOut
from scheduler.core.access import api
from scheduler.http.params import Actor, IdempotencyKey, PathId, fingerprint, json_answer


class RegistrationController(Controller):
    tags = ["registrations"]

    @post("/events/{event_id:int}/registrations", status_code=201, response_description="confirmed or waitlisted",
          guards=[api.member("event_id", "admin", "family")])
    async def register(self, actor: Actor, request: Request, event_id: PathId, data: JSONBody[RegistrationIn],
                       idempotency_key: IdempotencyKey = None) -> Response[RegistrationOut]:
        """Register a family (adults, children in childcare, interpreter language); a full event puts it on the waitlist.

        One registration per family and event; with the same ``Idempotency-Key`` a retry replays the first answer,
        a different body under that key is a 422.
        """
        return json_answer(*await once(actor, idempotency_key, f"register:{event_id}", 201,
                                       lambda: services.register(actor, event_id, data), await fingerprint(request)))

    @get("/events/{event_id:int}/registrations", guards=[api.member("event_id", "admin", "family")])
    async def for_event(self, actor: Actor, event_id: PathId) -> list[RegistrationOut]:
        """The event's registrations: every family's for an admin, only its own for a family."""
        return await services.list_for_event(actor, event_id)

    @delete("/events/{event_id:int}/registrations/{registration_id:int}", status_code=200,
            guards=[api.family("registration_id")])
    async def cancel(self, actor: Actor, event_id: PathId, registration_id: PathId) -> RegistrationOut:
        """Cancel a registration; the freed seats go to the waitlist (offered or confirmed, by the school's setting)."""
        return await services.cancel(actor, event_id, registration_id)

    @post("/events/{event_id:int}/registrations/{registration_id:int}/accept", status_code=200,
          guards=[api.family("registration_id")])
    async def accept(self, actor: Actor, event_id: PathId, registration_id: PathId) -> RegistrationOut:
        """Take a seat offered from the waitlist (schools with waitlist offers); 409 once the offer ran out."""
        return await services.accept(actor, event_id, registration_id)

    @get("/families/{family_id:int}/registrations", guards=[api.family("family_id")])
    async def for_family(self, actor: Actor, family_id: PathId) -> list[RegistrationOut]:
        """The family's registrations with their status and waitlist place."""
        return await services.list_for_family(actor, family_id)


ROUTES = [RegistrationController]
