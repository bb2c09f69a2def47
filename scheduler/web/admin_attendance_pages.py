"""Administrators: past events against their expected turnout, per month and per event (read only).

The figures and how they are counted: ``scheduler/attendance/figures.py`` and ``tally.py``; what they
calibrate: ``scheduler/planning/calibration.py``. The planner page shows the latest few (``past_events``).
"""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from scheduler.attendance import figures
from scheduler.attendance.figures_schemas import EventAttendance
from scheduler.core.access import pages
from scheduler.core.errors import T_, InvalidInput
from scheduler.web.admin_common import school
from scheduler.web.common import Page

MONTHS = (3, 6, 12, 24)


def percent(rate: float | None) -> str:
    """A show-up rate as the templates show it ("—": no check-ins were taken, the rate is unknown)."""
    return "—" if rate is None else f"{round(rate * 100)}%"


async def past_events(page: Page, slug: str, how_many: int = 5) -> list[EventAttendance]:
    """The latest past events with their figures, for the planner's "expected vs actual" block."""
    return (await figures.school_attendance(page.require().principal, slug, 12)).events[:how_many]


@get("/admin/attendance", include_in_schema=False, guards=[pages.signed_in("admin")])
async def attendance_page(page: Page, months: int = 12) -> Template:
    if months not in MONTHS:
        raise InvalidInput([("months", T_("must be one of 3, 6, 12 or 24"))])
    here = school(page)
    data = await figures.school_attendance(page.require().principal, here["slug"], months)
    return page.render("admin_attendance.html", data=data, months=months, choices=MONTHS, percent=percent)


ROUTES = [attendance_page]
