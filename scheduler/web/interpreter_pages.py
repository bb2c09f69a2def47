"""The interpreter board: open work in my languages that fits my time, my schedule, my calendar link."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template

from scheduler.accounts.idempotency import once
from scheduler.assignments import day_before
from scheduler.assignments import services as assignments
from scheduler.conferences import interpreting
from scheduler.core.access import pages
from scheduler.core.errors import InvalidInput
from scheduler.core.timeutil import utcnow
from scheduler.web.common import Page, back, private_feed_page
from scheduler.web.i18n import language_label


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"claimed": _("It is yours. The school sees who is coming."),
            "released": _("Released: the assignment is open for others again."),
            "coming": _("Thank you: the school counts on you."),
            "not-coming": _("Released: the assignment is open for others again, and the school is told.")}


@get("/interpreter", include_in_schema=False, guards=[pages.signed_in("interpreter")])
async def board(page: Page) -> Template:
    actor = page.require("interpreter").principal
    buffer = page.settings.travel_buffer_minutes
    return page.render("interpreter.html", open_work=await assignments.open_for_me(actor, buffer),
                       mine=[a for a in await assignments.mine(actor) if a.status != "cancelled"],
                       families=await interpreting.my_families(actor),
                       tomorrow=await day_before.tomorrow(actor.interpreter_id or 0, utcnow()),
                       language_name=lambda c: language_label(c, page.language),
                       notices=_notices(page))


@post("/interpreter/assignments/{assignment_id:int}/claim", include_in_schema=False, guards=[pages.signed_in("interpreter")])
async def claim(page: Page, assignment_id: int) -> Redirect:
    await page.form()
    actor = page.require("interpreter").principal
    buffer = page.settings.travel_buffer_minutes
    await once(actor, None, f"claim:{assignment_id}", 200, lambda: assignments.claim(actor, assignment_id, buffer))
    return back("/interpreter", "claimed")


@post("/interpreter/assignments/{assignment_id:int}/release", include_in_schema=False, guards=[pages.signed_in("interpreter")])
async def release(page: Page, assignment_id: int) -> Redirect:
    await page.form()
    actor = page.require("interpreter").principal
    await assignments.release(actor, assignment_id)
    return back("/interpreter", "released")


@post("/interpreter/assignments/{assignment_id:int}/day-before", include_in_schema=False,
      guards=[pages.signed_in("interpreter")])
async def day_before_answer(page: Page, assignment_id: int) -> Redirect:
    """Tomorrow's work confirmed from the board, as from the e-mail's link: "no" releases it and tells the school."""
    form = await page.form()
    actor = page.require("interpreter").principal
    choice = (form.get("answer") or [""])[0]
    if choice not in ("yes", "no"):
        raise InvalidInput([("answer", "choose yes or no")])
    said = await day_before.answer(assignment_id, actor.interpreter_id or 0, choice == "yes")
    return back("/interpreter", "coming" if said == "yes" else "not-coming")


@post("/interpreter/feed", include_in_schema=False, guards=[pages.signed_in("interpreter")])
async def private_feed(page: Page) -> Template:
    actor = page.require("interpreter").principal
    assert actor.interpreter_id is not None  # an interpreter account always names its interpreter
    return await private_feed_page(page, "interpreter", actor.interpreter_id,
                                   page.gettext("QR code for your calendar"), "/interpreter")


ROUTES = [board, claim, release, day_before_answer, private_feed]
