"""Administrators' pages for what events need: rooms, interpreters and childcare rooms, with their weekly hours.

Every form builds the API's own shapes (``convert``), so a page checks what
the API checks; a refused form comes back with each problem beside its field
and the input kept (``Page.submit``).
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template

from resources import services as resources
from resources.schemas import AGE_BANDS, ChildcareIn, InterpreterIn, RatioIn, RoomIn, StaffingWindow, WeeklyWindow
from scheduler.accounts import staff
from scheduler.bookings import services as bookings
from scheduler.core.access import pages
from scheduler.core.languages import NAMES, language_label
from scheduler.core.paging import PageRequest
from scheduler.core.validation import convert
from scheduler.web import i18n
from scheduler.web.admin_common import grid_context, grid_windows, one, school, values_of, weekly_rows, words
from scheduler.web.common import Page, back
from scheduler.web.i18n import N_, weekday_names

ALL = PageRequest(limit=200, offset=0)
AGE_BAND_WORDS = {"infant": N_("infant"), "toddler": N_("toddler"), "preschool": N_("preschool"),
                  "school-age": N_("school-age")}


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"saved": _("Saved."), "added": _("Added."), "deleted": _("Deleted."),
            "invited": _("The sign-in link is on its way by e-mail."),
            "not-sent": _("The account is made, but the e-mail could not be sent; send the link again from the "
                          "Staff page.")}


# ---------------------------------------------------------------- rooms


async def _rooms_page(page: Page, status: int = 200, **extra: Any) -> Template:
    here = school(page)
    rooms, _total = await resources.list_rooms(page.require().principal, here["slug"], ALL)
    return page.render("admin_rooms.html", status_code=status, rooms=rooms, notices=_notices(page),
                       **({"values": {}, "errors": {}} | extra))


@get("/admin/rooms", include_in_schema=False, guards=[pages.signed_in("admin")])
async def rooms_page(page: Page) -> Template:
    return await _rooms_page(page)


def _room_in(form: dict[str, list[str]]) -> RoomIn:
    return convert(RoomIn, {"name": one(form, "name"), "capacity": one(form, "capacity") or "0",
                            "tags": words(one(form, "tags"))})


@post("/admin/rooms", include_in_schema=False, guards=[pages.signed_in("admin")])
async def add_room(page: Page) -> Template | Redirect:
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        room = await resources.create_room(page.require().principal, here["slug"], _room_in(form))
        return back(f"/admin/rooms/{room.id}", "added")

    rooms, _total = await resources.list_rooms(page.require().principal, here["slug"], ALL)
    return await page.submit(work, "admin_rooms.html", values_of(form), rooms=rooms, notices=_notices(page))


async def _room_context(page: Page, room_id: int) -> dict[str, Any]:
    actor = page.require().principal
    room = await resources.get_room(actor, room_id)
    hours = weekly_rows(await resources.get_room_availability(actor, room_id))
    return {"room": room, "notices": _notices(page), **grid_context(page, hours)}


@get("/admin/rooms/{room_id:int}", include_in_schema=False, guards=[pages.admin("room_id")])
async def room_page(page: Page, room_id: int) -> Template:
    context = await _room_context(page, room_id)
    room = context["room"]
    values = {"name": room.name, "capacity": room.capacity, "tags": " ".join(room.tags)}
    return page.render("admin_room.html", values=values, errors={}, **context)


@post("/admin/rooms/{room_id:int}", include_in_schema=False, guards=[pages.admin("room_id")])
async def save_room(page: Page, room_id: int) -> Template | Redirect:
    """Name, capacity and tags, and the weekly hours the room can be booked, in one form."""
    form = await page.form()
    actor = page.require().principal

    async def work() -> Redirect:
        await resources.update_room(actor, room_id, _room_in(form))
        hours = [convert(WeeklyWindow, w) for w in grid_windows(form)]
        await resources.set_room_availability(actor, room_id, hours)
        return back(f"/admin/rooms/{room_id}", "saved")

    context = await _room_context(page, room_id)
    context.update(grid_context(page, weekly_rows(grid_windows(form))))
    return await page.submit(work, "admin_room.html", values_of(form), **context)


@post("/admin/rooms/{room_id:int}/delete", include_in_schema=False, guards=[pages.admin("room_id")])
async def delete_room(page: Page, room_id: int) -> Template | Redirect:
    await page.form()

    async def work() -> Redirect:
        await resources.delete_room(page.require().principal, room_id)
        return back("/admin/rooms", "deleted")

    context = await _room_context(page, room_id)
    room = context["room"]
    values = {"name": room.name, "capacity": room.capacity, "tags": " ".join(room.tags)}
    return await page.submit(work, "admin_room.html", values, **context)


# ---------------------------------------------------------------- interpreters


def _language_choices(page: Page) -> list[tuple[str, str]]:
    return sorted(((code, language_label(code, page.language)) for code in NAMES), key=lambda c: c[1].casefold())


def _interpreter_in(form: dict[str, list[str]]) -> InterpreterIn:
    return convert(InterpreterIn, {"name": one(form, "name"), "email": one(form, "email"),
                                   "languages": form.get("languages", []),
                                   "max_events_per_day": one(form, "max_events_per_day") or None})


async def _interpreters_context(page: Page) -> dict[str, Any]:
    here = school(page)
    items, _total = await resources.list_interpreters(page.require().principal, here["slug"], ALL)
    return {"interpreters": items, "language_choices": _language_choices(page), "notices": _notices(page),
            "language_name": lambda code: language_label(code, page.language)}


@get("/admin/interpreters", include_in_schema=False, guards=[pages.signed_in("admin")])
async def interpreters_page(page: Page) -> Template:
    return page.render("admin_interpreters.html", values={"languages": []}, errors={},
                       **await _interpreters_context(page))


@post("/admin/interpreters", include_in_schema=False, guards=[pages.signed_in("admin")])
async def add_interpreter(page: Page) -> Template | Redirect:
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        made = await resources.create_interpreter(page.require().principal, here["slug"], _interpreter_in(form))
        return back(f"/admin/interpreters/{made.id}", "added")

    values = values_of(form) | {"languages": form.get("languages", [])}
    return await page.submit(work, "admin_interpreters.html", values, **await _interpreters_context(page))


async def _interpreter_context(page: Page, interpreter_id: int) -> dict[str, Any]:
    actor = page.require().principal
    one_ = await resources.get_interpreter(actor, interpreter_id)
    hours = weekly_rows(await resources.get_interpreter_availability(actor, interpreter_id))
    accounts = [u for u in await staff.list_staff(actor, school(page)["slug"]) if u["interpreter"] == interpreter_id]
    return {"interpreter": one_, "accounts": accounts, "language_choices": _language_choices(page),
            "notices": _notices(page), **grid_context(page, hours)}


def _interpreter_values(one_: Any) -> dict[str, Any]:
    return {"name": one_.name, "email": one_.email, "languages": list(one_.languages),
            "max_events_per_day": one_.max_events_per_day or ""}


@get("/admin/interpreters/{interpreter_id:int}", include_in_schema=False, guards=[pages.admin("interpreter_id")])
async def interpreter_page(page: Page, interpreter_id: int) -> Template:
    context = await _interpreter_context(page, interpreter_id)
    return page.render("admin_interpreter.html", values=_interpreter_values(context["interpreter"]), errors={},
                       **context)


@post("/admin/interpreters/{interpreter_id:int}", include_in_schema=False, guards=[pages.admin("interpreter_id")])
async def save_interpreter(page: Page, interpreter_id: int) -> Template | Redirect:
    form = await page.form()
    actor = page.require().principal

    async def work() -> Redirect:
        await resources.update_interpreter(actor, interpreter_id, _interpreter_in(form))
        hours = [convert(WeeklyWindow, w) for w in grid_windows(form)]
        await resources.set_interpreter_availability(actor, interpreter_id, hours)
        return back(f"/admin/interpreters/{interpreter_id}", "saved")

    context = await _interpreter_context(page, interpreter_id)
    context.update(grid_context(page, weekly_rows(grid_windows(form))))
    values = values_of(form) | {"languages": form.get("languages", [])}
    return await page.submit(work, "admin_interpreter.html", values, **context)


@post("/admin/interpreters/{interpreter_id:int}/account", include_in_schema=False,
      guards=[pages.admin("interpreter_id")])
async def interpreter_account(page: Page, interpreter_id: int) -> Template | Redirect:
    """Give the interpreter a sign-in: an account e-mailed its link (their board and calendar)."""
    await page.form()
    actor = page.require().principal
    one_ = await resources.get_interpreter(actor, interpreter_id)

    async def work() -> Redirect:
        sent = await staff.invite_staff(page.settings, actor, school(page)["slug"], "interpreter", one_.name,
                                        one_.email, page.language, i18n.translator, interpreter_id=interpreter_id)
        return back(f"/admin/interpreters/{interpreter_id}", "invited" if sent else "not-sent")

    context = await _interpreter_context(page, interpreter_id)
    return await page.submit(work, "admin_interpreter.html", _interpreter_values(one_), **context)


@post("/admin/interpreters/{interpreter_id:int}/delete", include_in_schema=False,
      guards=[pages.admin("interpreter_id")])
async def delete_interpreter(page: Page, interpreter_id: int) -> Template | Redirect:
    await page.form()

    async def work() -> Redirect:
        await resources.delete_interpreter(page.require().principal, interpreter_id)
        return back("/admin/interpreters", "deleted")

    context = await _interpreter_context(page, interpreter_id)
    return await page.submit(work, "admin_interpreter.html", _interpreter_values(context["interpreter"]), **context)


# ---------------------------------------------------------------- childcare


async def _childcare_context(page: Page) -> dict[str, Any]:
    here = school(page)
    actor = page.require().principal
    cares, _total = await resources.list_childcare(actor, here["slug"], ALL)
    rooms, _total = await resources.list_rooms(actor, here["slug"], ALL)
    return {"cares": cares, "room_choices": [(r.id, r.name) for r in rooms], "notices": _notices(page)}


def _childcare_in(form: dict[str, list[str]]) -> ChildcareIn:
    return convert(ChildcareIn, {"name": one(form, "name"), "capacity": one(form, "capacity") or "0",
                                 "room_id": one(form, "room_id") or None})


@get("/admin/childcare", include_in_schema=False, guards=[pages.signed_in("admin")])
async def childcare_page(page: Page) -> Template:
    return page.render("admin_childcare.html", values={}, errors={}, **await _childcare_context(page))


@post("/admin/childcare", include_in_schema=False, guards=[pages.signed_in("admin")])
async def add_childcare(page: Page) -> Template | Redirect:
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        made = await resources.create_childcare(page.require().principal, here["slug"], _childcare_in(form))
        return back(f"/admin/childcare/{made.id}", "added")

    return await page.submit(work, "admin_childcare.html", values_of(form), **await _childcare_context(page))


STAFF_ROWS = 8  # staffing windows a page shows: the existing ones and empty rows up to this many


async def _care_context(page: Page, childcare_id: int) -> dict[str, Any]:
    actor = page.require().principal
    care = await resources.get_childcare(actor, childcare_id)
    rooms, _total = await resources.list_rooms(actor, school(page)["slug"], ALL)
    return {"care": care, "room_choices": [(r.id, r.name) for r in rooms], "notices": _notices(page), "bands": AGE_BANDS,
            "band_name": lambda b: page.gettext(AGE_BAND_WORDS[b]), "days": weekday_names(page.language),
            "rows": STAFF_ROWS}


async def _care_values(page: Page, childcare_id: int, care: Any) -> dict[str, Any]:
    actor = page.require().principal
    values: dict[str, Any] = {"name": care.name, "capacity": care.capacity, "room_id": care.room_id or ""}
    for i, w in enumerate(await resources.get_staffing(actor, childcare_id)):
        values |= {f"weekday{i}": w["weekday"], f"start{i}": w["start"], f"end{i}": w["end"], f"staff{i}": w["staff"]}
    for r in await resources.get_ratios(actor, childcare_id):
        values[f"ratio-{r.age_band}"] = r.children_per_staff
    return values


@get("/admin/childcare/{childcare_id:int}", include_in_schema=False, guards=[pages.admin("childcare_id")])
async def care_page(page: Page, childcare_id: int) -> Template:
    context = await _care_context(page, childcare_id)
    return page.render("admin_care.html", values=await _care_values(page, childcare_id, context["care"]), errors={},
                       **context)


def _staffing(form: dict[str, list[str]]) -> list[StaffingWindow]:
    """The filled rows of the staffing table (a row with no start is left out), numbered as on the page."""
    out = []
    for i in range(STAFF_ROWS):
        if one(form, f"start{i}") or one(form, f"end{i}"):
            out.append(convert(StaffingWindow, {"weekday": one(form, f"weekday{i}") or "0",
                                                "start": one(form, f"start{i}"), "end": one(form, f"end{i}"),
                                                "staff": one(form, f"staff{i}") or "1"}, lambda f, i=i: f"{f}{i}"))
    return out


@post("/admin/childcare/{childcare_id:int}", include_in_schema=False, guards=[pages.admin("childcare_id")])
async def save_care(page: Page, childcare_id: int) -> Template | Redirect:
    """Name, cap and room; staff on duty per window; children per adult per age band."""
    form = await page.form()
    actor = page.require().principal

    async def work() -> Redirect:
        await resources.update_childcare(actor, childcare_id, _childcare_in(form))
        await bookings.set_staffing(actor, childcare_id, _staffing(form))
        ratios = [convert(RatioIn, {"age_band": b, "children_per_staff": one(form, f"ratio-{b}")},
                          lambda _f, b=b: f"ratio-{b}") for b in AGE_BANDS if one(form, f"ratio-{b}")]
        await resources.set_ratios(actor, childcare_id, ratios)
        return back(f"/admin/childcare/{childcare_id}", "saved")

    return await page.submit(work, "admin_care.html", values_of(form), **await _care_context(page, childcare_id))


@post("/admin/childcare/{childcare_id:int}/delete", include_in_schema=False, guards=[pages.admin("childcare_id")])
async def delete_care(page: Page, childcare_id: int) -> Template | Redirect:
    await page.form()

    async def work() -> Redirect:
        await resources.delete_childcare(page.require().principal, childcare_id)
        return back("/admin/childcare", "deleted")

    context = await _care_context(page, childcare_id)
    return await page.submit(work, "admin_care.html", await _care_values(page, childcare_id, context["care"]),
                             **context)


ROUTES: list[Any] = [rooms_page, add_room, room_page, save_room, delete_room, interpreters_page, add_interpreter,
                     interpreter_page, save_interpreter, interpreter_account, delete_interpreter, childcare_page,
                     add_childcare, care_page, save_care, delete_care]
