"""The database engine: built from DATABASE_URL, bound to every table, migrated.

Tables find their engine through Piccolo's global config by default; we bind
it explicitly instead so that a test (or a tool) can point the same code at
another database without re-importing modules.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

SQLITE_BUSY_TIMEOUT_S = 30.0


def engine_from_url(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql://…``."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    return PostgresEngine(config={"dsn": url})


def is_postgres(engine: Engine) -> bool:
    return isinstance(engine, PostgresEngine)


def all_tables() -> list:
    from scheduler.piccolo_app import TABLES

    return [*TABLES, Migration]


def bind(engine: Engine) -> None:
    """Point every table (and Piccolo's migration table) at ``engine``."""
    for table in all_tables():
        table._meta.db = engine


def write_transaction(engine: Engine):
    """A transaction that takes the write lock up front on SQLite.

    SQLite's default DEFERRED transaction upgrades to a write lock only at
    the first write, so two bookings could both read "one seat left";
    IMMEDIATE serialises writers from the start. PostgreSQL gets row locks
    from the services instead.
    """
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def prepare_sqlite_file(path: str) -> None:
    """WAL lets readers (feeds, pages) proceed while one writer books."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def migration_ids() -> list[str]:
    """Every migration shipped with the code, oldest first."""
    return list(_shipped_migrations())


@functools.cache
def _shipped_migrations() -> tuple[str, ...]:
    """Read once per process: the code cannot change under it, and ``/ready`` asks every few seconds."""
    from scheduler.piccolo_app import APP_CONFIG

    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)
    return tuple(sorted(manager.get_migration_ids(modules)))


async def pending_migrations() -> list[str]:
    """Migrations in the code that the bound database has not applied."""
    from scheduler.piccolo_app import APP_CONFIG

    if not await Migration.table_exists().run():
        return migration_ids()
    ran = set(await Migration.get_migrations_which_ran(app_name=APP_CONFIG.app_name))
    return [m for m in migration_ids() if m not in ran]


def writing():
    """The write transaction on the engine the tables are bound to."""
    from resources.tables import School

    return write_transaction(School._meta.db)


def is_unique_violation(exc: BaseException) -> bool:
    """True when the database refused a duplicate (either engine)."""
    import asyncpg

    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


def locked(query):
    """``SELECT … FOR UPDATE`` on PostgreSQL.

    On SQLite the surrounding IMMEDIATE transaction already holds the one
    write lock, so the plain query is just as safe there.
    """
    if query.table._meta.db.engine_type == "postgres":
        return query.lock_rows("UPDATE")
    return query


def _retryable(exc: BaseException) -> bool:
    import asyncpg

    if isinstance(exc, (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


async def with_retries(work, attempts: int = 5):
    """Run a whole transaction again after a serialization failure or deadlock.

    Bounded: a request that keeps losing gives up with the last error
    rather than spinning; jittered back-off keeps retries from colliding.
    """
    import asyncio
    import random

    for attempt in range(attempts):
        try:
            return await work()
        except Exception as exc:
            if attempt == attempts - 1 or not _retryable(exc):
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


async def in_transaction(work):
    """``work()`` in one write transaction, run again (bounded) when the database asks for a retry."""

    async def attempt():
        async with writing():
            return await work()

    return await with_retries(attempt)
