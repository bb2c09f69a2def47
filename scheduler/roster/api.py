"""HTTP for the roster: import (or preview) a school's roster, invite its families.

The bundle is the raw request body: a zip of OneRoster CSV files (``application/zip``) or the
simple template (``text/csv``); which one is told from the bytes (a zip starts with ``PK``).
Litestar decodes a ``data`` parameter only as JSON, MessagePack or forms, hence ``request.body()``.
The path is one of the upload paths of ``scheduler.http.middleware``: the body may be as large as
FB_MAX_UPLOAD_BYTES and is refused with 413 before it is read when larger.
"""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.params import FromPath, FromQuery

from scheduler.core.access import api
from scheduler.http.params import Actor
from scheduler.roster import invitations, sync
from scheduler.roster.schemas import ImportReport, InvitationsOut


class RosterController(Controller):
    path = "/schools/{slug:str}/roster"
    tags = ["roster"]

    @post("/imports", status_code=200, guards=[api.admin("slug")])
    async def import_roster(self, request: Request, actor: Actor, slug: FromPath[str], dry_run: FromQuery[bool] = False,
                            org: FromQuery[str | None] = None) -> ImportReport:
        """Sync the school with its roster, in one transaction; ``dry_run=true`` only says what would change.

        Body: a OneRoster 1.1 CSV bundle as a zip, or the simple CSV template. A broken file is a
        422 whose errors name file, line and column, and nothing is written. ``org``: the school's
        org sourcedId when the bundle holds several schools.
        """
        return await sync.import_roster(actor, slug, await request.body(), request.app.state.settings,
                                        dry_run=dry_run, org=org)

    @post("/invitations", status_code=200, guards=[api.admin("slug")])
    async def invite(self, request: Request, actor: Actor, slug: FromPath[str]) -> InvitationsOut:
        """Queue a sign-in invitation (no credential: a link to the sign-in page) for each family not invited yet."""
        return await invitations.send_invitations(actor, slug, request.app.state.settings)


ROUTES = [RosterController]
