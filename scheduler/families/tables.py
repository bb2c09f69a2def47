"""Families, their children, when they can come, and which events they want.

Instants are Timestamptz in UTC; a family's weekly pattern is local (weekday, minutes) like the
resources' availability, interpreted in the school's zone when a plan is built.
"""

from __future__ import annotations

from piccolo.columns import Array, Boolean, ForeignKey, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import School
from scheduler.events.tables import Event


class Family(Table):
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=120)
    language = Varchar(length=3)
    email = Varchar(length=254)
    guardians = Array(base_column=Varchar(length=120))
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # {"reminder": false, ...}: kinds of e-mail the family switched off (absent = on); see scheduler/notifications
    notification_prefs = Text(default="{}")
    # E.164 ("+16125550123") or ""; from the roster or the family itself
    phone = Varchar(length=20, default="")
    # how messages reach the family: "email", "sms" or "both" (scheduler/notifications/channels.py)
    channels = Varchar(length=8, default="email")


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


class EventInterest(Table):
    """What a family said of an event: "I'd come" (``yes``, counted twice by the planner) or "Not for us"
    (``no``, never counted; see scheduler/planning/turnout.py)."""

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)
    choice = Varchar(length=8, default="yes")
