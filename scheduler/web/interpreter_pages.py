"""The interpreter board: open work in my languages that fits my time, my schedule, my calendar link."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template

from calendars import services as calendar_services
from scheduler import assignments
from scheduler.db import in_transaction
from scheduler.idempotency import once
from scheduler.web.common import Page, back
from scheduler.web.family_pages import qr
from scheduler.web.i18n import language_label


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"claimed": _("It is yours. The school sees who is coming."),
            "released": _("Released: the assignment is open for others again.")}


@get("/interpreter", include_in_schema=False)
async def board(page: Page) -> Template:
    actor = page.require("interpreter").principal
    buffer = page.settings.travel_buffer_minutes
    return page.render("interpreter.html", open_work=await assignments.open_for_me(actor, buffer),
                       mine=[a for a in await assignments.mine(actor) if a.status != "cancelled"],
                       language_name=lambda c: language_label(c, page.language),
                       notices=_notices(page))


@post("/interpreter/assignments/{assignment_id:int}/claim", include_in_schema=False)
async def claim(page: Page, assignment_id: int) -> Redirect:
    await page.form()
    actor = page.require("interpreter").principal
    buffer = page.settings.travel_buffer_minutes
    await once(actor, None, f"claim:{assignment_id}", 200, lambda: assignments.claim(actor, assignment_id, buffer))
    return back("/interpreter", "claimed")


@post("/interpreter/assignments/{assignment_id:int}/release", include_in_schema=False)
async def release(page: Page, assignment_id: int) -> Redirect:
    await page.form()
    actor = page.require("interpreter").principal
    await in_transaction(lambda: assignments.release(actor, assignment_id))
    return back("/interpreter", "released")


@post("/interpreter/feed", include_in_schema=False)
async def private_feed(page: Page) -> Template:
    await page.form()
    actor = page.require("interpreter").principal
    assert actor.interpreter_id is not None
    link = await calendar_services.rotate_token(page.settings, actor, "interpreter", actor.interpreter_id)
    return page.render("feed_link.html", link=link, link_qr=qr(link.https, page.gettext("QR code for your calendar")),
                       back_to="/interpreter")


ROUTES = [board, claim, release, private_feed]
