"""The one Piccolo app holding every table of Family Bridge.

One app rather than one per package: rooms reference schools and events
reference rooms, so per-package migration histories would depend on each
other in a cycle. The tables still live in the package that owns them.
"""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from calendars.tables import FeedToken
from resources.tables import (
    ChildcareRatio,
    ChildcareResource,
    ChildcareStaffing,
    Interpreter,
    InterpreterAvailability,
    InterpreterBusy,
    Room,
    RoomAvailability,
    School,
)
from scheduler.accounts.tables import IdempotencyKey, SignInLink, User, WebSession
from scheduler.assignments.tables import InterpreterAssignment
from scheduler.attendance.tables import ATTENDANCE_TABLES
from scheduler.bookings.tables import ChildcareBooking, Registration
from scheduler.conferences.tables import CONFERENCE_TABLES
from scheduler.events.tables import Event
from scheduler.families.tables import Child, EventInterest, Family, FamilyAvailability, FamilyDatedAvailability
from scheduler.http.tables import RateLimitBucket
from scheduler.notifications.tables import AttendanceAnswer, Outbox, SmsInbound, SmsOptOut
from scheduler.planning.tables import Plan
from scheduler.roster.tables import ROSTER_TABLES
from scheduler.topics.tables import Topic, TopicVote

TABLES = [
    School,
    Room,
    RoomAvailability,
    Interpreter,
    InterpreterAvailability,
    ChildcareResource,
    ChildcareStaffing,
    ChildcareRatio,
    Family,
    Child,
    FamilyAvailability,
    FamilyDatedAvailability,
    Event,
    EventInterest,
    User,
    SignInLink,
    WebSession,
    Registration,
    ChildcareBooking,
    InterpreterAssignment,
    Plan,
    IdempotencyKey,
    Outbox,
    FeedToken,
    InterpreterBusy,
    *CONFERENCE_TABLES,
    Topic,
    TopicVote,
    *ROSTER_TABLES,
    RateLimitBucket,
    SmsOptOut,
    SmsInbound,
    AttendanceAnswer,
    *ATTENDANCE_TABLES,
]

APP_CONFIG = AppConfig(
    app_name="family_bridge",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
