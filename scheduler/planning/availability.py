"""What the planner sees of families: the weekly heatmap and its filters, and each draft's outlook."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from scheduler.core.auth import Principal, require_admin
from scheduler.core.grades import GRADES
from scheduler.core.timeutil import date_problem, utcnow, zone
from scheduler.engine import InstanceError, parse_instance
from scheduler.families.tables import Child, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.planning import heatmap
from scheduler.planning.instance import (
    HorizonTooLong,
    build_instance,
    event_key,
    plannable,
    to_minute,
    to_minute_ceil,
)
from scheduler.planning.services import load_rows
from scheduler.planning.turnout import audience_tally, families_who_could


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def _filtered(school_id: int, grade: str, language: str) -> Any:
    where = Family.school == school_id
    if language:
        where &= Family.language == language
    if grade:
        where &= Family.id.is_in(Child.select(Child.family).where(Child.grade == grade))
    return where


async def availability_heatmap(actor: Principal, school: dict[str, Any], week: dt.date | None = None,
                               grade: str = "", language: str = "") -> tuple[heatmap.Heatmap, dt.date]:
    """Who is free in each half hour of one dated week (default: this week), narrowed to a grade and/or a home
    language: weekly patterns, plus dated free times, minus busy times entered or imported."""
    require_admin(actor, school["id"])
    tz = zone(school["timezone"])
    monday = week_of(week or utcnow().astimezone(tz).date())
    where = _filtered(school["id"], grade, language)
    ids = Family.select(Family.id).where(where)
    families = await Family.count().where(where).run()
    weekly = await FamilyAvailability.select(
        FamilyAvailability.family, FamilyAvailability.weekday, FamilyAvailability.start_minute,
        FamilyAvailability.end_minute).where(FamilyAvailability.family.is_in(ids)).run()
    first = dt.datetime.combine(monday, dt.time(), tz) - dt.timedelta(days=1)  # generous: cut exactly below
    dated = await FamilyDatedAvailability.select(
        FamilyDatedAvailability.family, FamilyDatedAvailability.starts_at, FamilyDatedAvailability.ends_at,
        FamilyDatedAvailability.busy).where(
        FamilyDatedAvailability.family.is_in(ids) & (FamilyDatedAvailability.ends_at > first)
        & (FamilyDatedAvailability.starts_at < first + dt.timedelta(days=9))).run()
    windows = heatmap.week_windows(
        ((r["family"], r["weekday"], r["start_minute"], r["end_minute"]) for r in weekly),
        ((r["family"], to_minute(r["starts_at"]), to_minute_ceil(r["ends_at"]), r["busy"]) for r in dated),
        monday, tz)
    return heatmap.build(windows, families), monday


async def free_at(actor: Principal, school: dict[str, Any], week: dt.date, weekday: int, slot: int,
                  grade: str = "", language: str = "") -> dict[str, Any]:
    """Who is free in one cell of the heatmap, as counts by grade and by home language (never names)."""
    heat, monday = await availability_heatmap(actor, school, week, grade, language)
    who = sorted(heat.who.get((weekday, slot), frozenset()))
    by_language = Counter(r["language"] for r in await Family.select(Family.language).where(
        Family.id.is_in(who or [-1])).run())
    by_grade: Counter[str] = Counter()
    for r in await Child.select(Child.family, Child.grade).where(Child.family.is_in(who or [-1])).distinct().run():
        by_grade[r["grade"]] += 1  # a family with two children in grade 3 counts once there
    return {"day": monday + dt.timedelta(days=weekday), "slot": slot, "families": len(who),
            "by_grade": sorted(by_grade.items(), key=lambda kv: (grade_order(kv[0]), kv[0])),
            "by_language": sorted(by_language.items(), key=lambda kv: (-kv[1], kv[0]))}


def grade_order(grade: str) -> int:
    return {g: i for i, g in enumerate(GRADES)}.get(grade, 99)


async def filter_choices(school_id: int) -> dict[str, list[str]]:
    """The grades and languages present in the school, for the heatmap's filters."""
    grades = await Child.select(Child.grade).where(Child.family.school == school_id).distinct().run()
    languages = await Family.select(Family.language).where(Family.school == school_id).distinct().run()
    return {"grades": sorted({g["grade"] for g in grades}, key=lambda g: (grade_order(g), g)),
            "languages": sorted({r["language"] for r in languages})}


async def draft_outlook(actor: Principal, school: dict[str, Any]) -> dict[int, dict[str, int]]:
    """Per draft the planner could place now: families in its audience (counted by the turnout rules), those of
    them free for its whole length some time in its window, those who said "I'd come" and "Not for us"."""
    require_admin(actor, school["id"])
    now = utcnow()
    rows = await load_rows(school, keep_published=True)
    rows.events, _left_out = plannable(rows.events, now.astimezone(zone(school["timezone"])).date(), date_problem)
    rows.not_before = now
    if not rows.events:
        return {}
    try:
        inst = parse_instance(await asyncio.to_thread(build_instance, rows))
    except (HorizonTooLong, InstanceError):  # planning says what is wrong; the page just has no counts
        return {}
    out = {}
    for eid, tally in audience_tally(rows).items():
        out[eid] = {"audience": tally.get("audience", 0) + tally.get("interested", 0),
                    "available": families_who_could(inst, event_key(eid)),
                    "interested": tally.get("interested", 0), "not_for_us": tally.get("not_for_us", 0)}
    return out
