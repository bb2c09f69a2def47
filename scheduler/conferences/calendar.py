"""What a teacher's day and the calendars show of the conferences (rows for the feed builder)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from resources.tables import Room
from scheduler.conferences.rows import (
    LIVE,
    admin_window,
    guardian_name,
    load_meetings,
    load_school,
    load_teacher,
    load_window,
    meeting_out,
)
from scheduler.conferences.schemas import TeacherDayOut
from scheduler.conferences.tables import (
    ConferenceMeeting,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.timeutil import zone


@dataclasses.dataclass(frozen=True)
class ConferenceFeedItem:
    """What a calendar feed needs for one meeting; no child names (feeds leak)."""

    uid_seed: str
    title: str
    start: dt.datetime
    end: dt.datetime
    location: str
    updated_at: dt.datetime
    status: str  # tentative (proposed) / confirmed (accepted) / cancelled
    description: str


def _day_bounds(day: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    z = zone(tz)
    start = dt.datetime.combine(day, dt.time(), z)
    return start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


async def teacher_day(actor: Principal, teacher_id: int, day: dt.date) -> TeacherDayOut:
    teacher = await load_teacher(teacher_id)
    _, school = await admin_window(actor, teacher["window"])
    tz = school["timezone"]
    a, b = _day_bounds(day, tz)
    rows = await load_meetings((ConferenceMeeting.teacher == teacher_id) & ConferenceMeeting.status.is_in(list(LIVE))
                           & (ConferenceMeeting.starts_at >= a) & (ConferenceMeeting.starts_at < b))
    room = await Room.select(Room.name).where(Room.id == teacher["room"]).first().run()
    return TeacherDayOut(teacher_id=teacher_id, teacher=teacher["name"], room=room["name"], date=day,
                         meetings=[meeting_out(r, tz) for r in rows])


_FEED_STATUS = {"proposed": "tentative", "accepted": "confirmed", "cancelled": "cancelled"}


def _feed_item(row: dict[str, Any], title: str) -> ConferenceFeedItem:
    note = f"Interpreter: {row['language']}" if row["language"] else ""
    return ConferenceFeedItem(uid_seed=f"conference-meeting-{row['id']}", title=title, start=row["starts_at"],
                              end=row["ends_at"], location=row["room_name"], updated_at=row["updated_at"],
                              status=_FEED_STATUS.get(row["status"], "cancelled"), description=note)


async def conference_feed_items(family_id: int) -> list[ConferenceFeedItem]:
    """A family's meetings in published windows, cancelled ones included (feeds show cancellations).

    Titles name the teacher and room, never the children: feed URLs get shared.
    """
    windows = await ConferenceWindow.select(ConferenceWindow.id).where(ConferenceWindow.status == "published").run()
    rows = await load_meetings((ConferenceMeeting.family == family_id)
                           & ConferenceMeeting.window.is_in([w["id"] for w in windows] or [0]))
    return [family_feed_item(r) for r in rows]


def family_feed_item(row: dict[str, Any]) -> ConferenceFeedItem:
    """One meeting as the family's feed shows it, from a row with the meeting's ``id, starts_at, ends_at,
    updated_at, status, language`` and its ``teacher_name`` and ``room_name``."""
    return _feed_item(row, f"Conference with {row['teacher_name']} ({row['room_name']})")


async def teacher_day_items(teacher_id: int, day: dt.date) -> list[ConferenceFeedItem]:
    """One teacher's live meetings on a local date, titled with the family (teachers need to know who comes)."""
    teacher = await load_teacher(teacher_id)
    school = await load_school((await load_window(teacher["window"]))["school"])
    a, b = _day_bounds(day, school["timezone"])
    rows = await load_meetings((ConferenceMeeting.teacher == teacher_id) & ConferenceMeeting.status.is_in(list(LIVE))
                           & (ConferenceMeeting.starts_at >= a) & (ConferenceMeeting.starts_at < b))
    return [_feed_item(r, f"Conference: {guardian_name(r) or r['family_name']}") for r in rows]
