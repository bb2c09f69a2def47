"""Booking guarantees the database enforces itself, not the code that checks first.

- one live registration per family and event, one live childcare place per
  child and event, one live assignment per language and event (partial
  unique indexes: both engines have them);
- on PostgreSQL, no interpreter in two overlapping claimed assignments
  (an exclusion constraint over time ranges, with btree_gist); SQLite
  serialises writers with BEGIN IMMEDIATE instead, and the claim service
  checks overlaps inside that lock.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T10:18:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking constraints"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def constraints():
        for sql in (
            "CREATE UNIQUE INDEX registration_live ON registration (event, family) WHERE status <> 'cancelled'",
            "CREATE UNIQUE INDEX childcare_booking_live ON childcare_booking (event, child) WHERE status <> 'cancelled'",
            "CREATE UNIQUE INDEX assignment_live ON interpreter_assignment (event, language) WHERE status <> 'cancelled'",
            "CREATE UNIQUE INDEX idempotency_user_key ON idempotency_key (\"user\", key)",
            "CREATE INDEX registration_waitlist ON registration (event, status, waitlist_seq)",
        ):
            await _Raw.raw(sql)
        if _Raw._meta.db.engine_type == "postgres":
            await _Raw.raw("CREATE EXTENSION IF NOT EXISTS btree_gist")
            await _Raw.raw(
                "ALTER TABLE interpreter_assignment ADD CONSTRAINT interpreter_never_in_two_places "
                "EXCLUDE USING gist (interpreter WITH =, tstzrange(starts_at, ends_at) WITH &&) "
                "WHERE (status IN ('claimed', 'confirmed'))"
            )

    manager.add_raw(constraints)
    return manager
