"""A conference week's teachers chosen from the school's roster: name, e-mail and class lists come from
``roster.Teacher``, ``SchoolClass`` and ``ClassEnrollment``; the administrator picks only the room.

Typing child ids (the API's ``POST /conference-windows/{id}/teachers``) still works; this is the page's
way, so a school with a roster import never copies a class list by hand. The conference teacher keeps
the roster teacher's e-mail, which is also how a teacher account finds its conferences.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from resources.tables import Room
from scheduler.conferences.rows import admin_window, editable, mark_stale, teacher_out
from scheduler.conferences.schemas import TeacherOut
from scheduler.conferences.tables import ConferenceClass, ConferenceTeacher, ConferenceWindow
from scheduler.core.auth import Principal
from scheduler.core.db import locked, writing
from scheduler.core.errors import Conflict, InvalidInput
from scheduler.roster.tables import ClassEnrollment, SchoolClass, Teacher


@dataclasses.dataclass(frozen=True)
class RosterClass:
    id: int
    name: str
    grades: list[str]
    children: int


@dataclasses.dataclass(frozen=True)
class RosterTeacher:
    """A roster teacher as the window page offers them: their active classes, and whether already added."""

    id: int
    name: str
    email: str
    classes: list[RosterClass]
    added: bool


async def roster_choices(actor: Principal, window_id: int) -> list[RosterTeacher]:
    """The school's active roster teachers with their active classes (and how many children each has)."""
    window, _ = await admin_window(actor, window_id)
    teachers = await Teacher.select().where((Teacher.school == window["school"]) & (Teacher.active == True)  # noqa: E712
                                            ).order_by(Teacher.name).run()
    classes = await SchoolClass.select().where((SchoolClass.school == window["school"])
                                               & (SchoolClass.active == True)  # noqa: E712
                                               & SchoolClass.teacher.is_not_null()).order_by(SchoolClass.name).run()
    counts: dict[int, int] = {}
    for r in await ClassEnrollment.select(ClassEnrollment.school_class).where(
            ClassEnrollment.school_class.is_in([c["id"] for c in classes] or [0])
            & (ClassEnrollment.active == True)).run():  # noqa: E712
        counts[r["school_class"]] = counts.get(r["school_class"], 0) + 1
    taken = {r["email"].lower() for r in await ConferenceTeacher.select(ConferenceTeacher.email).where(
        ConferenceTeacher.window == window_id).run()}
    return [RosterTeacher(id=t["id"], name=t["name"], email=t["email"], added=t["email"].lower() in taken,
                          classes=[RosterClass(id=c["id"], name=c["name"], grades=list(c["grades"] or []),
                                               children=counts.get(c["id"], 0))
                                   for c in classes if c["teacher"] == t["id"]])
            for t in teachers]


async def add_roster_teacher(actor: Principal, window_id: int, roster_teacher_id: int | None, room_id: int | None,
                             class_ids: list[int]) -> TeacherOut:
    """Add a roster teacher to the week in a room, their class list the active children of the chosen classes
    (each child once, even when in two of the teacher's classes)."""
    window, school = await admin_window(actor, window_id)
    problems: list[tuple[str, str]] = []
    teacher = None
    if roster_teacher_id is None:
        problems.append(("teacher", "choose a teacher from the roster"))
    else:
        teacher = await Teacher.select().where((Teacher.id == roster_teacher_id)
                                               & (Teacher.school == window["school"])).first().run()
        if teacher is None or not teacher["active"]:
            problems.append(("teacher", f"no active roster teacher {roster_teacher_id} in this school"))
    if room_id is None:
        problems.append(("room_id", "choose the room where the teacher meets families"))
    elif not await Room.exists().where((Room.id == room_id) & (Room.school == window["school"])).run():
        problems.append(("room_id", f"no room {room_id} in this school"))
    classes: list[dict[str, Any]] = []
    if teacher is not None:
        classes = await SchoolClass.select().where((SchoolClass.teacher == teacher["id"])
                                                   & (SchoolClass.active == True)  # noqa: E712
                                                   & SchoolClass.id.is_in(class_ids or [0])).run()
        if not class_ids:
            problems.append(("class_ids", "choose at least one of the teacher's classes"))
        elif len(classes) != len(set(class_ids)):
            problems.append(("class_ids", "a chosen class is not one of this teacher's active classes"))
    if problems:
        raise InvalidInput(problems)
    assert teacher is not None
    children = sorted({r["child"] for r in await ClassEnrollment.select(ClassEnrollment.child).where(
        ClassEnrollment.school_class.is_in([c["id"] for c in classes]) & (ClassEnrollment.active == True)  # noqa: E712
    ).run()})
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        editable(window)
        if teacher["email"].lower() in {r["email"].lower() for r in await ConferenceTeacher.select(
                ConferenceTeacher.email).where(ConferenceTeacher.window == window_id).run()}:
            raise Conflict(f"{teacher['name']} is already in this conference week", "teacher")
        row = (await ConferenceTeacher.insert(ConferenceTeacher(
            window=window_id, name=teacher["name"], email=teacher["email"].lower(), room=room_id))
            .returning(*ConferenceTeacher.all_columns()).run())[0]
        for i in range(0, len(children), 400):
            await ConferenceClass.insert(*[ConferenceClass(teacher=row["id"], child=c)
                                           for c in children[i:i + 400]]).run()
        await mark_stale(window_id)
    return await teacher_out(row, school["timezone"])
