"""Weekly availability windows: validated once, stored the same way for every owner.

Rooms, interpreters, childcare staffing and families all say "weekday,
from, to" in the school's local time; one set of rules and one replace
operation serve them all, so a window means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scheduler.core.errors import InvalidInput
from scheduler.core.timeutil import TimeError, format_hhmm, parse_hhmm


def window_problems(windows: Sequence[Any], field: str) -> list[tuple[str, str]]:
    """Every bad window, named by its path, e.g. ``weekly[2].end``."""
    problems: list[tuple[str, str]] = []
    for i, w in enumerate(windows):
        bounds = {}
        for name in ("start", "end"):
            try:
                bounds[name] = parse_hhmm(getattr(w, name))
            except TimeError as exc:
                problems.append((f"{field}[{i}].{name}", str(exc)))
        if len(bounds) == 2 and bounds["end"] <= bounds["start"]:
            problems.append((f"{field}[{i}].end", f"end {w.end} is not after start {w.start}"))
    return problems


def to_rows(windows: Sequence[Any], extra: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for w in windows:
        row = {"weekday": w.weekday, "start_minute": parse_hhmm(w.start), "end_minute": parse_hhmm(w.end)}
        if hasattr(w, "staff"):
            row["staff"] = w.staff
        rows.append({**row, **extra})
    return rows


def from_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in sorted(rows, key=lambda r: (r["weekday"], r["start_minute"])):
        item = {"weekday": r["weekday"], "start": format_hhmm(r["start_minute"]), "end": format_hhmm(r["end_minute"])}
        if "staff" in r:
            item["staff"] = r["staff"]
        out.append(item)
    return out


async def replace(table: Any, owner_column: Any, owner_id: int, windows: Sequence[Any], field: str) -> None:
    """Swap an owner's whole weekly pattern; call inside the caller's transaction."""
    problems = window_problems(windows, field)
    if problems:
        raise InvalidInput(problems)
    await table.delete().where(owner_column == owner_id).run()
    rows = to_rows(windows, {owner_column._meta.name: owner_id})
    if rows:
        await table.insert(*[table(**r) for r in rows]).run()


async def load(table: Any, owner_column: Any, owner_id: int) -> list[dict[str, Any]]:
    rows = await table.select().where(owner_column == owner_id).run()
    return from_rows(rows)
