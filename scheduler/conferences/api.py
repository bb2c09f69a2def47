"""HTTP routes for parent-teacher conferences: parse, call one service, shape the answer."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from scheduler.accounts.idempotency import once
from scheduler.conferences import (
    booking,
    calendar,
    choices,
    postponing,
    publishing,
    roster_teachers,
    schemas,
    selfbook,
    setup,
    solving,
)
from scheduler.core.access import api
from scheduler.http.params import Actor, IdempotencyKey, PathId, fingerprint, json_answer


class ConferenceAdminController(Controller):
    """School administrators: set up a conference week, solve it, publish it."""

    tags = ["conferences"]

    @post("/schools/{slug:str}/conference-windows", status_code=201, guards=[api.admin("slug")])
    async def create_window(self, actor: Actor, slug: FromPath[str], data: JSONBody[schemas.WindowIn]) -> schemas.WindowOut:
        """Create a conference week: its evenings, slot lengths and passing time."""
        return await setup.create_window(actor, slug, data)

    @get("/schools/{slug:str}/conference-windows", guards=[api.admin("slug")])
    async def list_windows(self, actor: Actor, slug: FromPath[str]) -> list[schemas.WindowOut]:
        """List the school's conference weeks."""
        return await setup.list_windows(actor, slug)

    @get("/conference-windows/{window_id:int}", guards=[api.admin("window_id")])
    async def read_window(self, actor: Actor, window_id: PathId) -> schemas.WindowOut:
        """Read a conference week with its status and the last solve's figures."""
        return await setup.get_window(actor, window_id)

    @post("/conference-windows/{window_id:int}/teachers", status_code=201, guards=[api.admin("window_id")])
    async def create_teacher(self, actor: Actor, window_id: PathId, data: JSONBody[schemas.TeacherIn]) -> schemas.TeacherOut:
        """Add a teacher to the week: room, language, availability, breaks, class list."""
        return await setup.create_teacher(actor, window_id, data)

    @get("/conference-windows/{window_id:int}/teachers", guards=[api.admin("window_id")])
    async def list_teachers(self, actor: Actor, window_id: PathId) -> list[schemas.TeacherOut]:
        """List the week's teachers."""
        return await setup.list_teachers(actor, window_id)

    @put("/conference-teachers/{teacher_id:int}/class-list", guards=[api.admin("teacher_id")])
    async def set_class_list(self, actor: Actor, teacher_id: PathId, data: JSONBody[schemas.ClassListIn]
                             ) -> schemas.TeacherOut:
        """Replace a teacher's class list (the children they meet families about)."""
        return await setup.set_class_list(actor, teacher_id, data)

    @put("/conference-windows/{window_id:int}/split-households", guards=[api.admin("window_id")])
    async def set_split(self, actor: Actor, window_id: PathId, data: JSONBody[schemas.SplitIn]) -> list[int]:
        """Mark the families whose guardians each want their own conferences."""
        return await setup.set_split_households(actor, window_id, data)

    @post("/conference-windows/{window_id:int}/solve", status_code=200, guards=[api.admin("window_id")])
    async def solve(self, actor: Actor, window_id: PathId, data: JSONBody[schemas.SolveIn | None] = None
                    ) -> schemas.WindowOut:
        """Solves in a worker thread and answers when done (time_limit 1..300 s, default 20)."""
        return await solving.solve_window(actor, window_id, data or schemas.SolveIn())

    @get("/conference-windows/{window_id:int}/meetings", guards=[api.admin("window_id")])
    async def meetings(self, actor: Actor, window_id: PathId) -> list[schemas.MeetingOut]:
        """The week's meetings as proposed or published."""
        return await solving.list_meetings(actor, window_id)

    @post("/conference-windows/{window_id:int}/publish", status_code=200, guards=[api.admin("window_id")])
    async def publish(self, actor: Actor, window_id: PathId) -> schemas.PublishOut:
        """Publish a solved week: calendar events for its evenings, interpreter blocks open for claiming."""
        return await publishing.publish(actor, window_id)

    @post("/conference-windows/{window_id:int}/roster-teachers", status_code=201, guards=[api.admin("window_id")])
    async def add_roster_teacher(self, actor: Actor, window_id: PathId, data: JSONBody[schemas.RosterTeacherIn]
                                 ) -> schemas.TeacherOut:
        """Add a roster teacher in a room; their class list is the active children of the chosen classes."""
        return await roster_teachers.add_roster_teacher(actor, window_id, data.teacher_id, data.room_id,
                                                        data.class_ids)

    @post("/conference-windows/{window_id:int}/self-booking", status_code=200, guards=[api.admin("window_id")])
    async def self_booking(self, actor: Actor, window_id: PathId, data: JSONBody[schemas.SelfBookingIn]
                           ) -> schemas.WindowOut:
        """Reopen a published week for families to book their own free slots (or close it again)."""
        return await postponing.set_self_booking(actor, window_id, data.open)

    @post("/conference-windows/{window_id:int}/postpone", status_code=200, guards=[api.admin("window_id")])
    async def postpone(self, actor: Actor, window_id: PathId, data: JSONBody[schemas.PostponeIn]) -> schemas.WindowOut:
        """Move one evening to another date with all its meetings; each family is told (when published)."""
        return await postponing.postpone_evening(actor, window_id, data.evening_id, data.date)

    @get("/teachers/{teacher_id:int}/day", guards=[api.admin("teacher_id")])
    async def teacher_day(self, actor: Actor, teacher_id: PathId, date: FromQuery[dt.date]) -> schemas.TeacherDayOut:
        """One teacher's meetings on one day."""
        return await calendar.teacher_day(actor, teacher_id, date)

    @put("/conference-teachers/{teacher_id:int}/contact", guards=[api.admin("teacher_id")])
    async def set_contact(self, actor: Actor, teacher_id: PathId, data: JSONBody[schemas.TeacherContactIn]
                          ) -> dict[str, str]:
        """A teacher's video link (https) and the number they call from: what families choosing video or phone see."""
        return await choices.set_contact(actor, teacher_id, data)


class ConferenceFamilyController(Controller):
    """Families: see the proposed itinerary, accept it, or move one meeting to a free slot."""

    tags = ["conferences"]

    @get("/families/{family_id:int}/conferences", guards=[api.family("family_id")])
    async def itinerary(self, actor: Actor, family_id: PathId) -> schemas.ItineraryOut:
        """A family's conference meetings (all children, all teachers) and what could not be placed."""
        return await booking.itinerary(actor, family_id)

    @post("/families/{family_id:int}/conferences/accept", status_code=200, guards=[api.family("family_id")])
    async def accept(self, actor: Actor, request: Request, family_id: PathId, idempotency_key: IdempotencyKey = None
                     ) -> Response[schemas.ItineraryOut]:
        """Accept the proposed itinerary."""
        return json_answer(*await once(actor, idempotency_key, f"conference-accept:{family_id}", 200,
                                       lambda: booking.accept(actor, family_id), await fingerprint(request)))

    @get("/conference-meetings/{meeting_id:int}/free-slots", guards=[api.family("meeting_id")])
    async def free_slots(self, actor: Actor, meeting_id: PathId) -> list[schemas.FreeSlotOut]:
        """Free times a meeting could move to, within the family's availability."""
        return await booking.free_slots(actor, meeting_id)

    @post("/conference-meetings/{meeting_id:int}/move", status_code=200, guards=[api.family("meeting_id")])
    async def move(self, actor: Actor, request: Request, meeting_id: PathId, data: JSONBody[schemas.MoveIn],
                   idempotency_key: IdempotencyKey = None) -> Response[schemas.MeetingOut]:
        """Move one meeting to a free slot (two families never get one slot)."""
        return json_answer(*await once(actor, idempotency_key, f"conference-move:{meeting_id}", 200,
                                       lambda: booking.move(actor, meeting_id, data), await fingerprint(request)))

    @post("/conference-meetings/{meeting_id:int}/cancel", status_code=200, guards=[api.family("meeting_id")])
    async def cancel(self, actor: Actor, meeting_id: PathId) -> schemas.MeetingOut:
        """Cancel one meeting; the family gets a cancellation its calendar understands."""
        return await booking.cancel(actor, meeting_id)

    @get("/families/{family_id:int}/conference-slots", guards=[api.family("family_id")])
    async def open_slots(self, actor: Actor, family_id: PathId) -> list[schemas.OpenTeacherOut]:
        """Teachers the family may book itself, with their free times (fitting the family's availability first,
        back-to-back with its other meetings marked)."""
        return await selfbook.open_slots(actor, family_id)

    @post("/families/{family_id:int}/conference-holds", status_code=201, guards=[api.family("family_id")])
    async def hold(self, actor: Actor, request: Request, family_id: PathId, data: JSONBody[schemas.HoldIn]
                   ) -> schemas.HoldOut:
        """Hold a free slot for FB_CONFERENCE_HOLD_SECONDS while picking the others (409 when taken or held)."""
        return await selfbook.hold(actor, family_id, data, request.app.state.settings.conference_hold_seconds)

    @post("/families/{family_id:int}/conference-bookings", status_code=201, guards=[api.family("family_id")])
    async def book(self, actor: Actor, request: Request, family_id: PathId, data: JSONBody[schemas.BookIn],
                   idempotency_key: IdempotencyKey = None) -> Response[schemas.MeetingOut]:
        """Book a held or free slot: an accepted meeting (two families never get one slot)."""
        return json_answer(*await once(actor, idempotency_key, f"conference-book:{family_id}", 201,
                                       lambda: selfbook.book(actor, family_id, data), await fingerprint(request)))

    @put("/conference-meetings/{meeting_id:int}/choice", guards=[api.family("meeting_id")])
    async def choose(self, actor: Actor, meeting_id: PathId, data: JSONBody[schemas.MeetingChoiceIn]
                     ) -> schemas.MeetingOut:
        """In person, video or phone, and one sentence of what the family wants to talk about."""
        return await choices.choose(actor, meeting_id, data)

    @post("/families/{family_id:int}/conference-guardians", status_code=201, guards=[api.family("family_id")])
    async def invite_guardian(self, actor: Actor, family_id: PathId, data: JSONBody[schemas.GuardianInviteIn]
                              ) -> dict[str, str]:
        """Invite a second guardian: their own sign-in to this family's page, and an e-mail with the link."""
        return await choices.invite_guardian(actor, family_id, data)


ROUTES = [ConferenceAdminController, ConferenceFamilyController]
