"""The outbox: every message, written in the transaction of the change that causes it."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import Interpreter, School
from scheduler.events.tables import Event
from scheduler.families.tables import Family


class Outbox(Table):
    """A notification written in the same transaction as the change that causes it.

    A sender delivers due rows later; ``dedupe_key`` makes a sweep that runs
    twice write nothing twice.
    """

    kind = Varchar(length=40)
    dedupe_key = Varchar(length=200, unique=True)
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, null=True, default=None)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, null=True, default=None)
    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.cascade, null=True, default=None)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, null=True, default=None)
    to_email = Varchar(length=254)
    language = Varchar(length=3, default="en")
    payload = Text(default="{}")
    status = Varchar(length=16, default="pending", index=True)  # pending / sent / failed
    attempts = SmallInt(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
