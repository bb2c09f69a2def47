"""A teacher's conference week as the teacher (or the school's administrator) sees and shapes it: the
meetings evening by evening, with what families want to talk about, and the breaks and unavailable
times the teacher marks before the solve.

A teacher account (role ``teacher``) is linked to its conference teachers by e-mail, the way the roster
knows the teacher: no column ties a user to a week, so the roster's next week finds the same person.
A teacher may change their own times only while the week is a draft: once it is solved or published,
families' times hang on them, and the school office decides (the page says so).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from resources.tables import Room
from scheduler.accounts.tables import User
from scheduler.conferences.confirmations import answers as day_before_answers
from scheduler.conferences.rows import (
    AWAY,
    LIVE,
    guardian_name,
    load_evenings,
    load_meetings,
    load_school,
    load_teacher,
    load_window,
    mark_stale,
    parse_spans,
)
from scheduler.conferences.schemas import SpanIn
from scheduler.conferences.tables import ConferenceMeeting, ConferenceTeacher, ConferenceTeacherTime, ConferenceWindow
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import locked, writing
from scheduler.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from scheduler.core.timeutil import zone
from scheduler.families.tables import Child

KINDS = ("break", "unavailable")


@dataclasses.dataclass(frozen=True)
class DayMeeting:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    party: str  # the family, or the guardian of a split household
    children: list[str]  # first names: the teacher's own pupils
    language: str | None  # interpreted in this language
    topic: str | None
    status: str
    coming: bool = False  # the family said yes to the day-before question (conferences/confirmations.py)


@dataclasses.dataclass(frozen=True)
class Evening:
    id: int
    date: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    meetings: list[DayMeeting]


@dataclasses.dataclass(frozen=True)
class TeacherTime:
    id: int
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class TeacherWeek:
    teacher_id: int
    name: str
    room: str
    window_id: int
    window: str
    status: str  # the window's
    timezone: str
    evenings: list[Evening]
    times: list[TeacherTime]

    @property
    def teacher_may_edit(self) -> bool:
        return self.status == "draft"

    @property
    def shows_meetings(self) -> bool:
        return self.status == "published"


async def _email(actor: Principal) -> str:
    row = await User.select(User.email).where(User.id == actor.user_id).first().run()
    return (row or {}).get("email", "").strip().lower()


async def check_teacher_access(actor: Principal, teacher: dict[str, Any], window: dict[str, Any]) -> None:
    """The school's administrators, or the teacher whose account has this conference teacher's e-mail."""
    if actor.role == "teacher":
        if actor.school_id == window["school"] and teacher["email"].strip().lower() == await _email(actor):
            return
        raise Forbidden("you may only see and change your own conferences")
    require_admin(actor, window["school"])


async def my_teacher_ids(actor: Principal) -> list[int]:
    """The conference teachers (one per week) a teacher account is, newest week first."""
    if actor.role != "teacher" or actor.school_id is None:
        raise Forbidden("this is for teachers")
    email = await _email(actor)
    rows = await ConferenceTeacher.select(ConferenceTeacher.id, ConferenceTeacher.email).where(
        ConferenceTeacher.window.school == actor.school_id).order_by(ConferenceTeacher.window, ascending=False).run()
    return [r["id"] for r in rows if r["email"].strip().lower() == email]


async def teacher_week(actor: Principal, teacher_id: int) -> TeacherWeek:
    """One teacher's week: evenings with their live meetings (only once published, for the teacher), and times."""
    teacher = await load_teacher(teacher_id)
    window = await load_window(teacher["window"])
    await check_teacher_access(actor, teacher, window)
    tz = (await load_school(window["school"]))["timezone"]
    room = await Room.select(Room.name).where(Room.id == teacher["room"]).first().run()
    times = await ConferenceTeacherTime.select().where((ConferenceTeacherTime.teacher == teacher_id)
                                                       & ConferenceTeacherTime.kind.is_in(list(KINDS))).order_by(
        ConferenceTeacherTime.starts_at).run()
    rows: list[dict[str, Any]] = []
    if window["status"] == "published" or actor.role == "admin":
        rows = await load_meetings((ConferenceMeeting.teacher == teacher_id)
                                   & ConferenceMeeting.status.is_in(list(LIVE)))
    kids = {c["id"]: c["first_name"] for c in await Child.select(Child.id, Child.first_name).where(
        Child.id.is_in(sorted({k for r in rows for k in r["child_ids"] or []}) or [0])).run()}
    evenings = []
    said = await day_before_answers(window["id"])
    for ev in await load_evenings(window["id"]):
        date = ev["starts_at"].astimezone(zone(tz)).date()
        mine = [DayMeeting(id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"],
                           party=guardian_name(r) or r["family_name"],
                           children=[kids[k] for k in r["child_ids"] or [] if k in kids], language=r["language"],
                           topic=r.get("topic"), status=r["status"],
                           coming=said.get((r["family"], date)) == "yes")
                for r in rows if ev["starts_at"] <= r["starts_at"] < ev["ends_at"]]
        evenings.append(Evening(id=ev["id"], date=date,
                                starts_at=ev["starts_at"], ends_at=ev["ends_at"], meetings=mine))
    return TeacherWeek(teacher_id=teacher_id, name=teacher["name"], room=room["name"] if room else "",
                       window_id=window["id"], window=window["name"], status=window["status"], timezone=tz,
                       evenings=evenings,
                       times=[TeacherTime(id=t["id"], kind=t["kind"], starts_at=t["starts_at"], ends_at=t["ends_at"])
                              for t in times])


async def _editable_for(actor: Principal, teacher_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lock the window and say whether this caller may change the teacher's times now (409 with why)."""
    teacher = await load_teacher(teacher_id)
    window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == teacher["window"])).first().run()
    await check_teacher_access(actor, teacher, window)
    if actor.role == "teacher" and window["status"] != "draft":
        raise Conflict("the conferences are already planned, so your times can no longer be changed here; "
                       "ask the school office", "teacher_id")
    if window["status"] in ("solving", "published"):
        raise Conflict(f"conference window {window['id']} is {window['status']}; it cannot be changed now",
                       "window_id")
    return teacher, window


async def add_time(actor: Principal, teacher_id: int, kind: str, span: SpanIn) -> None:
    """A break or an unavailable time inside one of the week's evenings; a solved week becomes a draft again."""
    teacher = await load_teacher(teacher_id)
    window = await load_window(teacher["window"])
    await check_teacher_access(actor, teacher, window)
    tz = (await load_school(window["school"]))["timezone"]
    problems: list[tuple[str, str]] = []
    if kind not in KINDS:
        problems.append(("kind", "choose a break or a time you are not there"))
    spans = parse_spans([span], tz, "time", problems)
    evenings = await load_evenings(window["id"])
    for a, b in spans:
        if not any(e["starts_at"] <= a and b <= e["ends_at"] for e in evenings):
            problems.append(("time.start", f"{span.start}–{span.end} is outside the conference evenings"))
    if problems:
        raise InvalidInput([(f.replace("time[0]", "time"), m) for f, m in problems])
    async with writing():
        await _editable_for(actor, teacher_id)
        await ConferenceTeacherTime.insert(ConferenceTeacherTime(teacher=teacher_id, kind=kind,
                                                                 starts_at=spans[0][0], ends_at=spans[0][1])).run()
        await mark_stale(window["id"])


async def delete_time(actor: Principal, teacher_id: int, time_id: int | None) -> None:
    if time_id is None:
        raise InvalidInput([("time_id", "choose the break or time away to remove")])
    async with writing():
        await _editable_for(actor, teacher_id)
        gone = await ConferenceTeacherTime.delete().where(
            (ConferenceTeacherTime.id == time_id) & (ConferenceTeacherTime.teacher == teacher_id)
            & ConferenceTeacherTime.kind.is_in(list(AWAY))).returning(ConferenceTeacherTime.id).run()
        if not gone:
            raise NotFound(f"no break {time_id} of this teacher", "time_id")
        await mark_stale((await load_teacher(teacher_id))["window"])
