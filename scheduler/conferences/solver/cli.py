"""`family-bridge conferences solve FILE.json [-o OUT.json] [--time-limit S] [--seed N]`.

Exit codes: 0 every meeting placed, 1 schedule written but some meetings
could not be placed (reasons are in the output), 2 invalid input or usage
(errors listed on stderr, one JSON path each).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .output import schedule_to_json
from .parse import ProblemError, load_problem
from .solver import solve


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 without argparse's SystemExit surprise
        raise _Usage(message)


class _Usage(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="family-bridge conferences", description="Parent-teacher conference scheduler")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="schedule the conferences in FILE.json")
    s.add_argument("file", type=Path)
    s.add_argument("-o", "--output", type=Path, default=None, help="write the schedule here (default stdout)")
    s.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    s.add_argument("--seed", type=int, default=0, help="same input and seed give the same schedule")
    s.add_argument("--workers", type=int, default=None, help="threads (default: CPU count)")
    return p


def run(argv: list[str]) -> int:
    """Entry point used by the `family-bridge` console script."""
    try:
        args = _parser().parse_args(argv)
    except _Usage as e:
        print(f"usage error: {e}", file=sys.stderr)
        return 2
    if args.time_limit <= 0:
        print("usage error: --time-limit must be positive", file=sys.stderr)
        return 2
    try:
        problem = load_problem(args.file)
    except ProblemError as e:
        print(f"{args.file}: invalid input ({len(e.errors)} problem(s)):", file=sys.stderr)
        for err in e.errors:
            print(f"  {err}", file=sys.stderr)
        return 2
    schedule = solve(problem, time_limit=args.time_limit, seed=args.seed, num_workers=args.workers,
                     progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    text = json.dumps(schedule_to_json(problem, schedule), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    for u in schedule.unplaced:
        print(f"unplaced {u.request}: {u.reason}", file=sys.stderr)
    return 1 if schedule.unplaced else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run(sys.argv[1:]))
