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


def admin_create(settings, email: str, name: str, school: str | None, token: bool, link: bool) -> int:
    """Make (or find) an administrator and print how they sign in: the way into a new install."""
    from scheduler.accounts.staff import ensure_admin, link_for
    from scheduler.core.errors import DomainError

    pending = check_migrated(settings)
    if pending:
        print(f"the database has {len(pending)} unapplied migration(s); run `family-bridge migrate` first",
              file=sys.stderr)
        return 1

    async def work() -> int:
        try:
            made = await ensure_admin(email, name or email, school, with_token=token)
        except DomainError as exc:
            print(f"admin create: {exc.message}", file=sys.stderr)
            return 2
        where = f"of {school}" if school else "of the district (every school)"
        if made.created:
            print(f"created administrator {email} {where} (user {made.user_id})")
        else:
            print(f"an administrator {email} {where} already exists (user {made.user_id})"
                  + ("" if link or token else "; add --link for a new sign-in link"))
        if made.created or link:
            url = await link_for(settings, made.user_id)
            print(f"sign-in link (works once, within 72 hours): {url}")
        if made.token:
            print(f"API token (shown once; only its hash is stored): {made.token}")
        return 0

    return asyncio.run(_with_engine(settings, work))


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
    p_serve.add_argument("--host", help="address to listen on (default FB_HOST, 127.0.0.1)")
    p_serve.add_argument("--port", type=int, help="port to listen on (default FB_PORT, 8000)")
    p_serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1; one per core)")
    p_admin = sub.add_parser("admin", help="administrator accounts (the first way into a new install)")
    admin_sub = p_admin.add_subparsers(dest="admin_command", required=True)
    p_create = admin_sub.add_parser("create", help="make an administrator (or find it) and print a sign-in link")
    p_create.add_argument("--email", required=True, help="the administrator's e-mail address (one account per e-mail)")
    p_create.add_argument("--name", default="", help="the name shown on pages (default: the e-mail address)")
    p_create.add_argument("--school", metavar="SLUG", help="a school's administrator; without it, the district's")
    p_create.add_argument("--token", action="store_true", help="also print a new API token (replaces an old one)")
    p_create.add_argument("--link", action="store_true", help="print a new sign-in link for an existing account")
    sub.add_parser("migrate", help="apply database migrations")
    p_worker = sub.add_parser("worker", help="run reminders, escalations and e-mail delivery (no HTTP)")
    p_worker.add_argument("--once", action="store_true", help="one round of sweeps and delivery, then exit")
    p_worker.add_argument("--now", help="ISO instant to use as the clock (tests, catch-up runs)")
    p_demo = sub.add_parser("demo", help="migrate, load the demo school if the database is empty, then serve")
    p_demo.add_argument("--no-serve", action="store_true", help="load the data and exit")
    p_demo.add_argument("--seed", type=int, default=2027, help="random seed of the demo data (default 2027)")
    p_demo.add_argument("--district", action="store_true",
                        help="a demo district instead: many schools, planned and published, for load tests")
    p_demo.add_argument("--schools", type=int, default=None, help="schools in the district (default 20)")
    p_demo.add_argument("--families", type=int, default=None,
                        help="families (default 1,500 in the school, 20,000 in the district)")
    sub.add_parser("solve", help="solve an engine-format instance (see README)", add_help=False)
    p_conf = sub.add_parser("conferences", help="parent-teacher conferences", add_help=False)
    del p_conf
    sub.add_parser("roster", help="import a school's roster (OneRoster CSV) and invite its families", add_help=False)

    args, rest = parser.parse_known_args(argv)
    if args.command == "solve":
        from scheduler.engine.cli import run

        return run(rest)
    if args.command == "conferences":
        from scheduler.conferences.solver.cli import run

        return run(rest)
    if args.command == "roster":
        from scheduler.roster.cli import run

        return run(rest, _with_engine)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "demo":
        if args.schools is not None and not args.district:
            parser.error("--schools needs --district")
        if (args.schools is not None and args.schools < 1) or (args.families is not None and args.families < 1):
            parser.error("--schools and --families must be at least 1")
        if args.district and (args.families or 20_000) < (args.schools or 20):
            parser.error("a district needs at least one family per school")
    if args.command == "serve":
        if args.workers < 1:
            parser.error("--workers must be at least 1")
        # through the environment, so uvicorn's worker processes read the same address
        if args.host:
            os.environ["FB_HOST"] = args.host
        if args.port is not None:
            os.environ["FB_PORT"] = str(args.port)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "serve":
        return serve(settings, args.workers)
    if args.command == "admin":
        return admin_create(settings, args.email, args.name, args.school, args.token, args.link)
    if args.command == "worker":
        return worker(settings, args.once, args.now)
    return demo(settings, serve_after=not args.no_serve, seed=args.seed, district=args.district,
                schools=args.schools or 20, families=args.families)


if __name__ == "__main__":
    sys.exit(main())
