"""What administrators see of the outbox, and the one thing they may do to it: send a failed message again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from msgspec import Struct

from resources.services import school_by_slug
from resources.tables import School
from scheduler.core.access import owner_of
from scheduler.core.auth import Principal, require_admin
from scheduler.core.db import locked, use_case, writing
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.paging import PageRequest, fetch_page
from scheduler.core.timeutil import utcnow
from scheduler.notifications.tables import Outbox

STATUSES = ("pending", "sent", "failed", "skipped")


class OutboxItem(Struct):
    id: int
    kind: str
    status: str
    to_email: str
    language: str
    event_id: int | None
    family_id: int | None
    interpreter_id: int | None
    attempts: int
    next_attempt_at: dt.datetime
    reason: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    channel: str = "email"  # or "sms": then to_phone is the recipient
    to_phone: str = ""
    provider_status: str = ""  # what the SMS provider last reported (delivered, undelivered ...)


class OutboxPage(Struct):
    items: list[OutboxItem]
    total: int
    limit: int
    offset: int


def _item(row: dict[str, Any]) -> OutboxItem:
    return OutboxItem(id=row["id"], kind=row["kind"], status=row["status"], to_email=row["to_email"],
                      language=row["language"], event_id=row["event"], family_id=row["family"],
                      interpreter_id=row["interpreter"], attempts=row["attempts"],
                      next_attempt_at=row["next_attempt_at"], reason=row["last_error"], created_at=row["created_at"],
                      sent_at=row["sent_at"], channel=row["channel"], to_phone=row["to_phone"],
                      provider_status=row["provider_status"])


async def list_outbox(actor: Principal, slug: str, page: PageRequest, status: str | None) -> OutboxPage:
    """The school's messages, newest first, with why each is pending, failed or skipped."""
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    where = Outbox.school == school["id"]
    if status is not None:
        where &= Outbox.status == status
    rows, total = await fetch_page(Outbox.select().where(where).order_by(Outbox.id, ascending=False),
                                   Outbox.count().where(where), page)
    return OutboxPage(items=[_item(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


# a message of no school (to a district admin) is the district's: only district admins pass
owner_of("outbox_id", "SELECT school, NULL AS family, NULL AS interpreter FROM outbox WHERE id = {}")


@use_case
async def resend(actor: Principal, outbox_id: int) -> OutboxItem:
    """failed -> pending with the attempts reset; the sender picks it up on its next tick."""
    row = await locked(Outbox.select().where(Outbox.id == outbox_id)).first().run()
    if row is None:
        raise NotFound(f"no message {outbox_id}", "outbox_id")
    if row["school"] is None and actor.school_id is not None:
        raise NotFound(f"no message {outbox_id}", "outbox_id")  # district mail is not a school's to see
    require_admin(actor, row["school"])
    if row["status"] != "failed":
        raise Conflict(f"message {outbox_id} is {row['status']}; only failed messages are sent again", "status")
    await Outbox.update({Outbox.status: "pending", Outbox.attempts: 0, Outbox.next_attempt_at: utcnow(),
                         Outbox.lease_until: None, Outbox.last_error: ""}).where(Outbox.id == outbox_id).run()
    return _item(await Outbox.select().where(Outbox.id == outbox_id).first().run())


async def get_school_settings(actor: Principal, slug: str) -> dict[str, Any]:
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    return {"reminder_hours": sorted(school["reminder_hours"] or [], reverse=True),
            "waitlist_offer_hours": school["waitlist_offer_hours"]}


async def set_school_settings(actor: Principal, slug: str, hours: list[int], offer_hours: int) -> dict[str, Any]:
    """Reminder offsets and the waitlist offer period; offers already made keep their deadline."""
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    hours = sorted(set(hours), reverse=True)
    async with writing():
        await School.update({School.reminder_hours: hours, School.waitlist_offer_hours: offer_hours}).where(
            School.id == school["id"]).run()
    return {"reminder_hours": hours, "waitlist_offer_hours": offer_hours}
