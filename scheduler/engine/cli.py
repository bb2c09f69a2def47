"""`family-bridge solve INSTANCE.json [-o SOLUTION.json] [--time-limit S] [--seed N]`.

`run(argv)` is the whole command (argv excludes the program name and may
start with the word "solve"); the console script only forwards to it.
Exit codes: 0 solved, 2 invalid or unreadable instance / bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from .parse import InstanceError, parse_instance
from .solver import solve


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="family-bridge solve", description="Solve an engine-format v1 instance.")
    ap.add_argument("instance", help="instance JSON file ('-' for stdin)")
    ap.add_argument("-o", "--output", help="write the solution here instead of stdout")
    ap.add_argument("--time-limit", type=float, default=30.0, help="wall-clock seconds (default 30)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (same instance + seed = same answer)")
    ap.add_argument("--deterministic-time", type=float, default=None,
                    help="search budget in CP-SAT deterministic seconds (default: 0.25 per wall second); "
                         "with a generous --time-limit the output is reproducible bit for bit")
    return ap


def run(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the solve command; returns the process exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if argv and argv[0] == "solve":
        argv = argv[1:]
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # argparse already printed usage
        return 2 if e.code else 0
    if args.time_limit <= 0:
        print("--time-limit: must be > 0", file=err)
        return 2
    try:
        if args.instance == "-":
            data = json.load(sys.stdin)
        else:
            with open(args.instance, encoding="utf-8") as fh:
                data = json.load(fh)
    except OSError as e:
        print(f"$: cannot read {args.instance}: {e.strerror or e}", file=err)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        print(f"$: not valid JSON: {e}", file=err)
        return 2
    try:
        inst = parse_instance(data)
    except InstanceError as e:
        for path, msg in e.errors:
            print(f"{path}: {msg}", file=err)
        return 2
    t0 = time.monotonic()

    def progress(scheduled: int, attendance: int, bound: int) -> None:
        print(f"[{time.monotonic() - t0:7.2f}s] best scheduled={scheduled} attendance={attendance} "
              f"attendance-bound={bound}", file=err, flush=True)

    res = solve(inst, time_limit=args.time_limit, seed=args.seed, progress=progress,
                deterministic_time=args.deterministic_time)
    if res.stats.get("stopped_by_wall_clock"):
        print("note: the wall-clock limit stopped the search before the deterministic budget; "
              "a rerun may differ", file=err)
    obj = res.solution["objective"]
    print(f"done: {res.stats['status']}, scheduled={obj['scheduled']} attendance={obj['attendance']} "
          f"bound={obj.get('bound')} in {res.stats['wall_seconds']}s", file=err, flush=True)
    text = json.dumps(res.solution, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        out.write(text)
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
