"""Administrators' pages for events: create, edit, duplicate, delete a draft; who registered (and CSV).

An event's title and description are written in the school's first
language and, optionally, in each of its other languages; families read
theirs. Seats default to the room's capacity and can be set lower.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from resources import services as resources
from scheduler.bookings import lists
from scheduler.core.access import pages
from scheduler.core.grades import GRADES, audience_tag
from scheduler.core.languages import language_label
from scheduler.core.paging import PageRequest
from scheduler.core.validation import convert
from scheduler.events import services as events
from scheduler.events import sessions
from scheduler.events.schemas import EventIn, SessionsIn
from scheduler.web.admin_common import one, school, values_of
from scheduler.web.common import Page, back
from scheduler.web.i18n import N_

ALL = PageRequest(limit=200, offset=0)
KINDS = (("workshop", N_("Workshop")), ("cultural", N_("Cultural event")), ("meeting", N_("Meeting")),
         ("conference", N_("Conferences")))
LABELS = {"title": N_("Title"), "kind": N_("Kind"), "duration_minutes": N_("Minutes"),
          "earliest_date": N_("Earliest date"), "latest_date": N_("Latest date"), "fixed_start": N_("Fixed start"),
          "seat_limit": N_("Seats at most"), "min_capacity": N_("Room for at least"),
          "childcare_children": N_("Childcare places"), "description": N_("Description"),
          "interpreter_languages": N_("Interpretation"), "audience": N_("For families of"),
          "room_tags": N_("The room needs")}


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"saved": _("Saved."), "added": _("The draft is saved. The planner will place it."),
            "copied": _("A copy is saved as a new draft."), "deleted": _("Deleted."),
            "sessions": _("Saved: the planner places each session and counts each family toward one of them.")}


def _languages(here: dict[str, Any]) -> tuple[str, list[str]]:
    """The school's first language (an event's own title) and its others (translations)."""
    langs = list(here.get("languages") or []) or ["en"]
    return langs[0], langs[1:]


async def _form_context(page: Page) -> dict[str, Any]:
    here = school(page)
    first, others = _languages(here)
    rooms, _total = await resources.list_rooms(page.require().principal, here["slug"], ALL)
    tags = sorted({t for r in rooms for t in r.tags})
    return {"kinds": [(k, page.gettext(v)) for k, v in KINDS], "first_language": first, "other_languages": others,
            "language_name": lambda code: language_label(code, page.language),
            "grade_choices": [(audience_tag(g), g) for g in GRADES], "tag_choices": [(t, t) for t in tags],
            "interpretation_choices": [(c, language_label(c, page.language)) for c in [first, *others]
                                       if c != "en"] or [],
            "labels": {k: page.gettext(v) for k, v in LABELS.items()}, "notices": _notices(page),
            "session_choices": [(n, page.gettext("once") if n == 1 else page.gettext("%(n)s times") % {"n": n})
                                for n in range(1, 11)] + [("as_needed", page.gettext("as many times as needed for "
                                                                                      "the families who would come"))]}


def _event_in(form: dict[str, list[str]], here: dict[str, Any]) -> EventIn:
    _first, others = _languages(here)
    translations = {lang: {"title": one(form, f"title-{lang}"), "description": one(form, f"description-{lang}")}
                    for lang in others if one(form, f"title-{lang}")}
    data = {"title": one(form, "title"), "kind": one(form, "kind") or "workshop",
            "duration_minutes": one(form, "duration_minutes"), "earliest_date": one(form, "earliest_date"),
            "latest_date": one(form, "latest_date"), "description": (form.get("description") or [""])[0],
            "min_capacity": one(form, "min_capacity") or "0", "room_tags": form.get("room_tags", []),
            "audience": form.get("audience", []), "interpreter_languages": form.get("interpreter_languages", []),
            "childcare_children": one(form, "childcare_children") or "0",
            "fixed_start": one(form, "fixed_start") or None, "seat_limit": one(form, "seat_limit") or None,
            "translations": translations}

    def field(name: str) -> str:  # translations.es.title -> title-es, as the page names it
        parts = name.split(".")
        return f"{parts[2]}-{parts[1]}" if parts[0] == "translations" and len(parts) == 3 else parts[0]

    return convert(EventIn, data, field)


def _values(e: Any) -> dict[str, Any]:
    values = {"title": e.title, "kind": e.kind, "duration_minutes": e.duration_minutes,
              "earliest_date": e.earliest_date.isoformat(), "latest_date": e.latest_date.isoformat(),
              "description": e.description, "min_capacity": e.min_capacity or "", "room_tags": list(e.room_tags),
              "audience": list(e.audience), "interpreter_languages": list(e.interpreter_languages),
              "childcare_children": e.childcare_children or "", "fixed_start": (e.fixed_start or "")[:16],
              "seat_limit": e.seat_limit or ""}
    for lang, text in e.translations.items():
        values |= {f"title-{lang}": text.title, f"description-{lang}": text.description}
    return values


def _listed(values: dict[str, Any], key: str) -> dict[str, Any]:
    """A multi-choice field is a list even when one box was ticked."""
    value = values.get(key, [])
    return values | {key: value if isinstance(value, list) else [value]}


def _submitted(form: dict[str, list[str]]) -> dict[str, Any]:
    values = values_of(form)
    for key in ("room_tags", "audience", "interpreter_languages"):
        values = _listed(values, key)
    return values


@get("/admin/events", include_in_schema=False, guards=[pages.signed_in("admin")])
async def events_page(page: Page) -> Template:
    here = school(page)
    listed = {s: await events.school_events(here["id"], s) for s in ("draft", "published")}
    return page.render("admin_events.html", listed=listed, notices=_notices(page))


@get("/admin/events/new", include_in_schema=False, guards=[pages.signed_in("admin")])
async def new_event_page(page: Page) -> Template:
    today = dt.date.today()
    values = {"kind": "workshop", "duration_minutes": 60, "earliest_date": (today + dt.timedelta(days=14)).isoformat(),
              "latest_date": (today + dt.timedelta(days=35)).isoformat(), "room_tags": [], "audience": [],
              "interpreter_languages": []}
    return page.render("admin_event.html", event=None, values=values, errors={}, **await _form_context(page))


@post("/admin/events", include_in_schema=False, guards=[pages.signed_in("admin")])
async def add_event(page: Page) -> Template | Redirect:
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        made = await events.create_event(page.require().principal, here["slug"], _event_in(form, here))
        return back(f"/admin/events/{made.id}", "added")

    return await page.submit(work, "admin_event.html", _submitted(form), event=None, **await _form_context(page))


@get("/admin/events/{event_id:int}", include_in_schema=False, guards=[pages.admin("event_id")])
async def event_page(page: Page, event_id: int) -> Template:
    event = await events.get_event(page.require().principal, event_id)
    series = []
    if event.series:
        series = [e for e in await events.school_events(school(page)["id"], event.status)
                  if e["series"] == event.series]
    return page.render("admin_event.html", event=event, values=_values(event), errors={}, series=series,
                       **await _form_context(page))


@post("/admin/events/{event_id:int}", include_in_schema=False, guards=[pages.admin("event_id")])
async def save_event(page: Page, event_id: int) -> Template | Redirect:
    form = await page.form()
    here = school(page)
    actor = page.require().principal
    event = await events.get_event(actor, event_id)

    async def work() -> Redirect:
        await events.update_event(actor, event_id, _event_in(form, here))
        return back(f"/admin/events/{event_id}", "saved")

    return await page.submit(work, "admin_event.html", _submitted(form), event=event, **await _form_context(page))


@post("/admin/events/{event_id:int}/duplicate", include_in_schema=False, guards=[pages.admin("event_id")])
async def duplicate_event(page: Page, event_id: int) -> Redirect:
    """A new draft with the same needs (a second session of a workshop, next term's concert)."""
    await page.form()
    here = school(page)
    actor = page.require().principal
    event = await events.get_event(actor, event_id)
    copy = convert(EventIn, {k: v for k, v in _values(event).items() if "-" not in k} | {
        "min_capacity": event.min_capacity, "childcare_children": event.childcare_children,
        "seat_limit": event.seat_limit, "fixed_start": None,
        "translations": {lang: {"title": t.title, "description": t.description}
                         for lang, t in event.translations.items()}})
    made = await events.create_event(actor, here["slug"], copy)
    return back(f"/admin/events/{made.id}", "copied")


@post("/admin/events/{event_id:int}/sessions", include_in_schema=False, guards=[pages.admin("event_id")])
async def offer_sessions(page: Page, event_id: int) -> Template | Redirect:
    """Offer a draft workshop N times, or as many times as the families who said "I'd come" need."""
    form = await page.form()
    actor = page.require().principal
    event = await events.get_event(actor, event_id)
    wanted = one(form, "sessions")

    async def work() -> Redirect:
        count = "as_needed" if wanted == "as_needed" else convert(SessionsIn, {"sessions": wanted or "x"}).sessions
        await sessions.set_sessions(actor, event_id, count)
        return back(f"/admin/events/{event_id}", "sessions")

    return await page.submit(work, "admin_event.html", _values(event) | {"sessions": wanted}, event=event,
                             **await _form_context(page))


@post("/admin/events/{event_id:int}/delete", include_in_schema=False, guards=[pages.admin("event_id")])
async def delete_event(page: Page, event_id: int) -> Template | Redirect:
    await page.form()
    actor = page.require().principal
    event = await events.get_event(actor, event_id)

    async def work() -> Redirect:
        await events.delete_event(actor, event_id)
        return back("/admin/events", "deleted")

    return await page.submit(work, "admin_event.html", _values(event), event=event, **await _form_context(page))


@get("/admin/events/{event_id:int}/registrations", include_in_schema=False, guards=[pages.admin("event_id")])
async def registrations_page(page: Page, event_id: int) -> Template:
    actor = page.require().principal
    event = await events.get_event(actor, event_id)
    rows = await lists.event_list(actor, event_id)
    return page.render("admin_registrations.html", event=event, rows=rows,
                       language_name=lambda code: language_label(code, page.language))


@get("/admin/events/{event_id:int}/registrations.csv", include_in_schema=False, guards=[pages.admin("event_id")])
async def registrations_csv(page: Page, event_id: int) -> Response:
    rows = await lists.event_list(page.require().principal, event_id)
    return Response(lists.as_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="event-{event_id}-registrations.csv"',
        "Cache-Control": "no-store"})


ROUTES: list[Any] = [events_page, new_event_page, add_event, event_page, save_event, duplicate_event, offer_sessions,
                     delete_event,
                     registrations_page, registrations_csv]
