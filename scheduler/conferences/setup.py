"""Setting up a conference week: the window and its evenings, teachers, class lists, split households."""

from __future__ import annotations

from resources.services import language_problems, school_by_slug
from resources.tables import Room
from scheduler.conferences.rows import (
    admin_window,
    child_problems,
    editable,
    inside_evenings,
    load_evenings,
    load_teacher,
    mark_stale,
    parse_spans,
    teacher_out,
    window_out,
)
from scheduler.conferences.schemas import ClassListIn, SplitIn, TeacherIn, TeacherOut, WindowIn, WindowOut
from scheduler.conferences.tables import (
    ConferenceClass,
    ConferenceEvening,
    ConferenceSplitHousehold,
    ConferenceTeacher,
    ConferenceTeacherTime,
    ConferenceWindow,
)
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import locked, writing
from scheduler.core.errors import InvalidInput
from scheduler.families.tables import Family


async def create_window(actor: Principal, slug: str, data: WindowIn) -> WindowOut:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    problems: list[tuple[str, str]] = []
    spans = sorted(parse_spans(data.evenings, school["timezone"], "evenings", problems))
    for (a0, b0), (a1, _) in zip(spans, spans[1:]):
        if a1 < b0:
            problems.append(("evenings", "evenings overlap"))
    if data.interpreted_slot_minutes < data.slot_minutes:
        problems.append(("interpreted_slot_minutes", "must be at least slot_minutes (interpreting takes longer)"))
    if problems:
        raise InvalidInput(problems)
    async with writing():
        row = (await ConferenceWindow.insert(ConferenceWindow(
            school=school["id"], name=data.name, slot_minutes=data.slot_minutes,
            interpreted_slot_minutes=data.interpreted_slot_minutes, passing_minutes=data.passing_minutes))
            .returning(*ConferenceWindow.all_columns()).run())[0]
        await ConferenceEvening.insert(*[ConferenceEvening(window=row["id"], starts_at=a, ends_at=b)
                                         for a, b in spans]).run()
    return await window_out(row, school["timezone"])


async def get_window(actor: Principal, window_id: int) -> WindowOut:
    window, school = await admin_window(actor, window_id)
    return await window_out(window, school["timezone"])


async def list_windows(actor: Principal, slug: str) -> list[WindowOut]:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    rows = await ConferenceWindow.select().where(ConferenceWindow.school == school["id"]).order_by(
        ConferenceWindow.id).run()
    return [await window_out(r, school["timezone"]) for r in rows]


async def create_teacher(actor: Principal, window_id: int, data: TeacherIn) -> TeacherOut:
    """A teacher with their room, dated availability and breaks, and (optionally) their class list."""
    window, school = await admin_window(actor, window_id)
    tz = school["timezone"]
    problems: list[tuple[str, str]] = []
    if not await Room.exists().where((Room.id == data.room_id) & (Room.school == school["id"])).run():
        problems.append(("room_id", f"no room {data.room_id} in this school"))
    problems += [("language", m) for _, m in language_problems([data.language], "language")]
    evenings = await load_evenings(window_id)
    avail = parse_spans(data.availability, tz, "availability", problems)
    inside_evenings(avail, data.availability, evenings, "availability", problems)
    breaks = parse_spans(data.breaks, tz, "breaks", problems)
    inside_evenings(breaks, data.breaks, evenings, "breaks", problems)
    problems += await child_problems(data.child_ids, school["id"], "child_ids")
    if problems:
        raise InvalidInput(problems)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        editable(window)
        row = (await ConferenceTeacher.insert(ConferenceTeacher(
            window=window_id, name=data.name, email=data.email, room=data.room_id, language=data.language))
            .returning(*ConferenceTeacher.all_columns()).run())[0]
        times = [ConferenceTeacherTime(teacher=row["id"], kind="available", starts_at=a, ends_at=b) for a, b in avail]
        times += [ConferenceTeacherTime(teacher=row["id"], kind="break", starts_at=a, ends_at=b) for a, b in breaks]
        if times:
            await ConferenceTeacherTime.insert(*times).run()
        if data.child_ids:
            await ConferenceClass.insert(*[ConferenceClass(teacher=row["id"], child=c) for c in data.child_ids]).run()
        await mark_stale(window_id)
    return await teacher_out(row, tz)


async def list_teachers(actor: Principal, window_id: int) -> list[TeacherOut]:
    _, school = await admin_window(actor, window_id)
    rows = await ConferenceTeacher.select().where(ConferenceTeacher.window == window_id).order_by(
        ConferenceTeacher.id).run()
    return [await teacher_out(r, school["timezone"]) for r in rows]


async def set_class_list(actor: Principal, teacher_id: int, data: ClassListIn) -> TeacherOut:
    teacher = await load_teacher(teacher_id)
    _, school = await admin_window(actor, teacher["window"])
    problems = await child_problems(data.child_ids, school["id"], "child_ids")
    if problems:
        raise InvalidInput(problems)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == teacher["window"])).first().run()
        editable(window)
        await ConferenceClass.delete().where(ConferenceClass.teacher == teacher_id).run()
        if data.child_ids:
            await ConferenceClass.insert(*[ConferenceClass(teacher=teacher_id, child=c) for c in data.child_ids]).run()
        await mark_stale(teacher["window"])
    return await teacher_out(teacher, school["timezone"])


async def set_split_households(actor: Principal, window_id: int, data: SplitIn) -> list[int]:
    """The families whose guardians (``Family.guardians``, two or more) meet teachers separately."""
    _, school = await admin_window(actor, window_id)
    rows = {r["id"]: r for r in await Family.select(Family.id, Family.school, Family.guardians).where(
        Family.id.is_in(data.family_ids or [0])).run()}
    problems = []
    for i, fid in enumerate(data.family_ids):
        row = rows.get(fid)
        if row is None or row["school"] != school["id"]:
            problems.append((f"family_ids[{i}]", f"no family {fid} in this school"))
        elif len(row["guardians"] or []) < 2:
            problems.append((f"family_ids[{i}]", f"family {fid} lists fewer than two guardians"))
    if len(set(data.family_ids)) != len(data.family_ids):
        problems.append(("family_ids", "a family is listed twice"))
    if problems:
        raise InvalidInput(problems)
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        editable(window)
        await ConferenceSplitHousehold.delete().where(ConferenceSplitHousehold.window == window_id).run()
        if data.family_ids:
            await ConferenceSplitHousehold.insert(*[ConferenceSplitHousehold(window=window_id, family=f)
                                                    for f in data.family_ids]).run()
        await mark_stale(window_id)
    return sorted(data.family_ids)
