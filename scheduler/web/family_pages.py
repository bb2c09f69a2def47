"""The family page: when we can come, our language and children, events to book, conferences, calendars."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import get, post
from litestar.response import Redirect, Response, Template

from calendars import busy_import
from calendars.tokens import subscribe_links
from resources.schemas import AGE_BANDS, WeeklyWindow
from scheduler.accounts.idempotency import once
from scheduler.attendance import codes
from scheduler.bookings import services as bookings
from scheduler.bookings.schemas import RegistrationIn
from scheduler.conferences import booking as conferences
from scheduler.conferences import choices, selfbook
from scheduler.conferences.schemas import GuardianInviteIn, HoldIn, MeetingChoiceIn, MoveIn
from scheduler.core.access import pages
from scheduler.core.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthorized
from scheduler.core.grades import audience_tag
from scheduler.core.timeutil import date_range, format_hhmm, parse_hhmm
from scheduler.core.validation import convert
from scheduler.events import services as events
from scheduler.families import services as families
from scheduler.families.schemas import AvailabilityIn, ChildIn, DatedWindow, FamilyIn
from scheduler.notifications import outbox
from scheduler.privacy.erase import delete_family
from scheduler.privacy.export import export_family
from scheduler.web import grid
from scheduler.web.common import LANGUAGE_COOKIE, SESSION_COOKIE, Page, back, private_feed_page, qr
from scheduler.web.family_conference_pages import conference_context
from scheduler.web.family_voice_pages import voice_context
from scheduler.web.i18n import N_, NAMES, clock_minutes, language_label, weekday_names

AGE_BAND_NAMES = (N_("infant"), N_("toddler"), N_("preschool"), N_("school-age"))  # AGE_BANDS, in words


def _family_id(page: Page) -> int:
    family_id = page.require("family").principal.family_id
    assert family_id is not None  # a family account always names its family
    return family_id


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"availability": _("Saved: the school now plans with these times."),
            "imported": _("Your calendar's busy times are imported."),
            "profile": _("Saved."), "child": _("Saved."),
            "registered": _("You are registered. Your place is saved; below the event you see whether our e-mail "
                            "reached you."),
            "waitlisted": _("The event is full: you are on the waitlist. We write to you when a place opens up."),
            "cancelled": _("Your registration is cancelled."),
            "accepted": _("Thank you: your conference times are confirmed."),
            "conference-moved": _("Your conference has its new time. We e-mailed you the new calendar entry."),
            "conference-chosen": _("Saved: the teacher sees how you want to meet and what you want to talk about."),
            "conference-cancelled": _("Your conference is cancelled."),
            "conference-held": _("This time is held for you for a couple of minutes. Choose your other times, "
                                 "then press \"Book the times I chose\"."),
            "conference-booked": _("Booked: your conferences are confirmed. We e-mailed you the calendar entries."),
            "guardian-invited": _("Invitation sent: the other guardian can now sign in with their address."),
            "said": _("Thank you: the school plans with what you said."),
            "voted": _("Thank you: your choice of topics is saved.")}


def _one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0].strip()


def for_us(event: dict[str, Any], tags: set[str]) -> bool:
    """An event is for the family when it is for the whole school or for a grade one of its children is in."""
    return not event["audience"] or bool(set(event["audience"]) & tags)


@get("/family", include_in_schema=False, guards=[pages.signed_in("family")])
async def family_page(page: Page, feed: str = "", show: str = "") -> Template:
    """Coming up: by default the events for the family's children's grades and the whole school (?show=all:
    every event), each in the family's language where the school wrote it."""
    return page.render("family.html", **await family_context(page, show))


async def family_context(page: Page, show: str = "") -> dict[str, Any]:
    """Everything the family page shows (also when a form on it is refused and the page comes back with errors)."""
    family_id = _family_id(page)
    actor = page.require().principal
    family = await families.get_family(actor, family_id)
    availability = await families.get_family_availability(actor, family_id)
    children = await families.list_children(actor, family_id)
    school = page.school or {}
    everything = await events.school_events(school["id"], "published", upcoming_only=True)
    tags = {audience_tag(c.grade) for c in children}
    upcoming = everything if show == "all" else [e for e in everything if for_us(e, tags)]
    for e in upcoming:
        e["title"], e["description"] = events.localized(e, page.language)
    mine = {r.event_id: r for r in await bookings.list_for_family(actor, family_id) if r.status != "cancelled"}
    mail = await outbox.booking_mail(family_id)
    trip = await conferences.itinerary(actor, family_id)
    school_links = subscribe_links(page.settings.public_url, f"/calendars/schools/{school['slug']}.ics?lang={page.language}")
    picked = grid.cells((w["weekday"], parse_hhmm(w["start"]), parse_hhmm(w["end"])) for w in availability.weekly)
    voice = await voice_context(page, actor, family_id, tags, show == "all", for_us)
    return dict(
        family=family, children=children, events=upcoming, mine=mine, mail=mail, trip=trip, picked=picked,
        show_all=show == "all", hidden=len(everything) - len(upcoming),
        kids=lambda ids: ", ".join(c.first_name for c in children if c.id in ids),
        slots=grid.SLOTS, days=weekday_names(page.language), day_abbr=weekday_names(page.language, "abbreviated"),
        hour=lambda m: clock_minutes(m, page.language), age_bands=AGE_BANDS, page_languages=NAMES,
        language_name=lambda code: language_label(code, page.language), dated=availability.dated,
        school_links=school_links, school_qr=qr(school_links["https"], page.gettext("QR code for the school calendar")),
        private=None, notices=_notices(page), channel_choices=_channel_choices(page), **voice,
        door_code=lambda reg_id: codes.door_code(page.settings.secret_key, reg_id), door_qr=codes.qr_svg,
        **await conference_context(page, actor, family_id, trip.meetings))


def _channel_choices(page: Page) -> list[tuple[str, str]]:
    _ = page.gettext
    return [("email", _("E-mail")), ("sms", _("Text messages (SMS)")), ("both", _("Both"))]


@post("/family/availability", include_in_schema=False, guards=[pages.signed_in("family")])
async def save_availability(page: Page) -> Redirect:
    """The grid replaces the weekly pattern; dated exceptions entered elsewhere stay as they were."""
    form = await page.form()
    family_id = _family_id(page)
    actor = page.require().principal
    current = await families.get_family_availability(actor, family_id)
    weekly = [WeeklyWindow(weekday=d, start=format_hhmm(a), end=format_hhmm(b))
              for d, a, b in grid.windows(grid.parse(form.get("cell", [])))]
    oldest = date_range()[0].isoformat()  # windows that ended before any date one may type are dropped, not re-sent
    dated = [DatedWindow(start=w.start, end=w.end, busy=w.busy) for w in current.dated if w.end[:10] >= oldest]
    await families.set_family_availability(actor, family_id, AvailabilityIn(weekly=weekly, dated=dated))
    return back("/family", "availability")


@post("/family/busy.ics", include_in_schema=False, guards=[pages.signed_in("family")])
async def upload_busy(page: Page) -> Redirect:
    """The path ends in .ics so the request limits give it FB_MAX_UPLOAD_BYTES, as the API's upload."""
    limit = page.settings.max_upload_bytes
    form = await page.form_with_file("calendar", limit)
    await busy_import.import_busy_times(page.require().principal, "family", _family_id(page), form,
                                              max_bytes=limit)
    return back("/family", "imported")


@post("/family/profile", include_in_schema=False, guards=[pages.signed_in("family")])
async def save_profile(page: Page) -> Template | Redirect:
    """Language, phone and channels (e-mail, texts or both): the API's validation, problems shown beside the form."""
    form = await page.form()
    family_id = _family_id(page)
    actor = page.require().principal
    family = await families.get_family(actor, family_id)
    values = {"language": _one(form, "language") or family.language,
              "phone": _one(form, "phone") if "phone" in form else family.phone,
              "channels": _one(form, "channels") or family.channels}

    async def work() -> Redirect:
        await families.update_family(actor, family_id, convert(FamilyIn, {
            "name": family.name, "email": family.email, "guardians": family.guardians, **values}))
        response = back("/family#profile-title", "profile")
        response.delete_cookie(LANGUAGE_COOKIE)  # the profile's language now decides the page's
        return response

    return await page.submit(work, "family.html", values, **await family_context(page))


@post("/family/children", include_in_schema=False, guards=[pages.signed_in("family")])
async def add_child(page: Page) -> Redirect:
    form = await page.form()
    problems = [(k, "this field is required") for k in ("first_name", "grade") if not _one(form, k)]
    if problems:
        raise InvalidInput(problems)
    data = convert(ChildIn, {k: _one(form, k) for k in ("first_name", "grade", "age_band")})
    await families.add_child(page.require().principal, _family_id(page), data)
    return back("/family", "child")


@post("/family/children/{child_id:int}/remove", include_in_schema=False, guards=[pages.family("child_id", "family")])
async def remove_child(page: Page, child_id: int) -> Redirect:
    await page.form()
    _family_id(page)
    await families.delete_child(page.require().principal, child_id)
    return back("/family", "child")


@post("/family/events/{event_id:int}/register", include_in_schema=False, guards=[pages.member("event_id", "family")])
async def register(page: Page, event_id: int) -> Redirect:
    form = await page.form()
    actor = page.require("family").principal
    data = convert(RegistrationIn, {"adults": _one(form, "adults") or "1", "child_ids": form.get("child", []),
                                    "language": _one(form, "interpreter") or None})
    _, body = await once(actor, None, f"register:{event_id}", 201, lambda: bookings.register(actor, event_id, data))
    return back("/family", "waitlisted" if msgspec.json.decode(body)["status"] == "waitlisted" else "registered")


@get("/family/events/{event_id:int}/registrations/{registration_id:int}/cancel", include_in_schema=False,
     guards=[pages.family("registration_id", "family")])
async def cancel_form(page: Page, event_id: int, registration_id: int) -> Template:
    """Cancelling asks first: a tap on a phone should not give a place away."""
    event = await events.get_event(page.require("family").principal, event_id)
    title, _text = events.localized({"title": event.title, "description": event.description,
                                     "translations": msgspec.json.encode(event.translations).decode()}, page.language)
    return page.render("family_cancel.html", event=event, title=title, registration_id=registration_id)


@post("/family/events/{event_id:int}/registrations/{registration_id:int}/cancel", include_in_schema=False, guards=[pages.family("registration_id", "family")])
async def cancel(page: Page, event_id: int, registration_id: int) -> Redirect:
    await page.form()
    actor = page.require("family").principal
    await bookings.cancel(actor, event_id, registration_id)
    return back("/family", "cancelled")


@post("/family/events/{event_id:int}/registrations/{registration_id:int}/accept", include_in_schema=False, guards=[pages.family("registration_id", "family")])
async def accept_offer(page: Page, event_id: int, registration_id: int) -> Redirect:
    """Take the seat held for the family (when the school holds freed seats for a while)."""
    await page.form()
    actor = page.require("family").principal
    await bookings.accept(actor, event_id, registration_id)
    return back("/family", "registered")


@post("/family/conferences/accept", include_in_schema=False, guards=[pages.signed_in("family")])
async def accept_conferences(page: Page) -> Redirect:
    await page.form()
    actor = page.require("family").principal
    family_id = _family_id(page)
    await once(actor, None, f"conference-accept:{family_id}", 200,
               lambda: conferences.accept(actor, family_id))
    return back("/family", "accepted")


async def _conference_form(page: Page, work: Callable[[], Awaitable[Any]], values: dict[str, str], done: str) -> Redirect | Template:
    """Run the use case; when refused, show the family page again with the problem beside the conference forms,
    in the reader's language, and what was typed kept."""
    try:
        await work()
    except (Forbidden, Unauthorized, NotFound):
        raise
    except DomainError as exc:
        return page.render("family.html", status_code=exc.status_code, errors=page.errors_of(exc), values=values,
                           **await family_context(page))
    return back("/family#conf-title", done)


@post("/family/conferences/{meeting_id:int}/move", include_in_schema=False,
      guards=[pages.family("meeting_id", "family")])
async def move_conference(page: Page, meeting_id: int) -> Redirect | Template:
    form = await page.form()
    actor = page.require("family").principal
    values = {"start": _one(form, "start"), "meeting": str(meeting_id)}
    return await _conference_form(page, lambda: conferences.move(actor, meeting_id, convert(MoveIn, {"start": values["start"]})),
                     values, "conference-moved")


@post("/family/conferences/{meeting_id:int}/choice", include_in_schema=False,
      guards=[pages.family("meeting_id", "family")])
async def choose_conference(page: Page, meeting_id: int) -> Redirect | Template:
    """In person, video or phone, and the sentence of what the family wants to talk about."""
    form = await page.form()
    actor = page.require("family").principal
    values = {"mode": _one(form, "mode") or "in_person", "topic": (form.get("topic") or [""])[0],
              "meeting": str(meeting_id)}
    return await _conference_form(page, lambda: choices.choose(actor, meeting_id, convert(
        MeetingChoiceIn, {"mode": values["mode"], "topic": values["topic"].strip()})), values, "conference-chosen")


@post("/family/conferences/{meeting_id:int}/cancel", include_in_schema=False,
      guards=[pages.family("meeting_id", "family")])
async def cancel_conference(page: Page, meeting_id: int) -> Redirect | Template:
    await page.form()
    actor = page.require("family").principal
    return await _conference_form(page, lambda: conferences.cancel(actor, meeting_id), {}, "conference-cancelled")


@post("/family/conferences/hold", include_in_schema=False, guards=[pages.signed_in("family")])
async def hold_conference(page: Page) -> Redirect | Template:
    """Hold the picked time with one teacher for a couple of minutes while the family picks the others."""
    form = await page.form()
    actor = page.require("family").principal
    family_id = _family_id(page)
    values = {"teacher_id": _one(form, "teacher_id"), "start": _one(form, "start")}
    if not values["start"]:
        raise InvalidInput([("start", "choose a time")])
    seconds = page.settings.conference_hold_seconds
    return await _conference_form(page, lambda: selfbook.hold(actor, family_id, convert(HoldIn, values), seconds), values,
                     "conference-held")


@post("/family/conferences/book", include_in_schema=False, guards=[pages.signed_in("family")])
async def book_conferences(page: Page) -> Redirect | Template:
    """Book every time the family is holding, together."""
    await page.form()
    actor = page.require("family").principal
    family_id = _family_id(page)
    return await _conference_form(page, lambda: selfbook.book_held(actor, family_id), {}, "conference-booked")


@post("/family/conferences/guardian", include_in_schema=False, guards=[pages.signed_in("family")])
async def invite_guardian(page: Page) -> Redirect | Template:
    form = await page.form()
    actor = page.require("family").principal
    family_id = _family_id(page)
    values = {"email": _one(form, "email")}
    return await _conference_form(page, lambda: choices.invite_guardian(actor, family_id, convert(GuardianInviteIn, values)),
                     values, "guardian-invited")



@post("/family/feed", include_in_schema=False, guards=[pages.signed_in("family")])
async def private_feed(page: Page) -> Template:
    return await private_feed_page(page, "family", _family_id(page),
                                   page.gettext("QR code for your private calendar"), "/family")


@get("/family/export", include_in_schema=False, guards=[pages.signed_in("family")])
async def export(page: Page) -> Response:
    """The same document as ``GET /families/{id}/export``, downloaded with the session instead of a token."""
    family_id = _family_id(page)
    document = await export_family(page.require().principal, family_id)
    return Response(content=msgspec.json.encode(document), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="family-{family_id}-export.json"', "Cache-Control": "no-store"})


@get("/family/delete", include_in_schema=False, guards=[pages.signed_in("family")])
async def delete_form(page: Page) -> Template:
    family = await families.get_family(page.require("family").principal, _family_id(page))
    return page.render("family_delete.html", family=family)


@post("/family/delete", include_in_schema=False, guards=[pages.signed_in("family")])
async def delete(page: Page) -> Redirect:
    """Typing the family's name confirms; the account, its sessions and its bookings go in one transaction."""
    form = await page.form()
    actor = page.require("family").principal
    family_id = _family_id(page)
    family = await families.get_family(actor, family_id)
    if _one(form, "name").casefold() != family.name.strip().casefold():
        raise InvalidInput([("name", page.gettext("Type your family's name exactly as shown to confirm."))])
    await delete_family(actor, family_id, family_id)
    response = Redirect(path="/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


ROUTES: list[Any] = [family_page, save_availability, upload_busy, save_profile, add_child, remove_child, register,
                     cancel_form, cancel, accept_offer, accept_conferences, move_conference, choose_conference,
                     cancel_conference, hold_conference, book_conferences, invite_guardian, private_feed, export,
                     delete_form, delete]
