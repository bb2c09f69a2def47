#!/usr/bin/env python3
"""Booking-engine benchmark: engine vs greedy baseline vs plain CP-SAT model.

    .venv/bin/python tests/bench/solver.py                       # full run (long)
    .venv/bin/python tests/bench/solver.py --quick               # a few minutes
    .venv/bin/python tests/bench/solver.py --sizes school --seeds 1,2 --plain-seconds 300

Instances come from make_instance.py (seeded) in a temporary directory. Each
solve runs in its own subprocess so wall time and peak memory (ru_maxrss of
that process, which includes parsing) belong to that solve alone. Prints a
Markdown table. Not collected by pytest (no test_ prefix).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = Path(os.environ.get("FB_MAKE_INSTANCE", "/work/shared/tools/make_instance.py"))
LIMITS = {"tiny": 10.0, "small": 10.0, "school": 30.0, "district": 120.0}


def worker(mode: str, path: str, limit: float, seed: int) -> None:
    """Child process: solve one instance one way, print one JSON line."""
    sys.path.insert(0, str(ROOT))
    from scheduler.engine import parse_instance, solve, verify
    from scheduler.engine.candidates import build_candidates, build_grid
    from scheduler.engine.cpsat import solve_component, weight
    from scheduler.engine.solver import solution_dict

    t0 = time.monotonic()
    inst = parse_instance(json.loads(Path(path).read_text()))
    extra: dict = {}
    if mode == "plain":
        # The plain time-indexed model: one boolean per event x time-valid
        # start, optional intervals per room/interpreter/childcare, NoOverlap;
        # no availability pruning, no hint, no decomposition, no redundant
        # constraints.
        grid = build_grid(inst)
        cands = build_candidates(inst, grid, prune=False)
        w = weight(cands)
        live = [c.event for c in cands if len(c.starts)]
        res = solve_component(inst, cands, live, w, {}, limit, 1e9, seed, use_hint=False, redundant=False)
        placed = res.placements
        bound = res.bound - len(placed) * w
        sol = solution_dict(inst, grid, cands, placed, bound)
        extra = {"status": res.status, "scheduled_bound": min(res.bound // w, len(live))}
    else:
        r = solve(inst, time_limit=limit, seed=seed, use_cpsat=(mode == "engine"))
        sol = r.solution
        extra = {"status": r.stats["status"], "scheduled_bound": r.stats.get("scheduled_bound")}
    wall = time.monotonic() - t0
    errs = verify(inst, sol)
    obj = sol["objective"]
    print(json.dumps({"scheduled": obj["scheduled"], "attendance": obj["attendance"], "bound": obj.get("bound"),
                      "wall": round(wall, 2), "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "valid": not errs, **extra}))


def run_child(mode: str, path: Path, limit: float, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", mode, str(path), str(limit), str(seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=limit * 3 + 120)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def gap(r: dict) -> str:
    if r.get("bound") is None:
        return "-"
    if r.get("scheduled_bound") is not None and r["scheduled_bound"] > r["scheduled"]:
        return f"sched<={r['scheduled_bound']}"
    b = r["bound"]
    return f"{(b - r['attendance']) / b:.1%}" if b else "0.0%"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", nargs=4, metavar=("MODE", "PATH", "LIMIT", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="tiny,small,school,district")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--variants", default="plain,dst,scarce", help="comma list of plain,dst,scarce")
    ap.add_argument("--plain-seconds", type=float, default=300.0, help="limit for the plain CP-SAT model (school)")
    ap.add_argument("--plain-seeds", default="1", help="seeds that get the plain model run")
    ap.add_argument("--quick", action="store_true", help="seed 1 only, plain variant, plain model 30 s")
    ap.add_argument("--solve-seed", type=int, default=1)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker[0], a.worker[1], float(a.worker[2]), int(a.worker[3]))
        return
    if a.quick:
        a.seeds, a.variants, a.plain_seconds = "1", "plain", 30.0
    sizes = a.sizes.split(",")
    seeds = [int(s) for s in a.seeds.split(",")]
    plain_seeds = {int(s) for s in a.plain_seeds.split(",") if s}
    variants = a.variants.split(",")
    print(f"# machine: {os.cpu_count()} CPUs (shared), python {sys.version.split()[0]}", flush=True)
    print("| instance | method | scheduled | attendance | bound | gap | wall s | peak MiB | status |")
    print("|---|---|---:|---:|---:|---|---:|---:|---|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            for seed in seeds:
                for var in variants:
                    flags = {"plain": [], "dst": ["--dst"], "scarce": ["--scarce-interpreters"]}[var]
                    name = f"{size}-s{seed}" + ("" if var == "plain" else f"-{var}")
                    path = Path(tmp) / f"{name}.json"
                    with open(path, "w") as fh:
                        subprocess.run([sys.executable, str(GENERATOR), "--size", size, "--seed", str(seed), *flags],
                                       stdout=fh, check=True)
                    runs = [("greedy", "greedy", 5.0), ("engine", "engine", LIMITS[size])]
                    if size == "school" and var == "plain" and seed in plain_seeds and a.plain_seconds > 0:
                        runs.append((f"plain CP-SAT {a.plain_seconds:g}s", "plain", a.plain_seconds))
                    for label, mode, limit in runs:
                        r = run_child(mode, path, limit, a.solve_seed)
                        if "error" in r:
                            print(f"| {name} | {label} | error: {r['error']} |||||||", flush=True)
                            continue
                        print(f"| {name} | {label} | {r['scheduled']} | {r['attendance']} | "
                              f"{r['bound'] if r['bound'] is not None else '-'} | {gap(r)} | {r['wall']} | "
                              f"{r['rss_mib']} | {r['status']}{'' if r['valid'] else ' INVALID'} |", flush=True)


if __name__ == "__main__":
    main()
