"""A conference window's rows, read and shaped: windows, evenings, teachers, meetings, and the checks
shared by the use cases (who may edit, which spans lie inside the evenings).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from resources.tables import Room, School
from scheduler.conferences.schemas import MeetingOut, SpanIn, SpanOut, TeacherOut, UnplacedOut, WindowOut
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceEvening,
    ConferenceMeeting,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.timeutil import format_local, parse_local_spans, utcnow, zone
from scheduler.families.tables import Child, Family

LIVE = ("proposed", "accepted")
AWAY = ("break", "unavailable")  # teacher times when no meeting may be placed


STALE_SOLVE = dt.timedelta(minutes=10)  # a "solving" window older than this was interrupted


async def load_window(window_id: int) -> dict[str, Any]:
    row = await ConferenceWindow.select().where(ConferenceWindow.id == window_id).first().run()
    if row is None:
        raise NotFound(f"no conference window {window_id}", "window_id")
    return row


async def load_school(school_id: int) -> dict[str, Any]:
    return await School.select().where(School.id == school_id).first().run()


async def admin_window(actor: Principal, window_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    window = await load_window(window_id)
    require_admin(actor, window["school"])
    return window, await load_school(window["school"])


async def load_evenings(window_id: int) -> list[dict[str, Any]]:
    return await ConferenceEvening.select().where(ConferenceEvening.window == window_id).order_by(
        ConferenceEvening.starts_at).run()


def span_out(a: dt.datetime, b: dt.datetime, tz: str) -> SpanOut:
    return SpanOut(start=format_local(a, tz), end=format_local(b, tz))


def local_text(instant: dt.datetime, tz: str) -> str:
    return instant.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


async def window_out(window: dict[str, Any], tz: str) -> WindowOut:
    evenings = await load_evenings(window["id"])
    teachers = await ConferenceTeacher.count().where(ConferenceTeacher.window == window["id"]).run()
    meetings = await ConferenceMeeting.count().where((ConferenceMeeting.window == window["id"])
                                                     & ConferenceMeeting.status.is_in(list(LIVE))).run()
    return WindowOut(
        id=window["id"], school_id=window["school"], name=window["name"], status=window["status"], timezone=tz,
        evenings=[span_out(e["starts_at"], e["ends_at"], tz) for e in evenings],
        slot_minutes=window["slot_minutes"], interpreted_slot_minutes=window["interpreted_slot_minutes"],
        passing_minutes=window["passing_minutes"], teachers=teachers, meetings=meetings,
        summary=json.loads(window["summary"]), unplaced=[UnplacedOut(**u) for u in json.loads(window["unplaced"])],
        solved_at=window["solved_at"], published_at=window["published_at"], self_booking=bool(window["self_booking"]),
        evening_ids=[e["id"] for e in evenings])


def meeting_columns() -> list:
    m = ConferenceMeeting
    return [*m.all_columns(), m.teacher.name.as_alias("teacher_name"), m.teacher.room.name.as_alias("room_name"),
            m.teacher.room.id.as_alias("room_id"), m.family.name.as_alias("family_name"),
            m.family.guardians.as_alias("family_guardians"), m.teacher.video_url.as_alias("video_url"),
            m.teacher.phone.as_alias("phone")]


async def load_meetings(where: Any) -> list[dict[str, Any]]:
    return await ConferenceMeeting.select(*meeting_columns()).where(where).order_by(
        ConferenceMeeting.starts_at).order_by(ConferenceMeeting.id).run()


def guardian_name(row: dict[str, Any]) -> str | None:
    g, names = row["guardian"], row["family_guardians"] or []
    if g is None:
        return None
    return names[g] if g < len(names) else f"guardian {g + 1}"


def meeting_out(row: dict[str, Any], tz: str) -> MeetingOut:
    return MeetingOut(
        id=row["id"], window_id=row["window"], teacher_id=row["teacher"], teacher=row["teacher_name"],
        room=row["room_name"], family_id=row["family"], family=row["family_name"], guardian=guardian_name(row),
        child_ids=list(row["child_ids"] or []), start=format_local(row["starts_at"], tz),
        end=format_local(row["ends_at"], tz), minutes=int((row["ends_at"] - row["starts_at"]).total_seconds() // 60),
        language=row["language"], interpreter_id=row["interpreter"], status=row["status"], mode=row["mode"],
        topic=row["topic"], video_url=(row["video_url"] or "") if row["mode"] == "video" else "",
        phone=(row["phone"] or "") if row["mode"] == "phone" else "")


def parse_spans(items: list[SpanIn], tz: str, field: str, problems: list[tuple[str, str]]
                 ) -> list[tuple[dt.datetime, dt.datetime]]:
    """Local spans -> UTC pairs; every bad one is named by its path (``evenings[1].end``)."""
    return [(start, end) for _, start, end in parse_local_spans(items, tz, field, problems)]


def inside_evenings(spans: list[tuple[dt.datetime, dt.datetime]], items: list[SpanIn], evenings: list[dict[str, Any]],
                     field: str, problems: list[tuple[str, str]]) -> None:
    for i, (a, b) in enumerate(spans):
        if not any(e["starts_at"] <= a and b <= e["ends_at"] for e in evenings):
            problems.append((f"{field}[{i}].start", f"{items[i].start}–{items[i].end} is outside the conference evenings"))


async def child_problems(child_ids: list[int], school_id: int, field: str) -> list[tuple[str, str]]:
    if not child_ids:
        return []
    rows = await Child.select(Child.id, Child.family.school.as_alias("school")).where(Child.id.is_in(child_ids)).run()
    known = {r["id"] for r in rows if r["school"] == school_id}
    problems = [(f"{field}[{i}]", f"no child {c} in this school") for i, c in enumerate(child_ids) if c not in known]
    seen: set[int] = set()
    for i, c in enumerate(child_ids):
        if c in seen:
            problems.append((f"{field}[{i}]", f"child {c} is listed twice"))
        seen.add(c)
    return problems


def editable(window: dict[str, Any]) -> None:
    if window["status"] in ("solving", "published"):
        raise Conflict(f"conference window {window['id']} is {window['status']}; it cannot be changed now", "window_id")


async def mark_stale(window_id: int) -> None:
    """Any change to the inputs makes the last solve a draft again (publish needs a fresh solve)."""
    await ConferenceWindow.update({ConferenceWindow.status: "draft", ConferenceWindow.updated_at: utcnow()}).where(
        ConferenceWindow.id == window_id).run()


owner_of("window_id", "SELECT school, NULL AS family, NULL AS interpreter FROM conference_window WHERE id = {}")


owner_of("teacher_id", 'SELECT w.school, NULL AS family, NULL AS interpreter FROM conference_teacher t '
                       'JOIN conference_window w ON w.id = t."window" WHERE t.id = {}')


owner_of("meeting_id", 'SELECT w.school, m.family, NULL AS interpreter FROM conference_meeting m '
                       'JOIN conference_window w ON w.id = m."window" WHERE m.id = {}')


async def teacher_out(row: dict[str, Any], tz: str) -> TeacherOut:
    times = await ConferenceTeacherTime.select().where(ConferenceTeacherTime.teacher == row["id"]).order_by(
        ConferenceTeacherTime.starts_at).run()
    kids = await ConferenceClass.select(ConferenceClass.child).where(ConferenceClass.teacher == row["id"]).order_by(
        ConferenceClass.child).run()
    room = await Room.select(Room.name).where(Room.id == row["room"]).first().run()
    return TeacherOut(
        id=row["id"], window_id=row["window"], name=row["name"], email=row["email"], room_id=row["room"],
        room=room["name"], language=row["language"],
        availability=[span_out(t["starts_at"], t["ends_at"], tz) for t in times if t["kind"] == "available"],
        breaks=[span_out(t["starts_at"], t["ends_at"], tz) for t in times if t["kind"] == "break"],
        child_ids=[k["child"] for k in kids],
        unavailable=[span_out(t["starts_at"], t["ends_at"], tz) for t in times if t["kind"] == "unavailable"])


async def load_teacher(teacher_id: int) -> dict[str, Any]:
    row = await ConferenceTeacher.select().where(ConferenceTeacher.id == teacher_id).first().run()
    if row is None:
        raise NotFound(f"no teacher {teacher_id}", "teacher_id")
    return row


async def load_family(family_id: int) -> dict[str, Any]:
    row = await Family.select().where(Family.id == family_id).first().run()
    if row is None:
        raise NotFound(f"no family {family_id}", "family_id")
    return row
