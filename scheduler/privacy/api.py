"""HTTP routes for a family's data rights: take everything stored away, or delete the account.

``DELETE /families/{id}?confirm={id}`` is the only way to delete a family. It
is a plain route function rather than a controller method: Litestar refuses a
second *controller* on ``/families/{family_id}`` (``scheduler/families/api.py``
holds GET and PUT there), but merges a function registered after it, so
``app.py`` lists this feature's routes after the families'. It takes no
Idempotency-Key: the answer could only be stored under the user being
deleted, and a retry is already safe and clear -- the family is gone (404)
or, with the family's own token, no longer signs in (401).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response, delete, get
from litestar.params import QueryParameter

from scheduler.core.access import api
from scheduler.http.params import Actor, PathId
from scheduler.privacy import erase, export
from scheduler.privacy.erase import DeletionOut

DeleteConfirm = Annotated[int | None, QueryParameter(
    ge=1, le=2_147_483_647, description="required: the family id again (a deletion cannot be undone, so it is asked "
                                        "for twice)")]


@get("/families/{family_id:int}/export", tags=["families", "data rights"], guards=[api.family("family_id")],
     response_description="the family's data as one JSON document (a download)")
async def export_family(actor: Actor, family_id: PathId) -> Response[dict[str, Any]]:
    """Everything stored about the family: profile, children, availability, registrations, conferences,
    notifications, users and feed links (metadata only: tokens are stored as hashes and never leave)."""
    document = await export.export_family(actor, family_id)
    return Response(content=msgspec.json.encode(document), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="family-{family_id}-export.json"',
        "Cache-Control": "no-store"})


@delete("/families/{family_id:int}", status_code=200, tags=["families", "data rights"],
        guards=[api.family("family_id")])
async def delete_family(actor: Actor, family_id: PathId, confirm: DeleteConfirm = None) -> DeletionOut:
    """Delete the account and its personal data: seats go to the waitlist, feed links and API tokens stop
    working, unsent e-mail is withheld."""
    return await erase.delete_family(actor, family_id, confirm)


ROUTES = [export_family, delete_family]
