"""Feed tokens: who may read a private calendar, stored only as a keyed hash."""

from __future__ import annotations

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class FeedToken(Table):
    """One subscribe URL of a family, an interpreter or a room (for admins).

    ``owner_kind``/``owner_id`` rather than foreign keys: one table serves
    three kinds of owner, and a token whose owner is gone simply finds
    nothing (the feed answers 404, like a revoked one).
    """

    owner_kind = Varchar(length=16)  # family / interpreter / room
    owner_id = Integer(index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
