"""JSON for the school: what families thought of an event, and the inbox of texts with the answers sent back.

The feedback summary names no family: counts, the average and the
comments with the language each was written in. The inbox is the page's
(``/admin/inbox``) twin: a school's admins list its families' texts and
answer one by text (queued in the outbox, so retries and STOP apply); the
district's admins also see texts from numbers no family has.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from resources.services import school_by_slug
from scheduler.attendance import feedback
from scheduler.core.access import api
from scheduler.core.validation import multi_line
from scheduler.http.params import Actor, PathId
from scheduler.notifications import sms_inbound

Score = Annotated[int, Meta(ge=1, le=5)]


class FeedbackComment(Struct):
    score: Score
    comment: str
    language: str  # the language the family wrote in (ISO 639)
    channel: str  # web (the e-mailed link) or sms (a texted reply)
    answered_at: dt.datetime


class FeedbackSummary(Struct):
    """What families thought of one event: no names, no family ids."""

    event_id: int
    title: str
    checked_in: int  # parties checked in at the door (the families asked)
    answers: int
    counts: dict[str, int]  # "1" .. "5" -> how many chose it
    average: float | None  # None until someone answers
    comments: list[FeedbackComment]


class InboxItem(Struct):
    id: int
    body: str
    language: str  # the family's language (ISO 639); "en" for an unknown number
    received_at: dt.datetime
    from_phone: str
    family_id: int | None  # None: a number no family has ("unknown number")
    family_name: str
    unknown_number: bool
    reply_text: str  # the school's answer, if one was sent
    reply_status: str  # pending / sent / failed / skipped; "" without an answer


class InboxReplyIn(Struct, forbid_unknown_fields=True):
    """The school's answer, sent as a text to the number the message came from."""

    text: multi_line(sms_inbound.MAX_REPLY, min_length=1, description="1 to 640 characters")


class InboxReplyOut(Struct):
    inbound_id: int
    outbox_id: int  # the queued text (GET /schools/{slug}/outbox shows how it went)
    status: str


def _item(row: dict[str, Any]) -> InboxItem:
    return InboxItem(id=row["id"], body=row["body"], language=row["language"], received_at=row["received_at"],
                     from_phone=row["from_phone"], family_id=row["family"], family_name=row["family_name"] or "",
                     unknown_number=row["family"] is None, reply_text=row["reply_text"],
                     reply_status=row["reply_status"] or "")


class FeedbackController(Controller):
    tags = ["feedback"]

    @get("/events/{event_id:int}/feedback", guards=[api.admin("event_id")])
    async def event_feedback(self, actor: Actor, event_id: PathId) -> FeedbackSummary:
        """What families thought of an event: counts per score, the average, comments with their language.

        Only families checked in at the door were asked. No family is named or identified.
        """
        got = await feedback.summary(actor, event_id)
        comments = [FeedbackComment(**c) for c in got.pop("comments")]
        return FeedbackSummary(**{**got, "counts": {str(k): v for k, v in got["counts"].items()}},
                               comments=comments)


class InboxController(Controller):
    tags = ["notifications"]

    @get("/schools/{slug:str}/inbox", guards=[api.admin("slug")])
    async def school_inbox(self, actor: Actor, slug: FromPath[str]) -> list[InboxItem]:
        """Texts from the school's families that are messages for the school, newest first (at most 200).

        Keywords (STOP, HELP ...), yes/no answers and scores are not listed: they were acted on.
        """
        school = await school_by_slug(slug)
        return [_item(r) for r in await sms_inbound.inbox(actor, school["id"])]

    @get("/district/inbox", guards=[api.district])
    async def district_inbox(self, actor: Actor) -> list[InboxItem]:
        """Texts from numbers no family has, newest first (at most 200): the district's admins answer them."""
        return [_item(r) for r in await sms_inbound.inbox(actor, None)]

    @post("/inbox/{inbound_id:int}/reply", status_code=201, guards=[api.admin("inbound_id")])
    async def reply(self, actor: Actor, inbound_id: PathId, data: JSONBody[InboxReplyIn]) -> InboxReplyOut:
        """Answer a message by text to the number it came from (queued in the outbox; STOP is respected)."""
        outbox_id = await sms_inbound.reply(actor, inbound_id, data.text)
        return InboxReplyOut(inbound_id=inbound_id, outbox_id=outbox_id, status="pending")


ROUTES = [FeedbackController, InboxController]
