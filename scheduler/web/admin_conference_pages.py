"""Administrators: parent-teacher conference weeks on pages — set up from the roster, solve with progress,
review, publish, reopen for self-booking, postpone an evening.

The solve runs after the page has answered (a background task of the redirect), so the browser is
never held for the solver's seconds: the window is ``solving`` meanwhile and its page polls
``…/progress`` with htmx, as the planner's plan page does, until the status changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from litestar import Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.response import Redirect, Template

from resources.tables import Interpreter, Room, School
from scheduler.conferences import confirmations, postponing, publishing, roster_teachers, setup, solving, teacher_days
from scheduler.conferences.publishing import interpreter_blocks
from scheduler.conferences.rows import LIVE, load_window
from scheduler.conferences.schemas import SolveIn, SpanIn, WindowIn
from scheduler.conferences.tables import ConferenceMeeting, ConferenceTeacher, ConferenceTeacherTime
from scheduler.core.access import pages
from scheduler.core.errors import InvalidInput
from scheduler.core.languages import language_label
from scheduler.core.timeutil import utcnow
from scheduler.core.validation import convert
from scheduler.families.tables import Family
from scheduler.web.admin_common import one, school, values_of
from scheduler.web.common import Page, back
from scheduler.web.i18n import short_day

log = logging.getLogger("family_bridge.conferences")

EVENING_ROWS = 4  # evenings offered on the "new week" form (the API takes up to 14)


def _notices(page: Page) -> dict[str, str]:
    _ = page.gettext
    return {"created": _("The conference week is set up. Now add its teachers."),
            "added": _("The teacher and their class list are in the week."),
            "saved": _("Saved."), "solving": _("The solver is working; this page updates by itself."),
            "published": _("Published: families see their times, interpreters can claim their blocks."),
            "self-booking": _("Families may now book their own free times."),
            "closed": _("Self-booking is closed."),
            "postponed": _("The evening moved; every family with a meeting that evening is being told.")}


# ---------------------------------------------------------------- the list and a new week


async def _list_context(page: Page) -> dict[str, Any]:
    here = school(page)
    windows = await setup.list_windows(page.require().principal, here["slug"])
    return {"windows": sorted(windows, key=lambda w: -w.id), "rows": range(EVENING_ROWS), "notices": _notices(page),
            "day_of": lambda text: short_day(dt.date.fromisoformat(text[:10]), page.language)}


@get("/admin/conferences", include_in_schema=False, guards=[pages.signed_in("admin")])
async def windows_page(page: Page) -> Template:
    values = {"slot_minutes": "10", "interpreted_slot_minutes": "20", "passing_minutes": "5"}
    for i in range(EVENING_ROWS):
        values |= {f"start-{i}": "16:00", f"end-{i}": "20:00"}
    return page.render("admin_conferences.html", values=values, errors={}, **await _list_context(page))


def _window_in(form: dict[str, list[str]]) -> WindowIn:
    evenings = [{"start": f"{one(form, f'date-{i}')}T{one(form, f'start-{i}')}",
                 "end": f"{one(form, f'date-{i}')}T{one(form, f'end-{i}')}"}
                for i in range(EVENING_ROWS) if one(form, f"date-{i}")]
    if not evenings:
        raise InvalidInput([("evenings", "give at least one evening: its date, start and end")])
    return convert(WindowIn, {"name": one(form, "name"), "evenings": evenings,
                              "slot_minutes": one(form, "slot_minutes") or "10",
                              "interpreted_slot_minutes": one(form, "interpreted_slot_minutes") or "20",
                              "passing_minutes": one(form, "passing_minutes") or "5"})


@post("/admin/conferences", include_in_schema=False, guards=[pages.signed_in("admin")])
async def create_window(page: Page) -> Template | Redirect:
    form = await page.form()
    here = school(page)

    async def work() -> Redirect:
        made = await setup.create_window(page.require().principal, here["slug"], _window_in(form))
        return back(f"/admin/conferences/{made.id}", "created")

    return await page.submit(work, "admin_conferences.html", values_of(form), **await _list_context(page))


# ---------------------------------------------------------------- one week


async def _on_school_of(page: Page, school_id: int) -> None:
    """A district administrator reads a week on its own school's clock, whichever school the menu shows."""
    if page.school is None or page.school["id"] != school_id:
        page.school = await School.select(School.id, School.slug, School.name, School.timezone,
                                          School.languages).where(School.id == school_id).first().run()


async def _window_context(page: Page, window_id: int) -> dict[str, Any]:
    actor = page.require("admin").principal
    window = await setup.get_window(actor, window_id)
    await _on_school_of(page, window.school_id)
    row = await load_window(window_id)
    teachers = await setup.list_teachers(actor, window_id)
    tz = page.tz
    rooms = await Room.select(Room.id, Room.name).where(Room.school == window.school_id).order_by(Room.name).run()
    choices = await roster_teachers.roster_choices(actor, window_id)
    meetings = await ConferenceMeeting.select().where((ConferenceMeeting.window == window_id)
                                                      & ConferenceMeeting.status.is_in(list(LIVE))).run()
    away: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for t in await ConferenceTeacherTime.select().where(
            ConferenceTeacherTime.teacher.is_in([t.id for t in teachers] or [0])
            & ConferenceTeacherTime.kind.is_in(list(teacher_days.KINDS))).order_by(ConferenceTeacherTime.starts_at).run():
        away[t["teacher"]].append(t)
    per_teacher: dict[int, int] = defaultdict(int)
    for m in meetings:
        per_teacher[m["teacher"]] += 1
    names = {t.id: t.name for t in teachers}
    family_ids = sorted({u.family_id for u in window.unplaced})
    families = {f["id"]: f for f in await Family.select(Family.id, Family.name, Family.language, Family.email).where(
        Family.id.is_in(family_ids or [0])).run()}
    interpreted = [m for m in meetings if m["language"]]
    interpreters = {i["id"]: i["name"] for i in await Interpreter.select(Interpreter.id, Interpreter.name).where(
        Interpreter.id.is_in(sorted({m["interpreter"] for m in interpreted if m["interpreter"]}) or [0])).run()}
    blocks = []
    for lang, start, end, ids in interpreter_blocks(interpreted, dt.timedelta(minutes=window.passing_minutes + 5)):
        who = {m["interpreter"] for m in interpreted if m["id"] in ids}
        blocks.append({"language": language_label(lang, page.language), "start": start, "end": end, "meetings": len(ids),
                       "interpreter": ", ".join(sorted(interpreters.get(i, "—") for i in who if i)) or "—"})
    elapsed = 0
    if row["status"] == "solving" and row["solve_started_at"] is not None:
        elapsed = int((utcnow() - row["solve_started_at"]).total_seconds())
    evening_days = [(eid, span) for eid, span in zip(window.evening_ids, window.evenings)]
    _ = page.gettext
    notices = _notices(page)
    if window.status != "solving":  # the page reloaded itself when the solve ended, its address unchanged
        notices["solving"] = (_("The solver is done: review the meetings below, then publish.")
                              if window.status in ("solved", "published") else
                              _("The solve did not finish; the week is a draft. Check its teachers and solve again."))
    return {"window": window, "teachers": teachers, "rooms": [(r["id"], r["name"]) for r in rooms],
            "choices": [c for c in choices if not c.added and c.classes], "per_teacher": per_teacher, "away": away,
            "teacher_name": lambda tid: names.get(tid, str(tid)), "families": families, "blocks": blocks,
            "elapsed": elapsed, "evening_days": evening_days, "tz": tz, "notices": notices,
            "day_before": await confirmations.counts(window_id),
            "time_limit": 20, "editable": window.status not in ("solving", "published"),
            "kinds": [("break", _("Break")), ("unavailable", _("Not there"))],
            "day_of": lambda text: short_day(dt.date.fromisoformat(text[:10]), page.language),
            "language_name": lambda code: language_label(code, page.language) if code else ""}


def _limit(text: str) -> int:
    """The solve's time limit, carried in the address so the progress bar knows its end (20 s by default)."""
    return min(max(int(text), 1), 300) if text.isdigit() and len(text) < 4 else 20


@get("/admin/conferences/{window_id:int}", include_in_schema=False, guards=[pages.admin("window_id")])
async def window_page(page: Page, window_id: int, limit: str = "") -> Template:
    return page.render("admin_conference.html", values={}, errors={},
                       **await _window_context(page, window_id) | {"time_limit": _limit(limit)})


@get("/admin/conferences/{window_id:int}/progress", include_in_schema=False, guards=[pages.admin("window_id")])
async def window_progress(page: Page, window_id: int, limit: str = "") -> Template | Response:
    """Polled by htmx every second while the solver runs; when it is done the whole page reloads."""
    ctx = await _window_context(page, window_id)
    if ctx["window"].status != "solving":
        return Response(content="", headers={"HX-Refresh": "true"})
    return page.render("conference_progress.html", **ctx | {"time_limit": _limit(limit)})


async def _window_form(page: Page, window_id: int, work: Any) -> Template | Redirect:
    """Run a window form's use case; on a refusal show the window page again with the problem beside it."""
    form = await page.form()
    return await page.submit(lambda: work(form), "admin_conference.html", values_of(form),
                             **await _window_context(page, window_id))


def _int(form: dict[str, list[str]], key: str) -> int | None:
    text = one(form, key)
    return int(text) if text.isdigit() and len(text) < 10 else None


@post("/admin/conferences/{window_id:int}/teachers", include_in_schema=False, guards=[pages.admin("window_id")])
async def add_teacher(page: Page, window_id: int) -> Template | Redirect:
    """A roster teacher in a room, with the class lists of the classes ticked."""
    async def work(form: dict[str, list[str]]) -> Redirect:
        classes = [int(c) for c in form.get("class_id", []) if c.isdigit() and len(c) < 10]
        await roster_teachers.add_roster_teacher(page.require().principal, window_id, _int(form, "teacher"),
                                                 _int(form, "room_id"), classes)
        return back(f"/admin/conferences/{window_id}#teachers", "added")

    return await _window_form(page, window_id, work)


async def _teacher_window(teacher_id: int) -> int:
    row = await ConferenceTeacher.select(ConferenceTeacher.window).where(ConferenceTeacher.id == teacher_id).first().run()
    return row["window"]


def _span(form: dict[str, list[str]]) -> SpanIn:
    date = one(form, "date")
    return convert(SpanIn, {"start": f"{date}T{one(form, 'start')}", "end": f"{date}T{one(form, 'end')}"})


@post("/admin/conference-teachers/{teacher_id:int}/times", include_in_schema=False,
      guards=[pages.admin("teacher_id")])
async def add_break(page: Page, teacher_id: int) -> Template | Redirect:
    window_id = await _teacher_window(teacher_id)

    async def work(form: dict[str, list[str]]) -> Redirect:
        await teacher_days.add_time(page.require().principal, teacher_id, one(form, "kind") or "break", _span(form))
        return back(f"/admin/conferences/{window_id}#teacher-{teacher_id}", "saved")

    return await _window_form(page, window_id, work)


@post("/admin/conference-teachers/{teacher_id:int}/times/delete", include_in_schema=False,
      guards=[pages.admin("teacher_id")])
async def delete_break(page: Page, teacher_id: int) -> Template | Redirect:
    window_id = await _teacher_window(teacher_id)

    async def work(form: dict[str, list[str]]) -> Redirect:
        await teacher_days.delete_time(page.require().principal, teacher_id, _int(form, "time_id"))
        return back(f"/admin/conferences/{window_id}#teacher-{teacher_id}", "saved")

    return await _window_form(page, window_id, work)


async def _solve_after_answer(window_id: int, doc: dict[str, Any], data: SolveIn) -> None:
    """The solve, after the page answered; a failure puts the window back to draft (finish_solve) and is logged."""
    try:
        await solving.finish_solve(window_id, doc, data)
    except Exception as exc:  # nobody waits for this answer: the window's status is what the page shows
        log.warning("conference solve of window %s failed: %s", window_id, exc)


@post("/admin/conferences/{window_id:int}/solve", include_in_schema=False, guards=[pages.admin("window_id")])
async def solve(page: Page, window_id: int) -> Template | Redirect:
    async def work(form: dict[str, list[str]]) -> Redirect:
        data = convert(SolveIn, {"time_limit": one(form, "time_limit") or "20"})
        doc = await solving.start_solve(page.require().principal, window_id)
        return Redirect(path=f"/admin/conferences/{window_id}?done=solving&limit={int(data.time_limit)}",
                        status_code=303,
                        background=BackgroundTask(_solve_after_answer, window_id, doc, data))

    return await _window_form(page, window_id, work)


@post("/admin/conferences/{window_id:int}/publish", include_in_schema=False, guards=[pages.admin("window_id")])
async def publish(page: Page, window_id: int) -> Template | Redirect:
    async def work(form: dict[str, list[str]]) -> Redirect:
        await publishing.publish(page.require().principal, window_id)
        return back(f"/admin/conferences/{window_id}", "published")

    return await _window_form(page, window_id, work)


@post("/admin/conferences/{window_id:int}/self-booking", include_in_schema=False, guards=[pages.admin("window_id")])
async def self_booking(page: Page, window_id: int) -> Template | Redirect:
    """Reopen for self-booking (``open=1``) or close it again."""
    async def work(form: dict[str, list[str]]) -> Redirect:
        opened = one(form, "open") == "1"
        await postponing.set_self_booking(page.require().principal, window_id, opened)
        return back(f"/admin/conferences/{window_id}", "self-booking" if opened else "closed")

    return await _window_form(page, window_id, work)


@post("/admin/conferences/{window_id:int}/postpone", include_in_schema=False, guards=[pages.admin("window_id")])
async def postpone(page: Page, window_id: int) -> Template | Redirect:
    async def work(form: dict[str, list[str]]) -> Redirect:
        await postponing.postpone_evening(page.require().principal, window_id, _int(form, "evening_id"),
                                          one(form, "date"))
        return back(f"/admin/conferences/{window_id}", "postponed")

    return await _window_form(page, window_id, work)


@get("/admin/conference-teachers/{teacher_id:int}", include_in_schema=False, guards=[pages.admin("teacher_id")])
async def teacher_page(page: Page, teacher_id: int) -> Template:
    """One teacher's week as the teacher sees it (printable), for the office."""
    week = await teacher_days.teacher_week(page.require("admin").principal, teacher_id)
    await _on_school_of(page, (await load_window(week.window_id))["school"])
    return page.render("teacher.html", weeks=[week], feed_forms=False, values={}, errors={}, kinds=[],
                       back_to=f"/admin/conferences/{week.window_id}", notices={},
                       language_name=lambda code: language_label(code, page.language) if code else "")


ROUTES = [windows_page, create_window, window_page, window_progress, add_teacher, add_break, delete_break, solve,
          publish, self_booking, postpone, teacher_page]
