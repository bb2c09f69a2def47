"""``family-bridge``: serve, demo, migrate, solve, conferences.

Each subcommand is a thin shell over a function that tests call directly.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

os.environ.setdefault("PICCOLO_CONF", "scheduler.piccolo_conf")


async def _with_engine(settings, work):
    """Run ``work()`` with the tables bound to the configured database."""
    from scheduler.core.db import bind, engine_from_url, is_postgres, start_pool
    from scheduler.piccolo_app import APP_CONFIG

    engine = engine_from_url(settings.database_url)
    bind(engine, APP_CONFIG)
    await start_pool(engine, 4)
    try:
        return await work()
    finally:
        if is_postgres(engine):
            await engine.close_connection_pool()


def migrate(settings) -> int:
    """Apply every pending migration; safe to run again."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.forwards import run_forwards

    from scheduler.core.db import pending_migrations, prepare_sqlite_file

    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        prepare_sqlite_file(str(settings.sqlite_path))

    async def work() -> int:
        pending = await pending_migrations()
        if not pending:
            print("database is up to date")
            return 0
        chatter = io.StringIO()
        with contextlib.redirect_stdout(chatter):
            result = await run_forwards(app_name="all")
        if not result.success:
            print(chatter.getvalue(), file=sys.stderr)
            print(f"migration failed: {result.message}", file=sys.stderr)
            return 1
        print(f"applied {len(pending)} migration(s): {', '.join(pending)}")
        return 0

    return asyncio.run(_with_engine(settings, work))


def check_migrated(settings) -> list[str]:
    from scheduler.core.db import pending_migrations

    return asyncio.run(_with_engine(settings, pending_migrations))


def serve(settings, workers: int = 1) -> int:
    import uvicorn

    pending = check_migrated(settings)
    if pending:
        print(f"the database has {len(pending)} unapplied migration(s) ({', '.join(pending)}); "
              "run `family-bridge migrate` first", file=sys.stderr)
        return 1
    from scheduler.http.logs import logging_config

    print(f"Family Bridge at {settings.public_url}  (sign in: {settings.public_url}/signin, "
          f"API docs: {settings.public_url}/schema)", flush=True)
    # keep-alive longer than clients' think time, so a reused connection is not closed under them;
    # log_config is applied by uvicorn in every worker process; its own access log would print
    # query strings and tokens, so the app writes the access lines (scheduler/http/middleware.py)
    uvicorn.run("scheduler.asgi:app", host=settings.host, port=settings.port, workers=workers,
                log_config=logging_config(settings), log_level="warning", access_log=False,
                proxy_headers=True, timeout_keep_alive=30)
    return 0


def worker(settings, once: bool = False, now: str | None = None) -> int:
    """Scheduled jobs and the outbox sender as their own process (see scheduler/jobs.py)."""
    import datetime as dt

    from scheduler.http.logs import configure_logging
    from scheduler.jobs import run_worker

    configure_logging(settings)
    pending = check_migrated(settings)
    if pending:
        print(f"the database has {len(pending)} unapplied migration(s); run `family-bridge migrate` first",
              file=sys.stderr)
        return 1
    fixed = dt.datetime.fromisoformat(now).astimezone(dt.timezone.utc) if now else None
    clock = (lambda: fixed) if fixed else None

    async def work() -> int:
        return await (run_worker(settings, once, clock) if clock else run_worker(settings, once))

    return asyncio.run(_with_engine(settings, work))


def demo(settings, serve_after: bool, seed: int, district: bool = False, schools: int = 20,
         families: int | None = None) -> int:
    """Migrate, load the demo school (or with ``district`` the demo district, see scheduler/demo/district.py)."""
    from scheduler.demo.school import load_demo

    code = migrate(settings)
    if code:
        return code

    async def work():
        started = time.perf_counter()
        token_file = settings.sqlite_path.parent / "demo-tokens.txt" if settings.sqlite_path else None
        if district:
            from scheduler.demo.district import load_district

            loaded = await load_district(settings.secret_key, seed=seed, schools=schools, families=families or 20_000,
                                         base_url=settings.public_url, token_file=token_file)
            return loaded, time.perf_counter() - started
        loaded = await load_demo(seed=seed, base_url=settings.public_url, families=families or 1500,
                                 token_file=token_file)
        if loaded is not None:  # a solved, published conference week on top of the school
            from scheduler.demo.conferences import load_conference_week

            week = await load_conference_week(seed=seed)
            if week is not None:
                loaded.summary += f"; {week.summary}"
        return loaded, time.perf_counter() - started

    loaded, seconds = asyncio.run(_with_engine(settings, work))
    if loaded is None:
        print("demo data already present; not loading it again")
    else:
        print(f"loaded the demo {'district' if district else 'school'} in {seconds:.1f} s: {loaded.summary}")
        for line in loaded.token_lines:
            print(line)
        if settings.sqlite_path is not None:
            print(f"(tokens kept in {settings.sqlite_path.parent / 'demo-tokens.txt'})")
    if serve_after:
        return serve(settings)
    return 0


def main(argv: list[str] | None = None) -> int:
    from scheduler.core.settings import SettingsError, get_settings

    parser = argparse.ArgumentParser(prog="family-bridge", description="School-family event scheduling.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the HTTP service")
    p_serve.add_argument("--workers", type=int, default=1)
    sub.add_parser("migrate", help="apply database migrations")
    p_worker = sub.add_parser("worker", help="run reminders, escalations and e-mail delivery (no HTTP)")
    p_worker.add_argument("--once", action="store_true", help="one round of sweeps and delivery, then exit")
    p_worker.add_argument("--now", help="ISO instant to use as the clock (tests, catch-up runs)")
    p_demo = sub.add_parser("demo", help="migrate, load the demo school if the database is empty, then serve")
    p_demo.add_argument("--no-serve", action="store_true", help="load the data and exit")
    p_demo.add_argument("--seed", type=int, default=2027)
    p_demo.add_argument("--district", action="store_true",
                        help="a demo district instead: many schools, planned and published, for load tests")
    p_demo.add_argument("--schools", type=int, default=None, help="schools in the district (default 20)")
    p_demo.add_argument("--families", type=int, default=None,
                        help="families (default 1,500 in the school, 20,000 in the district)")
    sub.add_parser("solve", help="solve an engine-format instance (see README)", add_help=False)
    p_conf = sub.add_parser("conferences", help="parent-teacher conferences", add_help=False)
    del p_conf

    args, rest = parser.parse_known_args(argv)
    if args.command == "solve":
        from scheduler.engine.cli import run

        return run(rest)
    if args.command == "conferences":
        from scheduler.conferences.solver.cli import run

        return run(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "demo":
        if args.schools is not None and not args.district:
            parser.error("--schools needs --district")
        if (args.schools is not None and args.schools < 1) or (args.families is not None and args.families < 1):
            parser.error("--schools and --families must be at least 1")
        if args.district and (args.families or 20_000) < (args.schools or 20):
            parser.error("a district needs at least one family per school")
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "serve":
        return serve(settings, args.workers)
    if args.command == "worker":
        return worker(settings, args.once, args.now)
    return demo(settings, serve_after=not args.no_serve, seed=args.seed, district=args.district,
                schools=args.schools or 20, families=args.families)


if __name__ == "__main__":
    sys.exit(main())
