"""The administrator's planner: when families can come, the drafts, a plan to review and publish."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import get, post
from litestar.response import Redirect, Response, Template

from resources import services as resources
from scheduler.assignments import day_before
from scheduler.assignments import services as assignments
from scheduler.core.access import pages
from scheduler.core.errors import T_, DomainError, Forbidden, InvalidInput, NotFound, say
from scheduler.core.paging import PageRequest
from scheduler.core.timeutil import date_problem, utcnow
from scheduler.core.validation import convert
from scheduler.events import services as events
from scheduler.planning import availability, moves
from scheduler.planning import services as plans
from scheduler.planning.schemas import PlanIn, PlanOut
from scheduler.web import admin_attendance_pages
from scheduler.web.admin_common import one
from scheduler.web.common import Page, back
from scheduler.web.i18n import clock_minutes, language_label, short_day, weekday_names


def _school(page: Page) -> dict[str, Any]:
    page.require("admin")
    if page.school is None:
        raise NotFound(page.gettext("There is no school yet."), "school")
    return page.school


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"published": _("The plan is published. Families can now register, and interpreters see the open assignments."),
            "cancelled": _("The event is cancelled. Registered families are told by e-mail and their calendars show it as cancelled."),
            "moved": _("The event has moved. Registered families are told the new time by e-mail."),
            "confirmed": _("Confirmed: the interpreter is told by e-mail."),
            "assigned": _("Assigned and confirmed: the interpreter is told by e-mail.")}


def _week(text: str) -> dt.date | None:
    """The week the heatmap shows (?week=YYYY-MM-DD, any day of it); a date out of range or mistyped is a 400."""
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput([("week", T_("must be a date (YYYY-MM-DD)"))]) from None
    if problem := date_problem(value):
        raise InvalidInput([("week", problem)])
    return value


@get("/planner", include_in_schema=False, guards=[pages.signed_in("admin")])
async def planner(page: Page, grade: str = "", language: str = "", week: str = "") -> Template:
    school = _school(page)
    actor = page.require().principal
    heat, monday = await availability.availability_heatmap(actor, school, _week(week), grade=grade, language=language)
    latest, _total = await plans.list_plans(actor, school["slug"], PageRequest(limit=1, offset=0))
    return page.render(
        "planner.html", heat=heat, grade=grade, language=language, choices=await availability.filter_choices(school["id"]),
        days=weekday_names(page.language), hour=lambda m: clock_minutes(m, page.language),
        language_name=lambda code: language_label(code, page.language), monday=monday,
        weeks={"previous": monday - dt.timedelta(days=7), "next": monday + dt.timedelta(days=7)},
        dates=[monday + dt.timedelta(days=i) for i in range(7)], short_day=lambda d: short_day(d, page.language),
        drafts=await events.school_events(school["id"], "draft"),
        outlook=await availability.draft_outlook(actor, school),
        published=await events.school_events(school["id"], "published", upcoming_only=True),
        latest=latest[0] if latest else None, notices=_notices(page),
        past=await admin_attendance_pages.past_events(page, school["slug"]), percent=admin_attendance_pages.percent)


@get("/planner/free", include_in_schema=False, guards=[pages.signed_in("admin")])
async def free_cell(page: Page, week: str, day: int, slot: int, grade: str = "", language: str = "") -> Template:
    """Who is free in one half hour of the heatmap: counts by grade and home language, never names (htmx swaps
    it in beside the heatmap; without JavaScript it is a page of its own)."""
    if not (0 <= day <= 6 and 0 <= slot < 1440):
        raise InvalidInput([("day" if not 0 <= day <= 6 else "slot", T_("is not a cell of the heatmap"))])
    school = _school(page)
    cell = await availability.free_at(page.require().principal, school, _week(week) or dt.date.today(), day, slot,
                                      grade, language)
    partial = page.request.headers.get("HX-Request") == "true"
    return page.render("planner_free.html", cell=cell, partial=partial, hour=lambda m: clock_minutes(m, page.language),
                       when_day=lambda d: short_day(d, page.language),
                       language_name=lambda code: language_label(code, page.language))


@post("/planner/plans", include_in_schema=False, guards=[pages.signed_in("admin")])
async def make_plan(page: Page) -> Redirect:
    form = await page.form()
    school = _school(page)
    data = convert(PlanIn, {"time_limit": (form.get("time_limit") or ["20"])[0]})
    plan = await plans.create_plan(page.require().principal, school["slug"], data)
    return Redirect(path=f"/planner/plans/{plan.id}", status_code=303)


def _weeks(plan: PlanOut) -> list[list[tuple[dt.date, list[Any]]]]:
    """The placed and kept events as weeks (Monday first) of days, for a week calendar."""
    by_day: dict[dt.date, list[Any]] = {}
    for event in plan.events:
        if event.start:
            by_day.setdefault(dt.date.fromisoformat(event.start[:10]), []).append(event)
    weeks: list[list[tuple[dt.date, list[Any]]]] = []
    for monday in sorted({d - dt.timedelta(days=d.weekday()) for d in by_day}):
        days = [monday + dt.timedelta(days=i) for i in range(7)]
        weeks.append([(d, sorted(by_day.get(d, []), key=lambda e: e.start)) for d in days
                      if d.weekday() < 5 or by_day.get(d)])
    return weeks


def _plan_context(page: Page, plan: PlanOut) -> dict[str, Any]:
    elapsed = 0
    if plan.status == "solving":
        elapsed = int((dt.datetime.now(dt.timezone.utc) - plan.created_at).total_seconds())
    _ = page.gettext
    stale_names = {"rooms": _("rooms"), "interpreters": _("interpreters"), "childcare": _("childcare"),
                   "availability": _("families' availability"), "interests": _("what families said")}

    def turnout_note(event: Any) -> str:
        if event.audience and not event.audience.audience + event.audience.interested:
            return _("Nobody is in its audience: no family with a child in its grades that can take part.")
        return _("None of the families in its audience is free for the whole event then.")

    return {"plan": plan, "elapsed": min(elapsed, plan.time_limit), "weeks": _weeks(plan),
            "stale_names": stale_names, "turnout_note": turnout_note,
            "day_name": lambda d: short_day(d, page.language),
            "placed": [e for e in plan.events if e.outcome == "placed"],
            "left_out": [e for e in plan.events if e.outcome == "unscheduled"]}


@get("/planner/plans/{plan_id:int}", include_in_schema=False, guards=[pages.admin("plan_id")])
async def plan_page(page: Page, plan_id: int) -> Template:
    _school(page)
    plan = await plans.get_plan(page.require().principal, plan_id, wait=0)
    return page.render("plan.html", **_plan_context(page, plan))


@get("/planner/plans/{plan_id:int}/progress", include_in_schema=False, guards=[pages.admin("plan_id")])
async def plan_progress(page: Page, plan_id: int) -> Template | Response:
    """Polled by htmx every second while the engine runs; a finished plan reloads the whole page."""
    _school(page)
    plan = await plans.get_plan(page.require().principal, plan_id, wait=1)
    if plan.status != "solving":
        return Response(content="", headers={"HX-Refresh": "true"})
    return page.render("plan_progress.html", **_plan_context(page, plan))


@post("/planner/plans/{plan_id:int}/publish", include_in_schema=False, guards=[pages.admin("plan_id")])
async def publish(page: Page, plan_id: int) -> Redirect:
    await page.form()
    await plans.publish_plan(page.require().principal, plan_id)
    return back("/planner", "published")


async def _event_and_audience(page: Page, event_id: int) -> tuple[Any, dict[str, int]]:
    actor = page.require("admin").principal
    return await events.get_event(actor, event_id), await events.who_is_told(actor, event_id)


@get("/planner/events/{event_id:int}/cancel", include_in_schema=False, guards=[pages.admin("event_id")])
async def cancel_form(page: Page, event_id: int) -> Template:
    event, told = await _event_and_audience(page, event_id)
    return page.render("event_change.html", event=event, told=told, action="cancel", error="")


@post("/planner/events/{event_id:int}/cancel", include_in_schema=False, guards=[pages.admin("event_id")])
async def cancel(page: Page, event_id: int) -> Redirect:
    await page.form()
    await events.cancel_event(page.require("admin").principal, event_id)
    return back("/planner", "cancelled")


@get("/planner/events/{event_id:int}/move", include_in_schema=False, guards=[pages.admin("event_id")])
async def move_form(page: Page, event_id: int) -> Template:
    event, told = await _event_and_audience(page, event_id)
    return page.render("event_change.html", event=event, told=told, action="move", error="")


@post("/planner/events/{event_id:int}/move", include_in_schema=False, guards=[pages.admin("event_id")])
async def move(page: Page, event_id: int) -> Template | Redirect:
    """Check a new time against the engine's rules (and what it costs in families), then move.

    A time that breaks a rule is shown with each rule named and the cost; the
    move then needs the override box ticked, and the override is recorded.
    """
    form = await page.form()
    actor = page.require("admin").principal
    start, override = one(form, "start")[:16], one(form, "override") == "yes"
    event, told = await _event_and_audience(page, event_id)
    context = {"event": event, "told": told, "action": "move", "start": start}
    try:
        check = await moves.check_move(actor, event_id, start)
        if one(form, "step") == "check" or (check.problems and not override):
            status = 409 if check.problems and one(form, "step") != "check" else 200
            return page.render("event_change.html", status_code=status, check=check, error="",
                               problems=[say(p, page.gettext) for p in check.problems], **context)
        await moves.move(actor, event_id, start, override)
    except DomainError as exc:
        if isinstance(exc, (Forbidden, NotFound)):
            raise
        return page.render("event_change.html", status_code=exc.status_code, error=say(exc.message, page.gettext),
                           **context)
    return back("/planner", "moved")


@get("/planner/events/{event_id:int}/interpreters", include_in_schema=False, guards=[pages.admin("event_id")])
async def interpreting(page: Page, event_id: int) -> Template:
    """Who interprets at an event: open needs, claims to confirm, confirmed interpreters."""
    school = _school(page)
    actor = page.require().principal
    event = await events.get_event(actor, event_id)
    people, _total = await resources.list_interpreters(actor, school["slug"], PageRequest(limit=200, offset=0))
    return page.render("event_interpreters.html", event=event, work=await assignments.list_for_event(actor, event_id),
                       names={p.id: p.name for p in people}, day_before=await day_before.marks(event_id, utcnow()),
                       speakers=lambda code: [(p.id, p.name) for p in people if code in p.languages],
                       language_name=lambda code: language_label(code, page.language), notices=_notices(page))


@post("/planner/assignments/{assignment_id:int}/confirm", include_in_schema=False, guards=[pages.admin("assignment_id")])
async def confirm_claim(page: Page, assignment_id: int) -> Redirect:
    await page.form()
    actor = page.require("admin").principal
    done = await assignments.confirm(actor, assignment_id)
    return back(f"/planner/events/{done.event_id}/interpreters", "confirmed")


@post("/planner/assignments/{assignment_id:int}/assign", include_in_schema=False,
      guards=[pages.admin("assignment_id")])
async def assign(page: Page, assignment_id: int) -> Redirect:
    """Give open work to an interpreter by hand (the claim's rules apply; they are told)."""
    form = await page.form()
    actor = page.require("admin").principal
    chosen = (form.get("interpreter_id") or [""])[0]
    if not chosen.isdigit():
        raise InvalidInput([("interpreter_id", T_("choose an interpreter"))])
    done = await assignments.assign(actor, assignment_id, int(chosen), page.settings.travel_buffer_minutes)
    return back(f"/planner/events/{done.event_id}/interpreters", "assigned")


ROUTES = [assign, planner, free_cell, make_plan, plan_page, plan_progress, publish, cancel_form, cancel, move_form, move, interpreting,
          confirm_claim]
