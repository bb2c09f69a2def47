"""The school's inbox: texts families sent that are messages for the school, and the form that answers them.

A family that writes "no puedo ir, mi hijo está enfermo" gets a person, not a
robot: the message shows with the family and its language, and the answer
typed here goes back as a text through the outbox (same retries, same STOP
rules as every other text). District administrators also see texts from
numbers no family has, marked "unknown number".
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.response import Redirect, Template
from msgspec import Meta, Struct

from scheduler.core.access import pages
from scheduler.core.languages import language_label
from scheduler.core.validation import convert
from scheduler.notifications import sms_inbound
from scheduler.web.admin_common import one, school
from scheduler.web.common import Page, back


class InboxReply(Struct, forbid_unknown_fields=True):
    """The school's answer (the service checks it again: blank or too long is refused, naming ``text``)."""

    text: Annotated[str, Meta(min_length=1, max_length=sms_inbound.MAX_REPLY)]


async def _context(page: Page) -> dict[str, Any]:
    here = school(page)
    principal = page.require().principal
    items = await sms_inbound.inbox(principal, here["id"])
    if principal.school_id is None:  # a district admin also answers numbers no family has
        items += await sms_inbound.inbox(principal, None)
    _ = page.gettext
    return {"items": items, "language_name": lambda code: language_label(code, page.language),
            "notices": {"replied": _("Your answer will be sent as a text in a moment.")},
            "reply_status": lambda status: {"pending": _("waiting to be sent"), "sent": _("sent"),
                                            "failed": _("could not be delivered"),
                                            "skipped": _("not sent (the number replied STOP)")}.get(status, status)}


@get("/admin/inbox", include_in_schema=False, guards=[pages.signed_in("admin")])
async def inbox_page(page: Page) -> Template:
    """Texts from families, newest first, with the family's language and any answer sent."""
    return page.render("admin_inbox.html", **await _context(page))


@post("/admin/inbox/{inbound_id:int}/reply", include_in_schema=False, guards=[pages.admin("inbound_id")])
async def reply(page: Page, inbound_id: int) -> Template | Redirect:
    form = await page.form()

    async def work() -> Redirect:
        data = convert(InboxReply, {"text": one(form, "text")})
        await sms_inbound.reply(page.require().principal, inbound_id, data.text)
        return back(f"/admin/inbox#message-{inbound_id}", "replied")

    return await page.submit(work, "admin_inbox.html", {"inbound_id": inbound_id, "text": one(form, "text")},
                             **await _context(page))


ROUTES: list[Any] = [inbox_page, reply]
