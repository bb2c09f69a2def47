"""Benchmark: conference scheduler vs first-come-first-served.

Run explicitly (not collected by pytest):

    .venv/bin/python tests/bench/conferences.py --seed 1 --time-limit 60

Prints meetings requested/placed, median family span, share of families
(with two or more meetings) seen in one visit, interpreter idle time and
wall time for: the first-come-first-served baseline, the greedy start, and
the full solver.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scheduler.conferences.solver.cost import objective  # noqa: E402
from scheduler.conferences.solver.demo import make_problem  # noqa: E402
from scheduler.conferences.solver.greedy import first_come_first_served, greedy  # noqa: E402
from scheduler.conferences.solver.instance import compile_problem  # noqa: E402
from scheduler.conferences.solver.metrics import summary  # noqa: E402
from scheduler.conferences.solver.solver import solve, to_schedule  # noqa: E402
from scheduler.conferences.solver.verify import verify  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--students", type=int, default=600)
    ap.add_argument("--teachers", type=int, default=30)
    ap.add_argument("--interpreters", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--start", default="16:00", help="evening start (local)")
    ap.add_argument("--end", default="20:00", help="evening end (local)")
    a = ap.parse_args(argv)

    t = time.monotonic()
    problem = make_problem(a.seed, students=a.students, teachers=a.teachers, interpreters=a.interpreters,
                           start=a.start, end=a.end)
    inst = compile_problem(problem)
    gen = time.monotonic() - t
    langs = sum(1 for f in problem.families if f.language != "en")
    multi = sum(1 for f in problem.families if len(f.children) >= 2)
    split = sum(1 for f in problem.families if f.split)
    print(f"school: {len(problem.children)} students, {len(problem.teachers)} teachers, "
          f"{len(problem.families)} families ({multi} with 2+ children, {langs} needing an interpreter, "
          f"{split} split households), {len(problem.interpreters)} interpreters, "
          f"{len(problem.window.evenings)} evenings; {len(inst.slots)} meetings requested "
          f"(built in {gen:.2f}s); cpu_count={os.cpu_count()}")

    rows = []
    for name, build in (("first-come-first-served", first_come_first_served), ("greedy (siblings first)", greedy)):
        t = time.monotonic()
        plan = build(inst)
        dt = time.monotonic() - t
        sched = to_schedule(inst, plan, objective(inst, plan), 0, "FEASIBLE", {})
        assert verify(problem, sched) == [], name
        rows.append((name, summary(problem, sched), dt, objective(inst, plan)))
    t = time.monotonic()
    sched = solve(problem, time_limit=a.time_limit, seed=a.seed, num_workers=a.workers,
                  progress=lambda m: print(f"  [solver] {m}", file=sys.stderr, flush=True))
    dt = time.monotonic() - t
    assert verify(problem, sched) == []
    rows.append((f"CP-SAT LNS ({a.time_limit:.0f}s limit)", summary(problem, sched), dt, sched.objective))

    hdr = f"{'method':28} {'requested':>9} {'placed':>7} {'median span':>11} {'span 2+':>7} {'one visit':>9} " \
          f"{'interp idle':>11} {'(wait)':>6} {'objective':>10} {'wall s':>7}"
    print(hdr)
    print("-" * len(hdr))
    for name, s, dt, obj in rows:
        print(f"{name:28} {s['requested']:9.0f} {s['placed']:7.0f} {s['median_family_span_minutes']:9.0f}m "
              f"{s['median_multi_meeting_span_minutes']:5.0f}m "
              f"{100 * s['one_visit_share']:8.1f}% {s['interpreter_idle_minutes']:9.0f}m "
              f"{s['interpreter_wait_minutes']:5.0f}m {obj:10d} {dt:7.2f}")
    print(f"solver: status {sched.status}, objective {sched.objective}, proven lower bound {sched.bound}, "
          f"{sched.stats['iterations']:.0f} LNS rounds ({sched.stats['improving_steps']:.0f} improving), "
          f"wall limit hit: {bool(sched.stats['wall_limit_hit'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
