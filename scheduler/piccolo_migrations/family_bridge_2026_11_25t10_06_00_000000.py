"""Composite uniqueness as unique indexes (SQLite cannot ALTER TABLE ADD CONSTRAINT)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T10:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique pairs"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def unique_pairs():
        await _Raw.raw("CREATE UNIQUE INDEX event_interest_family_event ON event_interest (family, event)")
        await _Raw.raw("CREATE UNIQUE INDEX childcare_ratio_band ON childcare_ratio (childcare, age_band)")

    manager.add_raw(unique_pairs)
    return manager
