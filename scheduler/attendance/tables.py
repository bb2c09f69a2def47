"""Who came, and what they thought: check-ins at the door and feedback after the event.

Both close the loop the planner opens: its expected turnout is checked
against ``CheckIn`` rows, and families are thanked (and asked) afterwards.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from scheduler.accounts.tables import User
from scheduler.bookings.tables import Registration
from scheduler.events.tables import Event
from scheduler.families.tables import Family


class CheckIn(Table):
    """One party at the door of one event: a registered family, a known family walking in, or a named walk-in.

    ``client_ref`` is made by the staff's phone when the check-in happens, so
    a check-in queued offline and sent twice (or by two phones racing) is
    stored once; ``checked_in_at`` is the phone's time of the scan, bounded
    by the event's day when stored. A family is checked in at most once per
    event (the service holds the event's lock).
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.set_null, null=True, default=None,
                              index=True)
    family = ForeignKey(references=Family, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    walk_in_name = Varchar(length=120, default="")  # only for a walk-in not in the roster
    adults = SmallInt(default=1)
    children = SmallInt(default=0)
    client_ref = Varchar(length=64, unique=True)
    checked_in_at = Timestamptz(default=TimestamptzNow())
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)


class Feedback(Table):
    """A family's answer to the thank-you after an event: a score of 1-5 and an optional comment.

    One per family and event (``registration`` or the check-in's family); a
    second answer replaces the first. Summaries show counts, averages and
    comments, never the family.
    """

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    score = SmallInt()
    comment = Text(default="")
    language = Varchar(length=3, default="en")  # the language the comment was written in
    channel = Varchar(length=8, default="web")  # web / sms
    answered_at = Timestamptz(default=TimestamptzNow())


ATTENDANCE_TABLES = [CheckIn, Feedback]
