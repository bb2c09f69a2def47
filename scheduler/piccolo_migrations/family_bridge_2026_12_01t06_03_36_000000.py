"""School feed versions kept by the database itself.

``school.feed_version`` takes a new random 64-bit value in the same
transaction as any insert, update or delete of the school's row, its rooms
or its events -- everything a school feed's bytes depend on -- whatever
code (or hand-written SQL) made the change. Random rather than counted up:
two databases (a test's and the next test's, or a backup restored under a
running server) never show the same school id and version for different
rows, which a counter starting from 0 in each would. ``calendars/school_feed.py`` answers a poll from its cache while
the version it read is the one the cached body was built for. Triggers
rather than application code because a feed served stale from a cache is a
silent bug, and a write path that forgot to bump would be one.

PostgreSQL: statement-level triggers on event and room (one UPDATE of the
school per statement, however many rows it touched: publishing a plan
touches hundreds) and row triggers on school that draw a version for a new
school and on any other change of its row. SQLite: row triggers (it has no
others).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T06:03:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "school feed version triggers"


class _Raw(Table):
    """Runs plain SQL on the configured engine."""


_NEW_PG = "(random() * 4e18)::bigint"  # PostgreSQL's random() is a double: 52 random bits are plenty
_POSTGRES = [
    f"""CREATE FUNCTION school_feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        UPDATE school SET feed_version = {_NEW_PG} WHERE id IN (SELECT school FROM new_rows);
      ELSIF TG_OP = 'UPDATE' THEN
        UPDATE school SET feed_version = {_NEW_PG}
         WHERE id IN (SELECT school FROM new_rows UNION SELECT school FROM old_rows);
      ELSE
        UPDATE school SET feed_version = {_NEW_PG} WHERE id IN (SELECT school FROM old_rows);
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION school_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR NEW.feed_version = OLD.feed_version THEN
        NEW.feed_version := {_NEW_PG};
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER school_feed_changed BEFORE INSERT OR UPDATE ON school FOR EACH ROW "
    "EXECUTE FUNCTION school_row_changed()",
]
for _table in ("event", "room"):
    _POSTGRES += [
        f"CREATE TRIGGER {_table}_feed_inserted AFTER INSERT ON {_table} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION school_feed_changed()",
        f"CREATE TRIGGER {_table}_feed_updated AFTER UPDATE ON {_table} REFERENCING OLD TABLE AS old_rows "
        "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION school_feed_changed()",
        f"CREATE TRIGGER {_table}_feed_deleted AFTER DELETE ON {_table} REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION school_feed_changed()",
    ]

_SQLITE = [
    "CREATE TRIGGER school_feed_created AFTER INSERT ON school "
    "BEGIN UPDATE school SET feed_version = random() WHERE id = NEW.id; END",
    "CREATE TRIGGER school_feed_changed AFTER UPDATE ON school WHEN NEW.feed_version = OLD.feed_version "
    "BEGIN UPDATE school SET feed_version = random() WHERE id = NEW.id; END",
]
for _table in ("event", "room"):
    _SQLITE += [
        f"CREATE TRIGGER {_table}_feed_inserted AFTER INSERT ON {_table} "
        "BEGIN UPDATE school SET feed_version = random() WHERE id = NEW.school; END",
        f"CREATE TRIGGER {_table}_feed_updated AFTER UPDATE ON {_table} "
        "BEGIN UPDATE school SET feed_version = random() WHERE id IN (OLD.school, NEW.school); END",
        f"CREATE TRIGGER {_table}_feed_deleted AFTER DELETE ON {_table} "
        "BEGIN UPDATE school SET feed_version = random() WHERE id = OLD.school; END",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="family_bridge", description=DESCRIPTION)

    async def triggers():
        for sql in _POSTGRES if _Raw._meta.db.engine_type == "postgres" else _SQLITE:
            await _Raw.raw(sql)

    manager.add_raw(triggers)
    return manager
