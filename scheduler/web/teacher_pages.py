"""Teachers: their conference days (printable, one evening per page), their breaks and times away while
the week is being planned, and their private calendar link.

A teacher signs in like everyone else (an e-mailed link; the staff page makes the account). The
routes take the conference teacher from the form, not the address, and the services check that it
is the signed-in teacher's own (by e-mail, ``conferences/teacher_days.py``).
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from calendars import links
from scheduler.conferences import teacher_days
from scheduler.conferences.schemas import SpanIn
from scheduler.core.access import pages
from scheduler.core.errors import InvalidInput
from scheduler.core.languages import language_label
from scheduler.core.validation import convert
from scheduler.events import services as events
from scheduler.web.admin_common import one, values_of
from scheduler.web.common import Page, back, qr


async def _context(page: Page) -> dict[str, Any]:
    actor = page.require("teacher").principal
    weeks = [await teacher_days.teacher_week(actor, tid) for tid in await teacher_days.my_teacher_ids(actor)]
    _ = page.gettext
    return {"weeks": weeks, "feed_forms": True, "back_to": "", "kinds": [("break", _("Break")),
                                                                          ("unavailable", _("Not there"))],
            "language_name": lambda code: language_label(code, page.language) if code else "",
            "notices": {"saved": _("Saved.")},
            "door_events": (await events.school_events(actor.school_id, "published", upcoming_only=True))[:3]
            if actor.school_id else []}


@get("/teacher", include_in_schema=False, guards=[pages.signed_in("teacher")])
async def teacher_home(page: Page) -> Template:
    return page.render("teacher.html", values={}, errors={}, **await _context(page))


def _teacher_id(form: dict[str, list[str]]) -> int:
    text = one(form, "teacher_id")
    if not (text.isdigit() and len(text) < 10):
        raise InvalidInput([("teacher_id", "choose one of your conference weeks")])
    return int(text)


@post("/teacher/times", include_in_schema=False, guards=[pages.signed_in("teacher")])
async def add_time(page: Page) -> Template | Redirect:
    """A break or a time away, refused once the week is solved or published (the office decides then)."""
    form = await page.form()

    async def work() -> Redirect:
        date = one(form, "date")
        span = convert(SpanIn, {"start": f"{date}T{one(form, 'start')}", "end": f"{date}T{one(form, 'end')}"})
        await teacher_days.add_time(page.require("teacher").principal, _teacher_id(form), one(form, "kind"), span)
        return back("/teacher", "saved")

    return await page.submit(work, "teacher.html", values_of(form), **await _context(page))


@post("/teacher/times/delete", include_in_schema=False, guards=[pages.signed_in("teacher")])
async def delete_time(page: Page) -> Template | Redirect:
    form = await page.form()

    async def work() -> Redirect:
        time_id = one(form, "time_id")
        await teacher_days.delete_time(page.require("teacher").principal, _teacher_id(form),
                                       int(time_id) if time_id.isdigit() and len(time_id) < 10 else None)
        return back("/teacher", "saved")

    return await page.submit(work, "teacher.html", values_of(form), **await _context(page))


@post("/teacher/feed-link", include_in_schema=False, guards=[pages.signed_in("teacher")])
async def feed_link(page: Page) -> Template:
    """A new private link to the teacher's calendar, shown once; earlier links stop working."""
    form = await page.form()
    link = await links.rotate_teacher_token(page.settings, page.require("teacher").principal, _teacher_id(form))
    return page.render("feed_link.html", link=link, link_qr=qr(link.https, page.gettext("My conferences")),
                       back_to="/teacher")


ROUTES = [teacher_home, add_time, delete_time, feed_link]
