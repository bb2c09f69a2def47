"""``family-bridge roster import --school SLUG PATH [--dry-run]`` and ``family-bridge roster invite --school SLUG``.

Called by ``scheduler/cli.py`` with the arguments after ``roster`` and the function that binds the
tables to the configured database (this feature may not import the app's table registry).
The command line acts as the operator, who holds the database already: no user, no token.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from scheduler.core.errors import DomainError, InvalidInput
from scheduler.core.settings import Settings, SettingsError, get_settings
from scheduler.roster.invitations import send_invitations
from scheduler.roster.schemas import ImportReport
from scheduler.roster.sync import import_roster

WithEngine = Callable[[Settings, Callable[[], Awaitable[Any]]], Awaitable[Any]]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="family-bridge roster",
                                description="A school's roster: import it, invite its families.")
    sub = p.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="import (sync) a OneRoster 1.1 CSV bundle (folder or zip) or the simple CSV "
                                        "template; running it again with the same files changes nothing")
    imp.add_argument("--school", required=True, help="the school's slug")
    imp.add_argument("--org", help="the school's org sourcedId in orgs.csv, when the bundle holds several schools "
                                   "and none has the slug as identifier or the school's name")
    imp.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    imp.add_argument("path", type=Path, help="a folder or .zip (OneRoster) or a .csv file (the simple template)")
    inv = sub.add_parser("invite", help="queue a sign-in invitation for each family not invited yet "
                                        "(e-mailed by the worker, in the family's language)")
    inv.add_argument("--school", required=True, help="the school's slug")
    return p


def format_report(report: ImportReport, slug: str) -> str:
    """The counts per kind, the first rows of each change, then the notes."""
    lines = [f"roster {'dry run' if report.dry_run else 'import'} for {slug} ({report.source}):"]
    totals = {"created": 0, "updated": 0, "deactivated": 0}
    for kind, c in report.counts.items():
        lines.append(f"  {kind:<12} {c.created:>6} created {c.updated:>6} updated {c.deactivated:>6} deactivated "
                     f"{c.unchanged:>6} unchanged")
        for action in totals:
            totals[action] += getattr(c, action)
    lines.append(f"  total: {totals['created']} created, {totals['updated']} updated, "
                 f"{totals['deactivated']} deactivated" + (" (nothing written)" if report.dry_run else ""))
    for kind, actions in report.examples.items():
        for action, labels in actions.items():
            if labels:
                lines.append(f"  {kind} {action}: {'; '.join(labels)}" + (" ..." if len(labels) >= 5 else ""))
    if report.notes_total:
        lines.append(f"notes ({report.notes_total}):")
        lines.extend(f"  {n}" for n in report.notes)
        if report.notes_total > len(report.notes):
            lines.append(f"  ... and {report.notes_total - len(report.notes)} more")
    return "\n".join(lines)


def run(argv: list[str], with_engine: WithEngine) -> int:
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    if args.action == "import" and not args.path.exists():
        print(f"roster: no such file or folder: {args.path}", file=sys.stderr)
        return 2

    async def work() -> str:
        if args.action == "invite":
            out = await send_invitations(None, args.school, settings)
            return (f"invitations for {args.school}: {out.queued} queued, {out.already_invited} already invited, "
                    f"{out.without_email} families without an e-mail address or account")
        report = await import_roster(None, args.school, args.path, settings, dry_run=args.dry_run, org=args.org)
        return format_report(report, args.school)

    try:
        print(asyncio.run(with_engine(settings, work)))
    except InvalidInput as exc:
        print(f"roster: {args.path if args.action == 'import' else args.school} cannot be imported; nothing was "
              "written:", file=sys.stderr)
        for _field, message in exc.problems:
            print(f"  {message}", file=sys.stderr)
        return 1
    except DomainError as exc:
        print(f"roster: {exc.message}", file=sys.stderr)
        return 1
    return 0
