"""The page an e-mail's "choose which e-mails you receive" link opens: no sign-in, the signed link is the key.

No CSRF token: the form posts back to the same secret address, which a
page of another site cannot know.
"""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from scheduler.core.access import pages
from scheduler.families.tables import Family
from scheduler.notifications import preferences
from scheduler.notifications.messages import FAMILY_KINDS
from scheduler.web.common import Page, back, choose_language
from scheduler.web.i18n import N_

#: Each kind of family e-mail in words (the order of the form).
KIND_NAMES = {
    "registration_confirmed": N_("When a registration is confirmed"),
    "registration_waitlisted": N_("When we are put on a waitlist"),
    "waitlist_offered": N_("When a place is held for us"),
    "waitlist_promoted": N_("When we move up from the waitlist"),
    "reminder": N_("Reminders before an event"),
    "event_rescheduled": N_("When an event moves to a new time"),
    "event_cancelled": N_("When an event is cancelled"),
    "attendance_question": N_("The day before: will you come?"),
    "thank_you": N_("After an event: thank you, and how was it?"),
    "missed_you": N_("After an event we missed: when the next session is"),
}


async def _family_page(page: Page, token: str) -> int:
    """The family the link names; its language is the page's profile language (no one is signed in)."""
    family_id = preferences.family_from_token(page.settings, token)
    row = await Family.select(Family.language).where(Family.id == family_id).first().run()
    page.language = choose_language(page.request, row["language"] if row else "")
    return family_id


@get("/email-preferences/{token:str}", include_in_schema=False, guards=[pages.token])
async def show(page: Page, token: str) -> Template:
    family_id = await _family_page(page, token)
    switches = await preferences.get(family_id)
    return page.render("email_preferences.html", token=token, switches=switches, kinds=KIND_NAMES,
                       notices={"saved": page.gettext("Saved.")})


@post("/email-preferences/{token:str}", include_in_schema=False, guards=[pages.token])
async def save(page: Page, request: Request, token: str) -> Redirect:
    family_id = await _family_page(page, token)
    form = await request.form()
    wanted = set(form.getall("kind"))
    await preferences.put(family_id, {kind: kind in wanted for kind in FAMILY_KINDS})
    return back(f"/email-preferences/{token}", "saved")


ROUTES = [show, save]
