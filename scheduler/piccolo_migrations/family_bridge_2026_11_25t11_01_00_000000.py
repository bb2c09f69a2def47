"""Waitlist offers: how long a freed seat is held for the next waiting family (0 = confirm at once)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-25T11:01:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "waitlist offers"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)
    manager.add_column(
        table_class_name="School", tablename="school", column_name="waitlist_offer_hours",
        db_column_name="waitlist_offer_hours", column_class_name="Integer", column_class=Integer,
        params={"default": 0, "null": False, "primary_key": False, "unique": False, "index": False,
                "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False},
        schema=None)
    return manager
