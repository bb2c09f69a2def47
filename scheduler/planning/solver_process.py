"""The solver process of a plan: one job in on stdin, progress and the result out as JSON lines."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
from typing import Any

from scheduler.engine import parse_instance, solve
from scheduler.engine.timeutil import parse_local, to_abs
from scheduler.planning.calibration import Calibration, bucket, expected
from scheduler.planning.turnout import families_free, who_is_free


def main() -> int:
    """``python -m scheduler.planning.solver_process``: the solver process of a plan (see ``solving``).

    Reads one line ``{"instance", "time_limit", "seed"}`` (and optionally
    ``"deterministic_time"``, see ``scheduler.engine.solve``) of JSON on stdin;
    writes JSON lines: ``{"progress": [scheduled, attendance, bound]}`` as the
    search improves, then ``{"solution", "details", "stats"}`` or ``{"error"}``.
    Exits at once when stdin closes: the server that asked is gone. Runs at a
    lower CPU priority (nice 10) so the server stays responsive meanwhile.
    """
    job = json.loads(sys.stdin.readline())
    try:  # the web server that started us answers requests first
        os.nice(10)
    except (AttributeError, OSError):
        pass

    def orphaned() -> None:
        sys.stdin.read()  # returns at end of file: the parent closed the pipe or died
        os._exit(2)

    threading.Thread(target=orphaned, daemon=True).start()

    def emit(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")
        sys.stdout.flush()

    try:
        result = solve(job["instance"], float(job["time_limit"]), int(job["seed"]),
                       progress=lambda s, a, b: emit({"progress": [s, a, b]}),
                       deterministic_time=job.get("deterministic_time"))
    except Exception as exc:  # the engine's own failure: the plan says so
        emit({"error": f"{type(exc).__name__}: {exc}"[:2000]})
        return 1
    emit({"solution": result.solution, "stats": result.stats,
          "details": _details(job["instance"], result, job.get("calibration"))})
    return 0


def _details(instance: dict[str, Any], result: Any, calibration: dict[str, Any] | None = None
             ) -> dict[str, dict[str, Any]]:
    """The engine's per-event details, with the turnout in families (the engine's counts are weighted) and, with a
    calibration, the families expected at the door at the chosen start (``calibration.expected``)."""
    inst = parse_instance(instance)
    cal = Calibration.from_json(calibration) if calibration else None
    out = {k: dataclasses.asdict(v) for k, v in result.details.items()}
    for a in result.solution["assignments"]:
        detail = out.setdefault(a["event"], {})
        start = to_abs(parse_local(a["start"]), inst.tz)
        detail["families"] = families_free(inst, a["event"], start)
        if cal is not None:
            free = [int(f.removeprefix("family-")) for f in who_is_free(inst, a["event"], start)]
            detail["expected_calibrated"] = expected(cal, free, bucket(parse_local(a["start"])))
        if detail.get("runner_up_start"):
            detail["runner_up_families"] = families_free(
                inst, a["event"], to_abs(parse_local(detail["runner_up_start"]), inst.tz))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
