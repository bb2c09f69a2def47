"""HTTP routes for attendance figures: a school's past events against their expected turnout, and one event's."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter

from scheduler.attendance import figures
from scheduler.attendance.figures_schemas import EventAttendance, SchoolAttendance
from scheduler.core.access import api
from scheduler.http.params import Actor, PathId

Months = Annotated[int, QueryParameter(ge=1, le=60, description="how many months back, this one included")]


class AttendanceController(Controller):
    tags = ["attendance"]

    @get("/schools/{slug:str}/attendance", guards=[api.member("slug", "admin", "teacher")])
    async def school(self, actor: Actor, slug: FromPath[str], months: FromQuery[Months] = 12) -> SchoolAttendance:
        """Past events against their expected turnout: per event and per month, and what calibrates the next plan.

        Per past (published, ended) event: the plan's expected turnout, registered, confirmed the day before,
        checked in (walk-ins included), the show-up rate (only where check-ins were taken); per month the same
        summed. Administrators and teachers of the school.
        """
        return await figures.school_attendance(actor, slug, months)

    @get("/events/{event_id:int}/attendance", guards=[api.member("event_id", "admin", "teacher")])
    async def event(self, actor: Actor, event_id: PathId) -> EventAttendance:
        """One event's attendance: expected, registered, confirmed, checked in, walk-ins, show-up rate."""
        return await figures.event_attendance(actor, event_id)


ROUTES = [AttendanceController]
