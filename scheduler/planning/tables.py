"""Plans: one run of the booking engine for a school."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import School


class Plan(Table):
    """One run of the booking engine for a school: its instance, proposal and reasons."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    status = Varchar(length=16)  # solving / ready / failed / published
    instance = Text(default="")  # engine-format JSON
    solution = Text(default="")  # engine-format JSON
    details = Text(default="")  # per-event turnout and runner-up, JSON
    scheduled = Integer(null=True, default=None)
    attendance = Integer(null=True, default=None)
    bound = Integer(null=True, default=None)
    error = Text(default="")
    time_limit = Integer(default=30)
    keep_published = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    # who runs the solve ("host:pid:start-ticks") and when it last said so: a solve whose process died
    # is noticed at once on its own host, and within seconds from any other (see plans._retire_if_dead)
    owner = Varchar(length=200, default="")
    heartbeat_at = Timestamptz(null=True, default=None)
