"""The school's staff and class lists from its roster, and what the sync remembers between imports.

Staff and classes live at school level, not per conference window: the roster is the school's,
so conference windows pick their teachers and class lists from here instead of having them
typed in again each time.

Families and children are the families feature's own rows (``Family``, ``Child``); the roster
only keeps, beside them, which roster people they came from (``sourcedId``) and a hash of each
value the SIS last wrote. That hash is how the next import tells "the SIS changed this" from
"the family changed this" without a column added to their tables and without a second copy of
anyone's e-mail address. Nothing here is ever hard-deleted by an import: what leaves the roster
is marked inactive, and the rows it owns (registrations, meetings, history) stay.

When a family deletes its account (scheduler/privacy), ``family`` becomes NULL rather than the
row disappearing: the import then knows the household chose to leave and does not re-create it.
What stays is the SIS's ids of its guardians, no name or address; the next import also drops the
value hashes of such rows (``sync.py``).
"""

from __future__ import annotations

from piccolo.columns import Array, Boolean, Bytea, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from resources.tables import School
from scheduler.accounts.tables import User
from scheduler.families.tables import Child, Family


class Teacher(Table, tablename="roster_teacher"):
    """A teacher of the school (``role=teacher`` in the roster). A ``teacher`` account with the same e-mail
    signs in to their conference weeks (``scheduler/conferences/teacher_days.py``)."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    sourced_id = Varchar(length=255)
    name = Varchar(length=120)
    email = Varchar(length=254)
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class SchoolClass(Table, tablename="roster_class"):
    """A class (homeroom or section) with its teacher: the class list conferences are planned from."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    sourced_id = Varchar(length=255)
    name = Varchar(length=200)
    grades = Array(base_column=Varchar(length=16))
    teacher = ForeignKey(references=Teacher, on_delete=OnDelete.set_null, null=True, default=None)
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class ClassEnrollment(Table, tablename="roster_class_enrollment"):
    """A child in a class. A child of a split household is two ``Child`` rows, so it is on the list twice:
    each household meets the teacher."""

    school_class = ForeignKey(references=SchoolClass, on_delete=OnDelete.cascade, index=True, null=False)
    child = ForeignKey(references=Child, on_delete=OnDelete.cascade, index=True, null=False)
    active = Boolean(default=True)


class RosterFamily(Table):
    """A family the roster made: its household's guardians (sourcedIds) and what the SIS last wrote."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    family = ForeignKey(references=Family, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    user = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, default=None)
    key = Varchar(length=300)  # "household:<id>", "guardians:<first sourcedId>" or "student:<sourcedId>"
    guardians = Array(base_column=Varchar(length=255))
    sis = Text(default="{}")  # JSON: field -> hash of the value the SIS last wrote (see sync.py)
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class RosterChild(Table):
    """A student as a child of one roster family (two rows for a child of two households)."""

    roster_family = ForeignKey(references=RosterFamily, on_delete=OnDelete.cascade, index=True, null=False)
    sourced_id = Varchar(length=255)
    child = ForeignKey(references=Child, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    sis = Text(default="{}")
    active = Boolean(default=True)


class RosterImport(Table):
    """One import: what it changed (counts); while a page preview waits, the uploaded file.

    No reference to the user who ran it: a row pointing at users would make the import history
    part of every family's data (scheduler/privacy follows foreign keys), and the access log
    already says who called the route."""

    school = ForeignKey(references=School, on_delete=OnDelete.cascade, index=True, null=False)
    status = Varchar(length=16)  # preview / applied
    source = Varchar(length=16)  # oneroster / simple
    filename = Varchar(length=200, default="")
    org = Varchar(length=255, default="")  # the OneRoster org chosen for the school, "" when found by itself
    bundle = Bytea(null=True, default=None)  # kept only between a page's preview and its "import" button
    counts = Text(default="{}")  # JSON: the report's counts
    notes = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    applied_at = Timestamptz(null=True, default=None)


ROSTER_TABLES = [Teacher, SchoolClass, ClassEnrollment, RosterFamily, RosterChild, RosterImport]
