"""Solving a plan in the background, in a solver process of its own.

The solve runs in a separate process (``python -m scheduler.planning.solver_process``: the job in as
one JSON line on stdin, progress and the result out as JSON lines), so the event loop spends no CPU
on it and a crash in the solver cannot take the server down. The solver exits as soon as its stdin
closes, so a server that stops (even one killed outright) leaves no solve running behind it. The
task is kept in ``RUNNING`` (so it is not garbage-collected, and so a long-poll can wait on it
directly) and writes the outcome in its own transaction: ``ready`` with the solution, or ``failed``
with the error. While it runs, its process writes a heartbeat to the plan row; a plan whose process
died is noticed at once on the same host (its pid is gone) and within seconds from any other (no
heartbeat), and becomes ``failed`` ("interrupted").
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import sys
from typing import Any

from scheduler.core.db import writing
from scheduler.core.timeutil import utcnow
from scheduler.planning.tables import Plan

log = logging.getLogger("family_bridge.plans")


INTERRUPTED_GRACE = dt.timedelta(seconds=120)  # plans from before heartbeats: time limit + this, then failed


HEARTBEAT_EVERY_S = 2.0  # a solving plan's process writes heartbeat_at this often


HEARTBEAT_STALE = dt.timedelta(seconds=15)  # ... and is taken for dead when it has not for this long


RUNNING: dict[int, asyncio.Task] = {}


PROGRESS_EVERY_S = 1.0  # how often a running solve writes its progress to the plan row


PREPARING: set[int] = set()  # schools whose plan is being built in this process


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the old one."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _process_tag(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or '?'}"


THIS_PROCESS = _process_tag(os.getpid())


def _owner_gone(owner: str) -> bool:
    """True when ``owner`` is a process of this host that no longer runs (checked at once, no waiting)."""
    host, _, rest = owner.partition(":")
    pid, _, ticks = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or ticks == "?":
        return False  # another machine (or no /proc): only the heartbeat can tell
    return _start_ticks(int(pid)) != ticks


def forget(plan_id: int, task: asyncio.Task) -> None:
    RUNNING.pop(plan_id, None)
    if not task.cancelled() and task.exception() is not None:  # e.g. the database went away: log, do not lose it
        log.error("plan %s: storing the outcome failed: %r", plan_id, task.exception())


SOLVER_COMMAND = [sys.executable, "-m", "scheduler.planning.solver_process"]  # the solver process (tests swap it)


_LINE_LIMIT = 1 << 28  # a whole solution arrives as one JSON line


async def _solve_elsewhere(plan_id: int, instance: dict[str, Any], time_limit: int, seed: int,
                           kept: set[str], deterministic_time: float | None = None,
                           calibration: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the solver process; relay its progress; return its last message (solution or error)."""
    proc = await asyncio.create_subprocess_exec(
        *SOLVER_COMMAND, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, limit=_LINE_LIMIT)
    errors = asyncio.get_running_loop().create_task(proc.stderr.read())
    final: dict[str, Any] | None = None
    stderr = b""
    loop, stored = asyncio.get_running_loop(), float("-inf")
    try:
        async with asyncio.timeout(time_limit + INTERRUPTED_GRACE.total_seconds()):
            try:  # stdin stays open: the solver stops by itself when it closes (this process died)
                job = {"instance": instance, "time_limit": time_limit, "seed": seed}
                if deterministic_time is not None:
                    job["deterministic_time"] = deterministic_time
                if calibration:  # attendance history: the solver reports families expected at the door
                    job["calibration"] = calibration
                proc.stdin.write(json.dumps(job).encode() + b"\n")
                await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the process is already gone; its exit code and stderr say why
            while line := await proc.stdout.readline():
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if isinstance(msg, dict) and "progress" in msg:
                    scheduled, attendance, bound = msg["progress"]
                    if loop.time() - stored >= PROGRESS_EVERY_S:
                        stored = loop.time()
                        await _store_progress(plan_id, {"scheduled": max(0, scheduled - len(kept)),
                                                        "attendance": attendance, "bound": bound})
                elif isinstance(msg, dict):
                    final = msg
            await proc.wait()
            stderr = await errors
    except TimeoutError:
        return {"error": "the solver did not answer within its time limit"}
    finally:
        proc.stdin.close()
        if proc.returncode is None:  # cancelled (the server is stopping) or timed out: stop the solve too
            proc.kill()
        if not errors.done():
            errors.cancel()
    if final is None:
        last = (stderr.decode(errors="replace").strip().splitlines() or [""])[-1][:500]
        return {"error": f"the solver process stopped unexpectedly (exit code {proc.returncode}) {last}".strip()}
    return final


async def _store_progress(plan_id: int, progress: dict[str, int]) -> None:
    """Progress lives in the plan's row, so any app process can show it (a page polls another worker)."""
    async with writing():
        await Plan.update({Plan.details: json.dumps({"progress": progress})}).where(
            (Plan.id == plan_id) & (Plan.status == "solving")).run()


async def run_solve(plan_id: int, instance: dict[str, Any], time_limit: int, seed: int, kept: set[str],
                    deterministic_time: float | None = None, context: dict[str, Any] | None = None) -> None:
    """Solve in a child process and store the outcome (ready or failed).

    ``scheduled`` counts the events this plan places, not the kept (pinned)
    published ones the instance also holds. ``context`` (what was left out
    and why, how turnout was counted) is kept in the plan's details.
    """
    beat = asyncio.get_running_loop().create_task(_heartbeat(plan_id))
    try:
        msg = await _solve_elsewhere(plan_id, instance, time_limit, seed, kept, deterministic_time,
                                     (context or {}).get("calibration"))
    except Exception as exc:  # could not even start the process: say so on the plan
        log.exception("plan %s: solver process", plan_id)
        msg = {"error": f"could not run the solver: {type(exc).__name__}: {exc}"}
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
    if "solution" not in msg:
        log.warning("plan %s failed: %s", plan_id, msg.get("error"))
        await finish(plan_id, {Plan.status: "failed", Plan.error: str(msg.get("error", "no solution"))[:2000]})
        return
    sol = msg["solution"]
    kept_placed = sum(1 for a in sol["assignments"] if a["event"] in kept)
    details = {"seed": seed, "events": msg.get("details", {}), "stats": msg.get("stats", {}), **(context or {})}
    obj = sol.get("objective", {})
    await finish(plan_id, {
        Plan.status: "ready", Plan.solution: json.dumps(sol, separators=(",", ":")),
        Plan.details: json.dumps(details, separators=(",", ":"), default=str),
        Plan.scheduled: obj.get("scheduled", 0) - kept_placed, Plan.attendance: obj.get("attendance"),
        Plan.bound: obj.get("bound"),
    })


async def _heartbeat(plan_id: int) -> None:
    """While this process solves the plan, say so every few seconds (other processes read it in ``_plan``)."""
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY_S)
        try:
            async with writing():
                await Plan.update({Plan.heartbeat_at: utcnow()}).where(
                    (Plan.id == plan_id) & (Plan.status == "solving")).run()
        except Exception:  # a missed beat is retried; the solve goes on
            log.warning("plan %s: heartbeat not written", plan_id, exc_info=True)


async def finish(plan_id: int, values: dict) -> None:
    values = {**values, Plan.finished_at: utcnow()}
    async with writing():
        await Plan.update(values).where((Plan.id == plan_id) & (Plan.status == "solving")).run()


def solver_died(row: dict[str, Any]) -> bool:
    """A solving plan that no live process is working on (this process would have it in ``RUNNING``)."""
    owner, now = row["owner"], utcnow()
    if not owner:  # made before heartbeats existed
        return now > row["created_at"] + dt.timedelta(seconds=row["time_limit"]) + INTERRUPTED_GRACE
    if owner == THIS_PROCESS:  # ours, and not running: dead, unless its task is still being started
        return row["school"] not in PREPARING
    if _owner_gone(owner):
        return True
    return row["heartbeat_at"] is None or now - row["heartbeat_at"] > HEARTBEAT_STALE
