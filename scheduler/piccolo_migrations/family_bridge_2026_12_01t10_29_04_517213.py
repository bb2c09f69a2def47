from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T10:29:04:517213"
VERSION = "1.38.0"
DESCRIPTION = "conference self-booking flag and meeting topic"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="family_bridge", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ConferenceWindow",
        tablename="conference_window",
        column_name="self_booking",
        db_column_name="self_booking",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ConferenceMeeting",
        tablename="conference_meeting",
        column_name="topic",
        db_column_name="topic",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 300,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
