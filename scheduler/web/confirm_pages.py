"""The pages the day-before e-mails link to: a conference evening's "will you come?" and an interpreter's
"will you be there?", each with two buttons; the signed link is the key (``notifications/signed.py``).

Buttons rather than answering links: mail scanners open every link in a
message, and a scanner must not cancel a family's meetings or release an
interpreter's work. No CSRF token, as on the events' question page
(``attendance_pages.py``): the form posts back to the same secret address,
which a page of another site cannot know.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from scheduler.assignments import day_before
from scheduler.conferences import confirmations
from scheduler.core.access import pages
from scheduler.core.errors import InvalidInput
from scheduler.web.common import Page, back, choose_language
from scheduler.web.i18n import language_label


async def _conference(page: Page, token: str) -> dict:
    confirmation_id = confirmations.confirmation_from_token(page.settings, token)
    details = await confirmations.details(confirmation_id)
    page.language = choose_language(page.request, details["language"])
    _ = page.gettext
    live = [m for m in details["meetings"] if m["status"] != "cancelled"]
    return {"token": token, "action": f"/confirm/conferences/{token}", "id": confirmation_id,
            "heading": _("Will you come to your conferences?"), "answer": details["answer"],
            "lines": [(m["starts_at"], m["teacher_name"], m["room_name"] or "") for m in details["meetings"]
                      if m["status"] != "cancelled" or details["answer"] == "no"],
            "closed": details["answer"] == "no" or not live,
            "closed_text": _("Your conferences of this evening are cancelled."),
            "yes_said": _("You said you will come."),
            "yes": _("Yes, we will come"), "no": _("No, we cannot come"),
            "note": _("If you cannot come, your times are freed so other families can book them."),
            "notices": {"yes": _("Thank you: the teachers look forward to seeing you."),
                        "no": _("Thank you for telling us: your conferences of this evening are cancelled.")}}


async def _interpreting(page: Page, token: str) -> dict:
    assignment_id, interpreter_id = day_before.from_token(page.settings, token)
    details = await day_before.details(assignment_id, interpreter_id)
    _ = page.gettext
    return {"token": token, "action": f"/confirm/interpreting/{token}", "ids": (assignment_id, interpreter_id),
            "heading": _("Will you be there?"), "answer": details["day_before_answer"],
            "lines": [(details["starts_at"], details["title"], language_label(details["language"], page.language))],
            "closed": False, "closed_text": "", "yes_said": _("You said you will be there."),
            "yes": _("I will be there"), "no": _("I cannot come"),
            "note": _("If you cannot come, the assignment opens again for other interpreters and the school is told."),
            "notices": {"yes": _("Thank you: the school counts on you."),
                        "no": _("Released: the assignment is open for others again, and the school is told.")}}


@get("/confirm/conferences/{token:str}", include_in_schema=False, guards=[pages.token])
async def conference(page: Page, token: str) -> Template:
    return page.render("day_before.html", **await _conference(page, token))


@post("/confirm/conferences/{token:str}", include_in_schema=False, guards=[pages.token])
async def conference_answer(page: Page, request: Request, token: str) -> Template | Redirect:
    context = await _conference(page, token)
    choice = (await request.form()).get("answer")

    async def work() -> Redirect:
        if choice not in ("yes", "no"):
            raise InvalidInput([("answer", "choose yes or no")])
        said = await confirmations.answer(context["id"], choice == "yes", "web")
        return back(context["action"], said)

    return await page.submit(work, "day_before.html", {"answer": choice or ""}, **context)


@get("/confirm/interpreting/{token:str}", include_in_schema=False, guards=[pages.token])
async def interpreting(page: Page, token: str) -> Template:
    return page.render("day_before.html", **await _interpreting(page, token))


@post("/confirm/interpreting/{token:str}", include_in_schema=False, guards=[pages.token])
async def interpreting_answer(page: Page, request: Request, token: str) -> Template | Redirect:
    choice = (await request.form()).get("answer")
    if choice == "no":  # after the release the link names work that is no longer theirs: nothing to show again
        assignment_id, interpreter_id = day_before.from_token(page.settings, token)
        await day_before.details(assignment_id, interpreter_id)
        await day_before.answer(assignment_id, interpreter_id, False)
        return page.render("day_before.html", heading=page.gettext("Will you be there?"), lines=[], closed=True,
                           closed_text=page.gettext("Released: the assignment is open for others again, and the "
                                                    "school is told."), notices={}, answer="no")
    context = await _interpreting(page, token)

    async def work() -> Redirect:
        if choice != "yes":
            raise InvalidInput([("answer", "choose yes or no")])
        said = await day_before.answer(*context["ids"], True)
        return back(context["action"], said)

    return await page.submit(work, "day_before.html", {"answer": choice or ""}, **context)


ROUTES = [conference, conference_answer, interpreting, interpreting_answer]
