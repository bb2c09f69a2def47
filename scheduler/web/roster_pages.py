"""The roster page for a school's administrators: upload, preview, import, invite, history.

Two steps, so nothing is written by surprise: the upload shows what the import *would* change
(the same dry run as ``--dry-run``), and only the "Import" button applies it, computed again
against the school as it is then, in one transaction. A broken file shows every problem with its
file, line and column, and writes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from resources.services import school_by_slug
from scheduler.core.access import pages
from scheduler.core.errors import InvalidInput
from scheduler.roster import invitations, sync
from scheduler.roster.schemas import ImportReport, InvitationsOut
from scheduler.roster.simple_csv import TEMPLATE
from scheduler.web.common import Page, back

UPLOAD_FIELD = "bundle"


def _kinds(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"families": _("Families"), "children": _("Children"), "teachers": _("Teachers"),
            "classes": _("Classes"), "enrollments": _("Class enrolments")}


def _actions(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"created": _("New"), "updated": _("Changed"), "deactivated": _("No longer in the roster")}


async def _render(page: Page, slug: str, status_code: int = 200, report: ImportReport | None = None,
                  problems: list[str] | None = None, invited: InvitationsOut | None = None) -> Template:
    school = await school_by_slug(slug)
    _ = page.gettext
    notices = {"imported": _("The roster is imported. Families the roster added can now sign in with their "
                             "e-mail address; send them an invitation so they know.")}
    return page.render("roster.html", status_code=status_code, school=school, report=report, problems=problems or [],
                       invited=invited, history=await sync.recent_imports(school["id"]), kinds=_kinds(page),
                       actions=_actions(page), template_header=TEMPLATE.strip(), notices=notices,
                       column=page.settings.roster_language_column)


@get("/roster/{slug:str}", include_in_schema=False, guards=[pages.admin("slug")])
async def roster_page(page: Page, slug: str) -> Template:
    page.require("admin")
    return await _render(page, slug)


@post("/roster/{slug:str}/preview", include_in_schema=False, guards=[pages.admin("slug")])
async def preview(page: Page, slug: str) -> Template:
    """The upload: a dry run, the file kept for the "Import" button. Its path is an upload path (larger body)."""
    form = await page.form()  # checks the CSRF token
    upload: Any = (await page.request.form()).get(UPLOAD_FIELD)
    if upload is None or isinstance(upload, str):
        raise InvalidInput([(UPLOAD_FIELD, page.gettext("Choose the roster file to upload: a .zip or a .csv."))])
    limit = page.settings.max_upload_bytes
    content = await upload.read(limit + 1)
    if len(content) > limit:
        too_large = page.gettext("The file is larger than %(mb)s MB.") % {"mb": f"{limit / 1e6:g}"}
        raise InvalidInput([(UPLOAD_FIELD, too_large)])
    org = (form.get("org") or [""])[0].strip()
    try:
        report = await sync.preview_upload(page.require("admin").principal, slug, content, page.settings,
                                           filename=upload.filename or "", org=org)
    except InvalidInput as exc:
        return await _render(page, slug, status_code=exc.status_code, problems=[m for _, m in exc.problems])
    return await _render(page, slug, report=report)


@post("/roster/{slug:str}/apply", include_in_schema=False, guards=[pages.admin("slug")])
async def apply(page: Page, slug: str) -> Redirect:
    form = await page.form()
    chosen = (form.get("import_id") or [""])[0]
    if not chosen.isdigit():
        raise InvalidInput([("import_id", page.gettext("Upload the file again and preview it first."))])
    await sync.apply_upload(page.require("admin").principal, slug, int(chosen), page.settings)
    return back(f"/roster/{slug}", "imported")


@post("/roster/{slug:str}/invitations", include_in_schema=False, guards=[pages.admin("slug")])
async def invite(page: Page, slug: str) -> Template:
    """Renders the counts rather than redirecting: sending again is harmless (nothing goes twice)."""
    await page.form()
    invited = await invitations.send_invitations(page.require("admin").principal, slug, page.settings)
    return await _render(page, slug, invited=invited)


ROUTES = [roster_page, preview, apply, invite]
