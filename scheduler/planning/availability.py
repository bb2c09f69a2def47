"""What the planner sees of families' availability: the weekly heatmap and its filters."""

from __future__ import annotations

from scheduler.core.auth import Principal, require_admin
from scheduler.families.tables import Child, Family, FamilyAvailability
from scheduler.planning import heatmap


async def availability_heatmap(actor: Principal, school_id: int, grade: str = "", language: str = ""
                               ) -> heatmap.Heatmap:
    """The weekly windows of the school's families, narrowed to a grade and/or a home language."""
    require_admin(actor, school_id)
    where = Family.school == school_id
    if language:
        where &= Family.language == language
    if grade:
        where &= Family.id.is_in(Child.select(Child.family).where(Child.grade == grade))
    families = await Family.count().where(where).run()
    rows = await FamilyAvailability.select(
        FamilyAvailability.family, FamilyAvailability.weekday, FamilyAvailability.start_minute,
        FamilyAvailability.end_minute).where(FamilyAvailability.family.is_in(Family.select(Family.id).where(where))
                                             ).run()
    return heatmap.build(((r["family"], r["weekday"], r["start_minute"], r["end_minute"]) for r in rows), families)


async def filter_choices(school_id: int) -> dict[str, list[str]]:
    """The grades and languages present in the school, for the heatmap's filters."""
    grades = await Child.select(Child.grade).where(Child.family.school == school_id).distinct().run()
    languages = await Family.select(Family.language).where(Family.school == school_id).distinct().run()
    order = {g: i for i, g in enumerate(["pre-k", "PK", "K", *map(str, range(1, 13))])}
    return {"grades": sorted({g["grade"] for g in grades}, key=lambda g: (order.get(g, 99), g)),
            "languages": sorted({r["language"] for r in languages})}
