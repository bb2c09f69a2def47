"""Roster keys the database enforces itself: one row per sourcedId and school (teachers, classes), per
student and roster family, and a child once per class. The sync never writes a second one; the
indexes make sure a bug could not either, and speed up its lookups."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T05:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "roster keys"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def keys():
        for sql in (
            "CREATE UNIQUE INDEX roster_teacher_key ON roster_teacher (school, sourced_id)",
            "CREATE UNIQUE INDEX roster_class_key ON roster_class (school, sourced_id)",
            "CREATE UNIQUE INDEX roster_class_enrollment_pair ON roster_class_enrollment (school_class, child)",
            "CREATE UNIQUE INDEX roster_child_key ON roster_child (roster_family, sourced_id)",
        ):
            await _Raw.raw(sql)

    manager.add_raw(keys)
    return manager
