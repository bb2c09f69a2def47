"""Administrators' pages for the school itself: its settings (the district creates schools), its staff
accounts, and the messages it sent (what failed, and sending it again)."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from resources import services as resources
from resources.schemas import SchoolIn
from scheduler.accounts import staff
from scheduler.core.access import pages
from scheduler.core.languages import NAMES, language_label
from scheduler.core.paging import PageRequest
from scheduler.core.validation import convert
from scheduler.notifications import admin as outbox_admin
from scheduler.web import i18n
from scheduler.web.admin_common import one, school, values_of
from scheduler.web.common import Page, back
from scheduler.web.i18n import N_
from scheduler.web.preferences_pages import KIND_NAMES

ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
         "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "Europe/London", "UTC")
STAFF_KIND_NAMES = {"assignment_open": N_("Interpreting work to claim"), "assignment_confirmed": N_("Interpreting "
                    "confirmed"), "assignment_unclaimed": N_("Interpreting still unclaimed")}
STATUS_NAMES = {"pending": N_("waiting to be sent"), "sent": N_("sent"), "failed": N_("could not be delivered"),
                "skipped": N_("not sent (switched off or withdrawn)")}


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"saved": _("Saved."), "added": _("The school is created."), "invited": _("The sign-in link is on its way "
            "by e-mail."), "not-sent": _("The e-mail could not be sent; check the mail settings and send the link "
            "again."), "deactivated": _("The account is deactivated: it can no longer sign in."),
            "activated": _("The account is active again; send a sign-in link."),
            "resent": _("The message will be sent again in a moment.")}


def _language_choices(page: Page) -> list[tuple[str, str]]:
    return sorted(((c, language_label(c, page.language)) for c in NAMES), key=lambda c: c[1].casefold())


def _school_in(form: dict[str, list[str]]) -> SchoolIn:
    return convert(SchoolIn, {"name": one(form, "name"), "slug": one(form, "slug"), "timezone": one(form, "timezone"),
                              "languages": form.get("languages", [])})


# ---------------------------------------------------------------- schools (the district)


async def _schools_context(page: Page) -> dict[str, Any]:
    items, _total = await resources.list_schools(page.require().principal, PageRequest(limit=200, offset=0))
    return {"schools": items, "zones": [(z, z) for z in ZONES], "language_choices": _language_choices(page),
            "notices": _notices(page)}


@get("/admin/schools", include_in_schema=False, guards=[pages.district])
async def schools_page(page: Page) -> Template:
    return page.render("admin_schools.html", values={"timezone": page.settings.timezone, "languages": ["en"]},
                       errors={}, **await _schools_context(page))


@post("/admin/schools", include_in_schema=False, guards=[pages.district])
async def add_school(page: Page) -> Template | Redirect:
    form = await page.form()

    async def work() -> Redirect:
        made = await resources.create_school(page.require().principal, _school_in(form))
        return back(f"/admin/schools/{made.slug}?school={made.slug}", "added")

    values = values_of(form) | {"languages": form.get("languages", [])}
    return await page.submit(work, "admin_schools.html", values, **await _schools_context(page))


@get("/admin/schools/{slug:str}", include_in_schema=False, guards=[pages.admin("slug")])
async def school_page(page: Page, slug: str) -> Template:
    one_ = await resources.get_school(page.require().principal, slug)
    values = {"name": one_.name, "slug": one_.slug, "timezone": one_.timezone, "languages": list(one_.languages)}
    return page.render("admin_school.html", school_=one_, values=values, errors={}, zones=[(z, z) for z in ZONES],
                       language_choices=_language_choices(page), notices=_notices(page))


@post("/admin/schools/{slug:str}", include_in_schema=False, guards=[pages.admin("slug")])
async def save_school(page: Page, slug: str) -> Template | Redirect:
    """Name, time zone and the languages the school writes in (its first is the events' own language)."""
    form = await page.form()
    actor = page.require().principal
    one_ = await resources.get_school(actor, slug)

    async def work() -> Redirect:
        saved = await resources.update_school(actor, slug, _school_in(form))
        return back(f"/admin/schools/{saved.slug}?school={saved.slug}", "saved")

    values = values_of(form) | {"languages": form.get("languages", [])}
    return await page.submit(work, "admin_school.html", values, school_=one_, zones=[(z, z) for z in ZONES],
                             language_choices=_language_choices(page), notices=_notices(page))


# ---------------------------------------------------------------- staff accounts


async def _staff_context(page: Page) -> dict[str, Any]:
    here = school(page)
    actor = page.require().principal
    interpreters, _total = await resources.list_interpreters(actor, here["slug"], PageRequest(limit=200, offset=0))
    return {"accounts": await staff.list_staff(actor, here["slug"]), "notices": _notices(page),
            "interpreter_choices": [(i.id, i.name) for i in interpreters],
            "roles": [("admin", page.gettext("Administrator")), ("interpreter", page.gettext("Interpreter")),
                      ("teacher", page.gettext("Teacher"))]}


@get("/admin/staff", include_in_schema=False, guards=[pages.signed_in("admin")])
async def staff_page(page: Page) -> Template:
    return page.render("admin_staff.html", values={"role": "admin"}, errors={}, **await _staff_context(page))


@post("/admin/staff", include_in_schema=False, guards=[pages.signed_in("admin")])
async def invite(page: Page) -> Template | Redirect:
    """A new account for a colleague; they get a one-time sign-in link by e-mail."""
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        role = one(form, "role")
        interpreter = one(form, "interpreter_id")
        sent = await staff.invite_staff(page.settings, page.require().principal, here["slug"], role,
                                        one(form, "name"), one(form, "email"), page.language, i18n.translator,
                                        interpreter_id=int(interpreter) if interpreter.isdigit() else None)
        return back("/admin/staff", "invited" if sent else "not-sent")

    return await page.submit(work, "admin_staff.html", values_of(form), **await _staff_context(page))


@post("/admin/staff/{user_id:int}/link", include_in_schema=False, guards=[pages.admin("user_id")])
async def resend_link(page: Page, user_id: int) -> Template | Redirect:
    await page.form()

    async def work() -> Redirect:
        sent = await staff.resend_link(page.settings, page.require().principal, user_id, page.language,
                                       i18n.translator)
        return back("/admin/staff", "invited" if sent else "not-sent")

    return await page.submit(work, "admin_staff.html", {"role": "admin"}, **await _staff_context(page))


@post("/admin/staff/{user_id:int}/active", include_in_schema=False, guards=[pages.admin("user_id")])
async def set_active(page: Page, user_id: int) -> Template | Redirect:
    form = await page.form()
    active = one(form, "active") == "1"

    async def work() -> Redirect:
        await staff.set_active(page.require().principal, user_id, active)
        return back("/admin/staff", "activated" if active else "deactivated")

    return await page.submit(work, "admin_staff.html", {"role": "admin"}, **await _staff_context(page))


# ---------------------------------------------------------------- messages


def _kind_name(page: Page, kind: str) -> str:
    label = KIND_NAMES.get(kind) or STAFF_KIND_NAMES.get(kind)
    return page.gettext(label) if label else kind


async def _messages_context(page: Page, status: str | None) -> dict[str, Any]:
    here = school(page)
    listed = await outbox_admin.list_outbox(page.require().principal, here["slug"], PageRequest(limit=200, offset=0),
                                            status or None)
    return {"messages": listed.items, "total": listed.total, "status": status or "", "notices": _notices(page),
            "kind_name": lambda kind: _kind_name(page, kind),
            "status_name": lambda code: page.gettext(STATUS_NAMES.get(code, code)),
            "statuses": [(code, page.gettext(label)) for code, label in STATUS_NAMES.items()]}


@get("/admin/messages", include_in_schema=False, guards=[pages.signed_in("admin")])
async def messages_page(page: Page, status: str = "") -> Template:
    """The outbox: every message, newest first, what became of it and why; failed ones can be sent again."""
    chosen = status if status in STATUS_NAMES else ""
    return page.render("admin_messages.html", **await _messages_context(page, chosen))


@post("/admin/messages/{outbox_id:int}/resend", include_in_schema=False, guards=[pages.admin("outbox_id")])
async def resend(page: Page, outbox_id: int) -> Template | Redirect:
    await page.form()

    async def work() -> Redirect:
        await outbox_admin.resend(page.require().principal, outbox_id)
        return back("/admin/messages", "resent")

    return await page.submit(work, "admin_messages.html", {}, **await _messages_context(page, None))


ROUTES: list[Any] = [schools_page, add_school, school_page, save_school, staff_page, invite, resend_link, set_active,
                     messages_page, resend]
