"""Bookings: a family's place at an event, and each child's childcare place with it."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, SmallInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import ChildcareResource
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family


class Registration(Table):
    """A family's place at an event: confirmed, waitlisted, offered, or cancelled.

    Rows are never deleted on cancel (the status changes) so that private
    feeds can show the cancellation and their Last-Modified never goes back.
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    adults = SmallInt(default=1)
    language = Varchar(length=3, null=True, default=None)
    status = Varchar(length=16, index=True)
    waitlist_seq = Integer(null=True, default=None)  # order of joining the waitlist
    offered_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ChildcareBooking(Table):
    """One child's childcare place at one event, held with its registration."""

    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, index=True, null=False)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)
    child = ForeignKey(references=Child, on_delete=OnDelete.cascade, null=False)
    childcare = ForeignKey(references=ChildcareResource, on_delete=OnDelete.set_null, null=True, default=None)
    age_band = Varchar(length=16)
    status = Varchar(length=16)  # mirrors the registration: confirmed / waitlisted / cancelled
