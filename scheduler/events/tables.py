"""Events: what a school plans (drafts), proposes and publishes."""

from __future__ import annotations

from piccolo.columns import Array, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import ChildcareResource, Room, School


class Event(Table):
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    kind = Varchar(length=16)
    title = Varchar(length=200)
    description = Text(default="")
    duration_minutes = Integer()
    earliest_date = Date()
    latest_date = Date()
    min_capacity = Integer(default=0)
    room_tags = Array(base_column=Varchar(length=40))
    audience = Array(base_column=Varchar(length=40))
    interpreter_languages = Array(base_column=Varchar(length=3))
    childcare_children = Integer(default=0)
    fixed_start = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="draft", index=True)
    starts_at = Timestamptz(null=True, default=None, index=True)
    ends_at = Timestamptz(null=True, default=None)
    room = ForeignKey(references=Room, on_delete=OnDelete.set_null, null=True, default=None)
    seats = Integer(null=True, default=None)  # registration capacity once placed (the room's, unless set lower)
    seat_limit = Integer(null=True, default=None)  # the school's cap on seats, below the room's capacity
    # sessions of one workshop share the id of the first session: a family counts toward one of them
    series = Integer(null=True, default=None, index=True)
    # JSON {rules, problems, by, at} when the last move by hand overrode the engine's rules (planning/moves.py)
    override = Text(default="")
    translations = Text(default="{}")  # JSON {language: {title, description}}: the school's other languages
    childcare = ForeignKey(references=ChildcareResource, on_delete=OnDelete.set_null, null=True, default=None)
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    # what registered families were last told (time, status): the change sweep compares against these
    notified_starts_at = Timestamptz(null=True, default=None)
    notified_status = Varchar(length=16, default="")
