"""After an event: the family's "how was it?" page (the signed link is the key) and the school's summary page.

The family's page is a form with five buttons and a comment box, in the
family's language, made for a phone; opening it answers nothing (mail
scanners open links). No CSRF token, as on the attendance page: the form
posts back to the same secret address, which a page of another site cannot
know. The school's page shows counts, the average and the comments with
their language, never a family.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from scheduler.attendance import feedback
from scheduler.core.access import pages
from scheduler.core.languages import language_label
from scheduler.core.validation import convert, multi_line
from scheduler.web.common import Page, back, choose_language
from scheduler.web.i18n import N_

#: The five answers in words (the buttons, and the school's counts).
SCORE_NAMES = {1: N_("Poor"), 2: N_("Not so good"), 3: N_("Okay"), 4: N_("Good"), 5: N_("Very good")}
CHANNEL_NAMES = {"web": N_("by the link"), "sms": N_("by text")}


class FeedbackForm(Struct, forbid_unknown_fields=True):
    """The family's answer (the service checks it again)."""

    score: Annotated[int, Meta(ge=1, le=5)]
    comment: multi_line(feedback.MAX_COMMENT) = ""


async def _context(page: Page, token: str) -> dict[str, Any]:
    event_id, family_id = feedback.from_token(page.settings, token)
    details = await feedback.details(event_id, family_id)
    page.language = choose_language(page.request, details["language"])
    _ = page.gettext
    return {"token": token, "event_id": event_id, "family_id": family_id, "details": details,
            "scores": [(s, _(name)) for s, name in SCORE_NAMES.items()],
            "notices": {"thanks": _("Thank you: the school reads every answer.")}}


@get("/feedback/{token:str}", include_in_schema=False, guards=[pages.token])
async def show(page: Page, token: str) -> Template:
    """How was it? Five buttons and a comment box."""
    return page.render("feedback.html", **await _context(page, token))


@post("/feedback/{token:str}", include_in_schema=False, guards=[pages.token])
async def save(page: Page, request: Request, token: str) -> Template | Redirect:
    context = await _context(page, token)
    form = await request.form()
    values = {"score": form.get("score") or "", "comment": form.get("comment") or ""}

    async def work() -> Redirect:
        data = convert(FeedbackForm, {k: v for k, v in values.items() if k != "comment" or v})
        await feedback.record(context["event_id"], context["family_id"], data.score, data.comment, channel="web",
                              language=page.language)
        return back(f"/feedback/{token}", "thanks")

    return await page.submit(work, "feedback.html", values, **context)


@get("/admin/events/{event_id:int}/feedback", include_in_schema=False, guards=[pages.admin("event_id")])
async def summary(page: Page, event_id: int) -> Template:
    """What families thought of an event: counts per score, the average, comments; no names."""
    got = await feedback.summary(page.require().principal, event_id)
    _ = page.gettext
    return page.render("admin_event_feedback.html", summary=got,
                       scores=[(s, _(name)) for s, name in SCORE_NAMES.items()],
                       channel_name=lambda c: _(CHANNEL_NAMES[c]) if c in CHANNEL_NAMES else c,
                       language_name=lambda code: language_label(code, page.language))


ROUTES = [show, save, summary]
