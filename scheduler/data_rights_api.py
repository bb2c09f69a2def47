"""HTTP routes for a family's data rights: export everything it has stored.

The other right, ``DELETE /families/{id}?confirm={id}``, is declared in
``api.py``'s FamilyController (Litestar serves one path from one controller:
a second controller on ``/families/{family_id}`` fails at start-up) and
calls ``data_rights.delete_family``; it is the only way to delete a family.
It takes no Idempotency-Key: the answer could only be stored under the user
being deleted, and a retry is already safe and clear -- the family is gone
(404) or, with the family's own token, no longer signs in (401).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Response, get

from resources.api import Actor, PathId
from scheduler import data_rights
from scheduler.access import api


class DataRightsController(Controller):
    path = "/families"
    tags = ["families", "data rights"]

    @get("/{family_id:int}/export", response_description="the family's data as one JSON document (a download)", guards=[api.family("family_id")])
    async def export(self, actor: Actor, family_id: PathId) -> Response[dict[str, Any]]:
        """Everything stored about the family: profile, children, availability, registrations, conferences,
        notifications, users and feed links (metadata only: tokens are stored as hashes and never leave)."""
        document = await data_rights.export_family(actor, family_id)
        return Response(content=msgspec.json.encode(document), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="family-{family_id}-export.json"',
            "Cache-Control": "no-store"})


ROUTES = [DataRightsController]
