"""Tables of people and events: users, families, children, availability, events.

Instants are Timestamptz in UTC; a family's weekly pattern is local
(weekday, minutes) like the resources' availability, interpreted in the
school's zone when a plan is built.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import Interpreter, Room, School


class Family(Table):
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=120)
    language = Varchar(length=3)
    email = Varchar(length=254)
    guardians = Array(base_column=Varchar(length=120))
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Child(Table):
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    first_name = Varchar(length=80)
    grade = Varchar(length=16)
    age_band = Varchar(length=16)


class FamilyAvailability(Table):
    """Weekly pattern: the family can usually come on this weekday, these hours."""

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    weekday = SmallInt()
    start_minute = SmallInt()
    end_minute = SmallInt()


class FamilyDatedAvailability(Table):
    """One-off interval: free (an extra evening) or busy (from an imported calendar)."""

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    busy = Boolean(default=False)


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
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)


class EventInterest(Table):
    """A family said it would like to come: the engine maximises these."""

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)


class User(Table, tablename="app_user"):
    """Someone who signs in; the role decides what they may touch.

    Only a hash of the API token is stored, so a copy of the database does
    not hand out working credentials.
    """

    role = Varchar(length=16)
    name = Varchar(length=120)
    email = Varchar(length=254)
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, null=True, default=None)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, null=True, default=None)
    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.cascade, null=True, default=None)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
