"""Notifications: reminder offsets per school, e-mail preferences per family,
and what families were last told about an event (for the change sweep)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array, Integer, Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T10:31:23:412112"
VERSION = "1.38.0"
DESCRIPTION = "notifications"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)
    manager.add_column(table_class_name="School", tablename="school", column_name="reminder_hours",
                       db_column_name="reminder_hours", column_class_name="Array", column_class=Array,
                       params=_params(default=[48, 2], base_column=Integer(default=0)), schema=None)
    manager.add_column(table_class_name="Family", tablename="family", column_name="notification_prefs",
                       db_column_name="notification_prefs", column_class_name="Text", column_class=Text,
                       params=_params(default="{}"), schema=None)
    manager.add_column(table_class_name="Event", tablename="event", column_name="notified_starts_at",
                       db_column_name="notified_starts_at", column_class_name="Timestamptz", column_class=Timestamptz,
                       params=_params(default=None, null=True), schema=None)
    manager.add_column(table_class_name="Event", tablename="event", column_name="notified_status",
                       db_column_name="notified_status", column_class_name="Varchar", column_class=Varchar,
                       params=_params(length=16, default=""), schema=None)
    return manager
