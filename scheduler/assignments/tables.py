"""Interpreter assignments: one per language an event is interpreted in, open until claimed."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import Interpreter, School
from scheduler.events.tables import Event


class InterpreterAssignment(Table):
    """One language needed at one event; open until an interpreter claims it.

    The event's time is copied here so PostgreSQL can forbid one interpreter
    in two overlapping assignments with an exclusion constraint.
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    language = Varchar(length=3)
    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    status = Varchar(length=16, index=True)  # open / claimed / confirmed / cancelled
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    claimed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    # the day-before "will you be there?" (assignments/day_before.py): "" until the interpreter holding it
    # answers "yes"; a "no" releases the work, so it is cleared again whenever the work changes hands
    day_before_answer = Varchar(length=3, default="")
    day_before_answered_at = Timestamptz(null=True, default=None)
