"""One day-before question per family and evening: a unique index (SQLite cannot ALTER TABLE ADD CONSTRAINT)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T14:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one conference question per family and evening"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def one_question_per_evening():
        await _Raw.raw("CREATE UNIQUE INDEX conference_confirmation_evening "
                       "ON conference_confirmation (family, evening_date)")

    manager.add_raw(one_question_per_evening)
    return manager
