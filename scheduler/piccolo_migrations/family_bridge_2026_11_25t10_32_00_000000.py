"""Conference guarantees the database enforces itself.

- a live meeting per teacher and start, and per party (family, guardian)
  and teacher (partial unique indexes: both engines have them);
- on PostgreSQL, no teacher and no party in two overlapping live meetings
  (exclusion constraints over time ranges, with btree_gist); SQLite
  serialises writers with BEGIN IMMEDIATE and the services check overlaps
  inside that lock;
- a child once per class list, a family once per window's split households.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T10:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "conference constraints"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def constraints():
        for sql in (
            "CREATE UNIQUE INDEX conference_meeting_teacher_start ON conference_meeting (teacher, starts_at) "
            "WHERE status <> 'cancelled'",
            "CREATE UNIQUE INDEX conference_meeting_party_teacher ON conference_meeting "
            "(teacher, family, (coalesce(guardian, -1))) WHERE status <> 'cancelled'",
            "CREATE UNIQUE INDEX conference_class_pair ON conference_class (teacher, child)",
            "CREATE UNIQUE INDEX conference_split_pair ON conference_split_household (\"window\", family)",
        ):
            await _Raw.raw(sql)
        if _Raw._meta.db.engine_type == "postgres":
            await _Raw.raw("CREATE EXTENSION IF NOT EXISTS btree_gist")
            await _Raw.raw(
                "ALTER TABLE conference_meeting ADD CONSTRAINT conference_teacher_never_twice "
                "EXCLUDE USING gist (teacher WITH =, tstzrange(starts_at, ends_at) WITH &&) "
                "WHERE (status <> 'cancelled')"
            )
            await _Raw.raw(
                "ALTER TABLE conference_meeting ADD CONSTRAINT conference_party_never_twice "
                "EXCLUDE USING gist (family WITH =, (coalesce(guardian, -1)) WITH =, "
                "tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled')"
            )

    manager.add_raw(constraints)
    return manager
