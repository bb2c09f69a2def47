"""Tables of the things an event needs: a school, its rooms, interpreters, childcare.

The school lives here because it is the tenancy root every resource hangs
from; the scheduler imports these tables, never the other way round.
Weekly availability is stored as (weekday, start minute, end minute) in the
school's local time: a pattern, not instants, because "Tuesdays 17:00-20:00"
must stay 17:00 across a daylight-saving change.
"""

from __future__ import annotations

from piccolo.columns import Array, BigInt, ForeignKey, Integer, OnDelete, SmallInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class School(Table):
    name = Varchar(length=200)
    slug = Varchar(length=60, unique=True, index=True)
    timezone = Varchar(length=64)
    languages = Array(base_column=Varchar(length=3))
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # hours before a published event when confirmed families get a reminder (scheduler/notifications)
    reminder_hours = Array(base_column=Integer(), default=[48, 2])
    # 0: a freed seat confirms the next waiting family at once; N: it is offered to them for N hours
    waitlist_offer_hours = Integer(default=0)
    # A new random value, drawn by database triggers in the same transaction as any insert, update or delete of
    # the school's row, its rooms or its events: everything a school feed's bytes depend on (see the migration
    # 2026-12-01T06:03:36 and calendars/school_feed.py).
    feed_version = BigInt(default=0)


class Room(Table):
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=120)
    capacity = Integer()
    tags = Array(base_column=Varchar(length=40))
    updated_at = Timestamptz(default=TimestamptzNow())


class RoomAvailability(Table):
    room = ForeignKey(references=Room, on_delete=OnDelete.cascade, index=True, null=False)
    weekday = SmallInt()
    start_minute = SmallInt()
    end_minute = SmallInt()


class Interpreter(Table):
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=120)
    email = Varchar(length=254)
    languages = Array(base_column=Varchar(length=3))
    max_events_per_day = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class InterpreterAvailability(Table):
    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.cascade, index=True, null=False)
    weekday = SmallInt()
    start_minute = SmallInt()
    end_minute = SmallInt()


class ChildcareResource(Table):
    """A supervised space; its places follow from staff on duty and age ratios."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=120)
    room = ForeignKey(references=Room, on_delete=OnDelete.set_null, null=True, default=None)
    capacity = Integer()  # the room's cap, whatever the staffing
    updated_at = Timestamptz(default=TimestamptzNow())


class ChildcareStaffing(Table):
    childcare = ForeignKey(references=ChildcareResource, on_delete=OnDelete.cascade, index=True, null=False)
    weekday = SmallInt()
    start_minute = SmallInt()
    end_minute = SmallInt()
    staff = SmallInt()


class ChildcareRatio(Table):
    childcare = ForeignKey(references=ChildcareResource, on_delete=OnDelete.cascade, index=True, null=False)
    age_band = Varchar(length=16)
    children_per_staff = SmallInt()


class InterpreterBusy(Table):
    """A dated interval an interpreter cannot work (imported from their calendar)."""

    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.cascade, index=True, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
