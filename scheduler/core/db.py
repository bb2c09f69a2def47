"""The database engine: built from DATABASE_URL, bound to every table, migrated.

Tables find their engine through Piccolo's global config by default; we bind
it explicitly instead so that a test (or a tool) can point the same code at
another database without re-importing modules.
"""

from __future__ import annotations

import asyncio
import functools
import random
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import asyncpg
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppConfig
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

P = ParamSpec("P")
T = TypeVar("T")

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


_BOUND: dict[str, Any] = {}  # the engine and the Piccolo app of this process (see bind)


def bind(engine: Engine, app: AppConfig) -> None:
    """Point every table of ``app`` (and Piccolo's migration table) at ``engine``, and remember both.

    The app (``scheduler.piccolo_app.APP_CONFIG``) is passed in rather than
    imported: this kernel module knows no feature and none of their tables.
    """
    _BOUND.update(engine=engine, app=app)
    for table in all_tables():
        table._meta.db = engine


def all_tables() -> list:
    """The bound app's tables and Piccolo's migration table."""
    return [*_app().table_classes, Migration]


def _app() -> AppConfig:
    if "app" not in _BOUND:
        raise RuntimeError("no database is bound yet: call scheduler.core.db.bind(engine, APP_CONFIG) first")
    return _BOUND["app"]


async def _keep_session(_connection: Any) -> None:
    """What a pooled connection needs on its way back to the pool: nothing beyond asyncpg's own rollback.

    asyncpg's default reset runs ``pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`` on every release -- one more round trip for each
    query run outside a transaction. Pooled connections here never take
    session advisory locks, LISTEN, open cursors or SET anything (the job
    locks use their own dedicated connection, ``scheduler.jobs.run_alone``),
    so there is nothing to reset; an open transaction is still rolled back
    by asyncpg before this is called.
    """


async def start_pool(engine: Engine, max_size: int) -> None:
    """The PostgreSQL connection pool of this process (a no-op on SQLite)."""
    if is_postgres(engine):
        await engine.start_connection_pool(min_size=1, max_size=max_size, reset=_keep_session)


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


def migration_ids(app: AppConfig | None = None) -> list[str]:
    """Every migration shipped with the code, oldest first."""
    return list(_shipped_migrations((app or _app()).resolved_migrations_folder_path))


@functools.cache
def _shipped_migrations(folder: str) -> tuple[str, ...]:
    """Read once per process: the code cannot change under it, and ``/ready`` asks every few seconds."""
    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(folder)
    return tuple(sorted(manager.get_migration_ids(modules)))


async def pending_migrations() -> list[str]:
    """Migrations in the code that the bound database has not applied."""
    app = _app()
    if not await Migration.table_exists().run():
        return migration_ids(app)
    ran = set(await Migration.get_migrations_which_ran(app_name=app.app_name))
    return [m for m in migration_ids(app) if m not in ran]


def writing():
    """The write transaction on the bound engine."""
    return write_transaction(_BOUND["engine"])


def in_transaction() -> bool:
    """Whether this task already runs inside a transaction on the bound engine."""
    engine = _BOUND.get("engine")
    return engine is not None and engine.current_transaction.get() is not None


def use_case(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """One use case, one write transaction: the transaction rule of every service that writes.

    Called on its own, the function runs in a new write transaction, run
    again as a whole (bounded) when the database asks for a retry. Called
    from inside another use case's transaction (a booking inside an
    Idempotency-Key claim, a release inside an account deletion), it joins
    that transaction and never retries by itself: only the outermost
    transaction can be run again.
    """

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if in_transaction():
            return await fn(*args, **kwargs)

        async def attempt() -> T:
            async with writing():
                return await fn(*args, **kwargs)

        return await with_retries(attempt)

    return run


def is_unique_violation(exc: BaseException) -> bool:
    """True when the database refused a duplicate (either engine)."""
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


def for_update_of(alias: str) -> str:
    """The row lock :func:`locked` takes, for raw SQL: ``FOR UPDATE OF alias`` on PostgreSQL, nothing on SQLite."""
    return f" FOR UPDATE OF {alias}" if is_postgres(_BOUND["engine"]) else ""


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Raw SQL with ``{}`` placeholders on the bound engine, in the current transaction if there is one.

    For the hottest paths (a registration, a feed poll), where one statement
    can do the work of several Piccolo queries and Piccolo's query building
    costs more CPU than the database does. Values are always passed as
    parameters, never formatted into ``sql``. Columns of a table come back as
    Piccolo gives them (timestamps aware, arrays as lists) on both engines;
    computed columns on SQLite come back as SQLite stores them.
    """
    engine = _BOUND["engine"]
    if not is_postgres(engine) or engine.pool is None:
        return [dict(r) for r in await engine.run_querystring(QueryString(sql, *args)) or ()]
    numbered = _numbered(sql)  # asyncpg directly: Piccolo's query building was most of the client's cost
    transaction = engine.current_transaction.get()
    if transaction is not None:
        return [dict(r) for r in await transaction.connection.fetch(numbered, *args)]
    async with engine.pool.acquire() as connection:
        return [dict(r) for r in await connection.fetch(numbered, *args)]


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """``{}`` placeholders as PostgreSQL's ``$1, $2, ...`` (the SQL strings are constants of the code)."""
    return sql.format(*(f"${i}" for i in range(1, sql.count("{}") + 1)))


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


async def with_retries(work: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """Run a whole transaction again after a serialization failure or deadlock.

    Bounded: a request that keeps losing gives up with the last error
    rather than spinning; jittered back-off keeps retries from colliding.
    """
    for attempt in range(attempts):
        try:
            return await work()
        except Exception as exc:
            if attempt == attempts - 1 or not _retryable(exc):
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")
