"""HTTP routes for notifications: the admin outbox view, family e-mail preferences, reminder offsets."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from scheduler.core.access import api
from scheduler.core.paging import PageRequest
from scheduler.core.settings import Settings
from scheduler.core.validation import one_line
from scheduler.http.params import Actor, Limit, Offset, PathId
from scheduler.notifications import admin, preferences
from scheduler.notifications.admin import OutboxItem, OutboxPage

OutboxStatus = Annotated[Literal["pending", "sent", "failed", "skipped"] | None,
                         QueryParameter(description="only messages in this state")]
Hours = Annotated[int, Meta(ge=1, le=24 * 30)]


class PreferencesIO(Struct, forbid_unknown_fields=True):
    """``email``: kind -> on/off; every family kind is listed in answers, a PUT may name only some."""

    email: dict[one_line(40), bool]


class SchoolNotifications(Struct, forbid_unknown_fields=True):
    """Reminder offsets (hours before each event) and how long a freed seat is held (0 = confirm at once)."""

    reminder_hours: Annotated[list[Hours], Meta(max_length=6)]
    waitlist_offer_hours: Annotated[int, Meta(ge=0, le=168)] = 0


def _settings(request: Request) -> Settings:
    return request.app.state.settings


class NotificationController(Controller):
    tags = ["notifications"]

    @get("/schools/{slug:str}/outbox", guards=[api.admin("slug")])
    async def outbox(self, actor: Actor, slug: FromPath[str], status: OutboxStatus = None, limit: Limit = 50,
                     offset: Offset = 0) -> OutboxPage:
        """The school's messages, newest first, with why each is pending, failed or skipped."""
        return await admin.list_outbox(actor, slug, PageRequest(limit, offset), status)

    @post("/outbox/{outbox_id:int}/resend", status_code=200, guards=[api.admin("outbox_id")])
    async def resend(self, actor: Actor, outbox_id: PathId) -> OutboxItem:
        """Send a failed message again."""
        return await admin.resend(actor, outbox_id)

    @get("/schools/{slug:str}/notification-settings", guards=[api.admin("slug")])
    async def school_settings(self, actor: Actor, slug: FromPath[str]) -> SchoolNotifications:
        """Reminder offsets and how long a freed seat is held for the next family."""
        return SchoolNotifications(**await admin.get_school_settings(actor, slug))

    @put("/schools/{slug:str}/notification-settings", guards=[api.admin("slug")])
    async def set_school_settings(self, actor: Actor, slug: FromPath[str], data: JSONBody[SchoolNotifications]
                                  ) -> SchoolNotifications:
        """Change the reminder offsets and the waitlist offer period."""
        return SchoolNotifications(**await admin.set_school_settings(actor, slug, data.reminder_hours,
                                                                      data.waitlist_offer_hours))

    @get("/families/{family_id:int}/preferences", tags=["families"], guards=[api.family("family_id")])
    async def preferences(self, actor: Actor, family_id: PathId) -> PreferencesIO:
        """Which kinds of e-mail the family receives."""
        return PreferencesIO(email=await preferences.get(family_id, actor))

    @put("/families/{family_id:int}/preferences", tags=["families"], guards=[api.family("family_id")])
    async def set_preferences(self, actor: Actor, family_id: PathId, data: JSONBody[PreferencesIO]) -> PreferencesIO:
        """Switch kinds of family e-mail on or off."""
        return PreferencesIO(email=await preferences.put(family_id, data.email, actor))


class PreferenceLinkController(Controller):
    """The link in every family e-mail: the signed token is the credential (no sign-in)."""

    tags = ["notifications"]
    security = [{}]

    @get("/preferences/{token:str}", guards=[api.token])
    async def read(self, request: Request, token: FromPath[str]) -> PreferencesIO:
        """Which e-mails the family receives, through the signed link in every e-mail."""
        family_id = preferences.family_from_token(_settings(request), token)
        return PreferencesIO(email=await preferences.get(family_id))

    @put("/preferences/{token:str}", guards=[api.token])
    async def update(self, request: Request, token: FromPath[str], data: JSONBody[PreferencesIO]) -> PreferencesIO:
        """Switch e-mails on or off through the signed link in every e-mail."""
        family_id = preferences.family_from_token(_settings(request), token)
        return PreferencesIO(email=await preferences.put(family_id, data.email))


ROUTES = [NotificationController, PreferenceLinkController]
