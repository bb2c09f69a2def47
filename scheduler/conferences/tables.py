"""Tables of parent-teacher conferences: a window of evenings, its teachers, class lists, and the meetings.

Teachers belong to one window (a conference week) rather than to the
school: who sits in which room, with which class list and which breaks is
decided per conference week, and the pure solver needs nothing more.
Instants are UTC; the school's zone turns them into local times.

Database guarantees (migration ``…conference_constraints``): a live meeting
per (teacher, start) and per (party, teacher) by unique indexes on both
engines; on PostgreSQL also no teacher and no party (family, guardian) in
two overlapping live meetings, by exclusion constraints. The services lock
the family row, then the teacher row, before changing a meeting, which is
what serialises moves on SQLite (plus ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from piccolo.columns import Array, Boolean, Date, ForeignKey, Integer, OnDelete, SmallInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import Interpreter, Room, School
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.events.tables import Event
from scheduler.families.tables import Child, Family


class ConferenceWindow(Table):
    """One conference week: its settings, its state, and the last solve's figures."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=200)
    slot_minutes = SmallInt(default=10)
    interpreted_slot_minutes = SmallInt(default=20)
    passing_minutes = SmallInt(default=5)
    grid_minutes = SmallInt(default=5)
    status = Varchar(length=16, default="draft")  # draft / solving / solved / published
    summary = Text(default="{}")  # JSON: solver status, objective, bound, metrics.summary()
    unplaced = Text(default="[]")  # JSON: [{family_id, guardian, teacher_id, reason}]
    solve_started_at = Timestamptz(null=True, default=None)
    solved_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    self_booking = Boolean(default=False)  # families may pick free slots themselves (with a short hold)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ConferenceEvening(Table):
    """One evening of a window; ``event`` is the calendar event created for it on publish."""

    window = ForeignKey(references=ConferenceWindow, on_delete=OnDelete.cascade, index=True, null=False)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    event = ForeignKey(references=Event, on_delete=OnDelete.set_null, null=True, default=None)


class ConferenceTeacher(Table):
    window = ForeignKey(references=ConferenceWindow, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=120)
    email = Varchar(length=254)
    room = ForeignKey(references=Room, on_delete=OnDelete.restrict, null=False)
    language = Varchar(length=3, default="en")
    video_url = Varchar(length=500, default="")  # set by the school: the call families (and interpreters) join
    phone = Varchar(length=40, default="")  # the number the teacher calls from, shown to families choosing phone


class ConferenceTeacherTime(Table):
    """A dated block: ``available`` (when none, the teacher is there all evening), ``break``, or
    ``unavailable`` (a teacher marked it on their page: no meeting then, like a break)."""

    teacher = ForeignKey(references=ConferenceTeacher, on_delete=OnDelete.cascade, index=True, null=False)
    kind = Varchar(length=16)  # available / break / unavailable
    starts_at = Timestamptz()
    ends_at = Timestamptz()


class ConferenceClass(Table):
    """The class list: this child is in this teacher's class (unique per pair)."""

    teacher = ForeignKey(references=ConferenceTeacher, on_delete=OnDelete.cascade, index=True, null=False)
    child = ForeignKey(references=Child, on_delete=OnDelete.cascade, index=True, null=False)


class ConferenceSplitHousehold(Table):
    """This family's guardians (``Family.guardians``, two or more) each want their own conferences."""

    window = ForeignKey(references=ConferenceWindow, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)


class ConferenceMeeting(Table):
    """One conference: a party (family, or one guardian of a split household) with one teacher.

    ``guardian`` is the index into ``Family.guardians`` (null: the whole
    family). ``interpreter`` is the solver's suggestion; the interpreter who
    actually comes is whoever claims ``assignment`` (created on publish).
    """

    window = ForeignKey(references=ConferenceWindow, on_delete=OnDelete.cascade, index=True, null=False)
    teacher = ForeignKey(references=ConferenceTeacher, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    guardian = SmallInt(null=True, default=None)
    child_ids = Array(base_column=Integer())
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    language = Varchar(length=3, null=True, default=None)  # set when interpreted
    interpreter = ForeignKey(references=Interpreter, on_delete=OnDelete.set_null, null=True, default=None)
    assignment = ForeignKey(references=InterpreterAssignment, on_delete=OnDelete.set_null, null=True, default=None)
    status = Varchar(length=16, default="proposed")  # proposed / accepted / cancelled
    moved = Boolean(default=False)
    mode = Varchar(length=16, default="in_person")  # in_person / video / phone, chosen by the family
    topic = Varchar(length=300, null=True, default=None)  # one sentence: what the family wants to talk about
    sequence = Integer(default=0)  # iCalendar SEQUENCE of the meeting's invitations: bumped by every move/cancel
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ConferenceHold(Table):
    """A family holding one free slot of a teacher for a short while as it picks its times.

    Unique on (teacher, starts_at) on both engines (migration), so two families never hold one
    slot; a hold past ``expires_at`` counts for nothing and is deleted by the next family that
    wants the slot. One hold per (family, teacher): picking another slot moves the hold.
    """

    teacher = ForeignKey(references=ConferenceTeacher, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    guardian = SmallInt(null=True, default=None)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    expires_at = Timestamptz()


class ConferenceConfirmation(Table):
    """The day-before question to one family about one evening of its conferences, and its answer.

    Written when the question is first queued (``conferences/confirmations.py``); the signed link
    names this row. Unique per (family, evening_date) -- the local date -- by an index of the
    migration, so two sweeps ask once. ``answer``: "" (not yet), "yes", or "no" (the family's
    meetings of that evening were cancelled through ``booking.cancel_live``).
    """

    family = ForeignKey(references=Family, on_delete=OnDelete.cascade, index=True, null=False)
    window = ForeignKey(references=ConferenceWindow, on_delete=OnDelete.cascade, index=True, null=False)
    evening_date = Date()
    answer = Varchar(length=3, default="")
    channel = Varchar(length=8, default="")  # sms / web (the e-mail's link)
    asked_at = Timestamptz(default=TimestamptzNow())
    answered_at = Timestamptz(null=True, default=None)


CONFERENCE_TABLES = [ConferenceWindow, ConferenceEvening, ConferenceTeacher, ConferenceTeacherTime, ConferenceClass,
                     ConferenceSplitHousehold, ConferenceMeeting, ConferenceHold, ConferenceConfirmation]
