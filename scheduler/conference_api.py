"""HTTP routes for parent-teacher conferences: parse, call one service, shape the answer."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, HttpMethod, Request, Response, get, post, put, route
from litestar.params import FromPath, FromQuery, JSONBody

from calendars.api import ICS, feed_response
from calendars.services import FeedTokenOut

from resources.api import Actor, PathId
from scheduler import conference_services as svc
from scheduler.bookings_api import IdempotencyKey, once_per_key
from scheduler.errors import NotFound
from scheduler.access import api


def _ics_token(name: str) -> str:
    """``abc.ics`` -> ``abc``; anything else is not a feed address."""
    if not name.endswith(".ics") or len(name) == 4:
        raise NotFound(f"no feed {name!r}; feed addresses end in .ics", "path")
    return name.removesuffix(".ics")


class ConferenceAdminController(Controller):
    """School administrators: set up a conference week, solve it, publish it."""

    tags = ["conferences"]

    @post("/schools/{slug:str}/conference-windows", status_code=201, guards=[api.admin("slug")])
    async def create_window(self, actor: Actor, slug: FromPath[str], data: JSONBody[svc.WindowIn]) -> svc.WindowOut:
        return await svc.create_window(actor, slug, data)

    @get("/schools/{slug:str}/conference-windows", guards=[api.admin("slug")])
    async def list_windows(self, actor: Actor, slug: FromPath[str]) -> list[svc.WindowOut]:
        return await svc.list_windows(actor, slug)

    @get("/conference-windows/{window_id:int}", guards=[api.admin("window_id")])
    async def read_window(self, actor: Actor, window_id: PathId) -> svc.WindowOut:
        return await svc.get_window(actor, window_id)

    @post("/conference-windows/{window_id:int}/teachers", status_code=201, guards=[api.admin("window_id")])
    async def create_teacher(self, actor: Actor, window_id: PathId, data: JSONBody[svc.TeacherIn]) -> svc.TeacherOut:
        return await svc.create_teacher(actor, window_id, data)

    @get("/conference-windows/{window_id:int}/teachers", guards=[api.admin("window_id")])
    async def list_teachers(self, actor: Actor, window_id: PathId) -> list[svc.TeacherOut]:
        return await svc.list_teachers(actor, window_id)

    @put("/conference-teachers/{teacher_id:int}/class-list", guards=[api.admin("teacher_id")])
    async def set_class_list(self, actor: Actor, teacher_id: PathId, data: JSONBody[svc.ClassListIn]
                             ) -> svc.TeacherOut:
        return await svc.set_class_list(actor, teacher_id, data)

    @put("/conference-windows/{window_id:int}/split-households", guards=[api.admin("window_id")])
    async def set_split(self, actor: Actor, window_id: PathId, data: JSONBody[svc.SplitIn]) -> list[int]:
        return await svc.set_split_households(actor, window_id, data)

    @post("/conference-windows/{window_id:int}/solve", status_code=200, guards=[api.admin("window_id")])
    async def solve(self, actor: Actor, window_id: PathId, data: JSONBody[svc.SolveIn | None] = None
                    ) -> svc.WindowOut:
        """Solves in a worker thread and answers when done (time_limit 1..300 s, default 20)."""
        return await svc.solve_window(actor, window_id, data or svc.SolveIn())

    @get("/conference-windows/{window_id:int}/meetings", guards=[api.admin("window_id")])
    async def meetings(self, actor: Actor, window_id: PathId) -> list[svc.MeetingOut]:
        return await svc.list_meetings(actor, window_id)

    @post("/conference-windows/{window_id:int}/publish", status_code=200, guards=[api.admin("window_id")])
    async def publish(self, actor: Actor, window_id: PathId) -> svc.PublishOut:
        return await svc.publish(actor, window_id)

    @get("/teachers/{teacher_id:int}/day", guards=[api.admin("teacher_id")])
    async def teacher_day(self, actor: Actor, teacher_id: PathId, date: FromQuery[dt.date]) -> svc.TeacherDayOut:
        return await svc.teacher_day(actor, teacher_id, date)


class ConferenceFamilyController(Controller):
    """Families: see the proposed itinerary, accept it, or move one meeting to a free slot."""

    tags = ["conferences"]

    @get("/families/{family_id:int}/conferences", guards=[api.family("family_id")])
    async def itinerary(self, actor: Actor, family_id: PathId) -> svc.ItineraryOut:
        return await svc.itinerary(actor, family_id)

    @post("/families/{family_id:int}/conferences/accept", status_code=200, guards=[api.family("family_id")])
    async def accept(self, actor: Actor, request: Request, family_id: PathId, idempotency_key: IdempotencyKey = None
                     ) -> Response[svc.ItineraryOut]:
        return await once_per_key(request, actor, idempotency_key, f"conference-accept:{family_id}", 200,
                                  lambda: svc.accept(actor, family_id))

    @get("/conference-meetings/{meeting_id:int}/free-slots", guards=[api.family("meeting_id")])
    async def free_slots(self, actor: Actor, meeting_id: PathId) -> list[svc.FreeSlotOut]:
        return await svc.free_slots(actor, meeting_id)

    @post("/conference-meetings/{meeting_id:int}/move", status_code=200, guards=[api.family("meeting_id")])
    async def move(self, actor: Actor, request: Request, meeting_id: PathId, data: JSONBody[svc.MoveIn],
                   idempotency_key: IdempotencyKey = None) -> Response[svc.MeetingOut]:
        return await once_per_key(request, actor, idempotency_key, f"conference-move:{meeting_id}", 200,
                                  lambda: svc.move(actor, meeting_id, data))


class TeacherFeedController(Controller):
    """A teacher's private conference calendar: admins make the link, calendar apps read it without signing in."""

    tags = ["calendars"]

    @post("/conference-teachers/{teacher_id:int}/feed-token", status_code=201, guards=[api.admin("teacher_id")])
    async def rotate(self, request: Request, actor: Actor, teacher_id: PathId) -> FeedTokenOut:
        return await svc.rotate_teacher_feed_token(request.app.state.settings, actor, teacher_id)

    @route("/calendars/teachers/{name:str}", http_method=[HttpMethod.GET, HttpMethod.HEAD], media_type=ICS,
           security=[{}], guards=[api.token])
    async def feed(self, request: Request, name: FromPath[str]) -> Response[bytes]:
        feed = await svc.teacher_feed(request.app.state.settings, _ics_token(name))
        return feed_response(request, feed, "private, max-age=300", private=True)


ROUTES = [ConferenceAdminController, ConferenceFamilyController, TeacherFeedController]
