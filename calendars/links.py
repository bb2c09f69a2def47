"""Private feed links: made (shown once, only a keyed hash is kept), rotated and revoked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from calendars import tokens
from calendars.feed_rows import FeedTokenOut, owner_row
from calendars.tables import FeedToken
from scheduler.conferences.rows import load_teacher, load_window
from scheduler.conferences.teacher_days import check_teacher_access
from scheduler.core.auth import Principal, require_admin, require_family_access, require_interpreter_access
from scheduler.core.db import writing
from scheduler.core.errors import NotFound
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow


async def authorize_owner(actor: Principal, kind: str, owner_id: int) -> dict[str, Any]:
    """The owner row, after checking the actor may manage its feed link."""
    row = await owner_row(kind, owner_id)
    if row is None:
        raise NotFound(f"no {kind} {owner_id}", f"{kind}_id")
    if kind == "family":
        require_family_access(actor, owner_id, row["school"])
    elif kind == "interpreter":
        require_interpreter_access(actor, owner_id, row["school"])
    else:
        require_admin(actor, row["school"])
    return row


async def _revoke(kind: str, owner_id: int, now: dt.datetime) -> None:
    await FeedToken.update({FeedToken.revoked_at: now}).where(
        (FeedToken.owner_kind == kind) & (FeedToken.owner_id == owner_id) & FeedToken.revoked_at.is_null()).run()


async def rotate_token(settings: Settings, actor: Principal, kind: str, owner_id: int) -> FeedTokenOut:
    """A new private link; every earlier link of the owner stops working in the same transaction.

    Only the HMAC is stored, so the link is shown this once. Feed contents do
    not change, so no event row is touched (and no Last-Modified moves).
    """
    await authorize_owner(actor, kind, owner_id)
    token = tokens.new_token()
    async with writing():
        await _revoke(kind, owner_id, utcnow())
        await FeedToken.insert(FeedToken(owner_kind=kind, owner_id=owner_id,
                                         token_hash=tokens.hash_token(token, settings.secret_key))).run()
    links = tokens.subscribe_links(settings.public_url, f"/calendars/private/{token}.ics")
    return FeedTokenOut(token=token, https=links["https"], webcal=links["webcal"])


async def revoke_token(actor: Principal, kind: str, owner_id: int) -> None:
    """Every link of the owner stops working; none replaces it."""
    await authorize_owner(actor, kind, owner_id)
    async with writing():
        await _revoke(kind, owner_id, utcnow())


async def rotate_teacher_token(settings: Settings, actor: Principal, teacher_id: int) -> FeedTokenOut:
    """A new private link to a teacher's conference calendar; earlier links stop working.

    Stored in ``calendars.FeedToken`` with owner kind ``teacher`` (only the
    HMAC is kept, so the link is shown once), served by
    ``GET /calendars/teachers/{token}.ics`` — not by ``/calendars/private``.
    """
    teacher = await load_teacher(teacher_id)
    await check_teacher_access(actor, teacher, await load_window(teacher["window"]))  # its admins, or the teacher
    token = tokens.new_token()
    async with writing():
        await FeedToken.update({FeedToken.revoked_at: utcnow()}).where(
            (FeedToken.owner_kind == "teacher") & (FeedToken.owner_id == teacher_id)
            & FeedToken.revoked_at.is_null()).run()
        await FeedToken.insert(FeedToken(owner_kind="teacher", owner_id=teacher_id,
                                         token_hash=tokens.hash_token(token, settings.secret_key))).run()
    links = tokens.subscribe_links(settings.public_url, f"/calendars/teachers/{token}.ics")
    return FeedTokenOut(token=token, https=links["https"], webcal=links["webcal"])
