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

from resources.tables import ChildcareResource, Interpreter, Room, School


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
    seats = Integer(null=True, default=None)  # registration capacity once placed (the room's, unless set lower)
    childcare = ForeignKey(references=ChildcareResource, on_delete=OnDelete.set_null, null=True, default=None)
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    # what registered families were last told (time, status): the change sweep compares against these
    notified_starts_at = Timestamptz(null=True, default=None)
    notified_status = Varchar(length=16, default="")


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


class SignInLink(Table):
    """A one-time link e-mailed to someone who asked to sign in to the web pages.

    Only the hash is kept; it expires within minutes and is marked used the
    first time it is followed, so a forwarded or leaked old e-mail opens nothing.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class WebSession(Table):
    """A signed-in browser. The cookie carries a random token; the row holds its hash.

    A row rather than a signed cookie so signing out, deleting an account or
    an administrator's revocation end the session at once.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())


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


class IdempotencyKey(Table):
    """The first answer to a booking POST, replayed when a client retries with the same key."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=False)
    key = Varchar(length=200)
    route = Varchar(length=200)
    request_hash = Varchar(length=64, default="")  # SHA-256 of method, path and body: one key, one request
    status_code = SmallInt()
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())


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
