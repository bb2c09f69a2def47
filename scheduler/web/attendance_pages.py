"""The page the day-before e-mail links to: "Will you come?" with two buttons; the signed link is the key.

A page with buttons rather than two links that answer: mail scanners open
every link in a message, and a scanner must not give a family's seat away.
No CSRF token, as on the preferences page: the form posts back to the same
secret address, which a page of another site cannot know.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from scheduler.core.access import pages
from scheduler.core.errors import InvalidInput
from scheduler.core.timeutil import as_utc
from scheduler.notifications import attendance
from scheduler.web.common import Page, back, choose_language


async def _context(page: Page, token: str) -> dict:
    registration_id = attendance.registration_from_token(page.settings, token)
    details = await attendance.question_details(registration_id)
    page.language = choose_language(page.request, details["language"])
    starts = details["starts_at"]
    starts = as_utc(starts)
    _ = page.gettext
    return {"token": token, "registration_id": registration_id, "details": details, "starts": starts,
            "notices": {"yes": _("Thank you: we look forward to seeing you."),
                        "no": _("Thank you for telling us: your place goes to a family on the waitlist.")}}


@get("/attendance/{token:str}", include_in_schema=False, guards=[pages.token])
async def show(page: Page, token: str) -> Template:
    return page.render("attendance.html", **await _context(page, token))


@post("/attendance/{token:str}", include_in_schema=False, guards=[pages.token])
async def save(page: Page, request: Request, token: str) -> Template | Redirect:
    context = await _context(page, token)
    form = await request.form()
    choice = form.get("answer")

    async def work() -> Redirect:
        if choice not in ("yes", "no"):
            raise InvalidInput([("answer", "choose yes or no")])
        said = await attendance.answer(context["registration_id"], choice == "yes", "web")
        return back(f"/attendance/{token}", said)

    return await page.submit(work, "attendance.html", {"answer": choice or ""}, **context)


ROUTES = [show, save]
