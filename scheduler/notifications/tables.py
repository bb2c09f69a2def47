"""The outbox: every message, written in the transaction of the change that causes it."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import Interpreter, School
from scheduler.bookings.tables import Registration
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
    # "email" (to_email) or "sms" (to_phone); a family's e-mail row fans out into a text when the family
    # receives texts (scheduler/notifications/channels.py)
    channel = Varchar(length=8, default="email")
    to_phone = Varchar(length=20, default="")
    provider_ref = Varchar(length=64, default="", index=True)  # the SMS provider's message id (Twilio's SID)
    provider_status = Varchar(length=16, default="")  # as the provider's status callbacks last said


class SmsOptOut(Table):
    """A number that replied STOP: no text goes to it until it replies START (carriers require it).

    Kept per number, not per family: the phone's owner opted out, whichever
    families share the number. START deletes the row; the inbound log keeps
    the history (``SmsInbound``).
    """

    phone = Varchar(length=20, unique=True)
    keyword = Varchar(length=40, default="")
    opted_out_at = Timestamptz(default=TimestamptzNow())


class SmsInbound(Table):
    """Every text a family sent us, and what it was taken as.

    ``handled_as``: stop / start / help (keywords), yes / no (an answer to
    ``answers``, the last question sent to the number) or ``inbox`` (free
    text: shown to the school's admins at /admin/inbox, answered with
    ``reply``, a text queued in the outbox). ``provider_ref`` is unique so a
    webhook the provider retries is recorded once.
    """

    provider_ref = Varchar(length=64, unique=True)
    from_phone = Varchar(length=20, index=True)
    body = Text(default="")
    school = ForeignKey(references=School, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    family = ForeignKey(references=Family, on_delete=OnDelete.set_null, null=True, default=None)
    language = Varchar(length=3, default="en")
    handled_as = Varchar(length=8, default="inbox")
    answers = ForeignKey(references=Outbox, on_delete=OnDelete.set_null, null=True, default=None)
    reply = ForeignKey(references=Outbox, on_delete=OnDelete.set_null, null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow(), index=True)


class AttendanceAnswer(Table):
    """A family's answer to the day-before "will you come?" (``attendance.py``): one per registration.

    ``channel``: how it came (``sms``, ``web`` from the e-mail's link). A
    "no" has already cancelled the registration and promoted the waitlist.
    """

    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, unique=True)
    answer = Varchar(length=3)  # yes / no
    channel = Varchar(length=8, default="web")
    answered_at = Timestamptz(default=TimestamptzNow())
