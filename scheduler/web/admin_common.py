"""What the administrators' pages share: the school they act on, form values, the weekly grid, the menu."""

from __future__ import annotations

from typing import Any

from scheduler.core.errors import NotFound
from scheduler.core.timeutil import format_hhmm, parse_hhmm
from scheduler.web import grid
from scheduler.web.common import Page
from scheduler.web.i18n import clock_minutes, weekday_names


def school(page: Page) -> dict[str, Any]:
    """The school an administrator's page acts on (a district administrator picks it with ?school=)."""
    page.require("admin")
    if page.school is None:
        raise NotFound(page.gettext("There is no school yet. A district administrator creates the first one on "
                                    "the Schools page."), "school")
    return page.school


def one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0].strip()


def values_of(form: dict[str, list[str]]) -> dict[str, Any]:
    """A submitted form as the page shows it again: one value per field, lists where a field repeats."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in form.items() if k != "csrf"}


def words(text: str) -> list[str]:
    """"a, b c" -> ["a", "b", "c"]: tags and codes typed in one box."""
    return [w for w in text.replace(",", " ").split() if w]


def weekly_rows(windows: list[dict[str, Any]] | list[Any]) -> list[tuple[int, int, int]]:
    """Stored weekly windows (dicts or WeeklyWindow) -> (weekday, start minute, end minute)."""
    out = []
    for w in windows:
        get = w.get if isinstance(w, dict) else lambda k, w=w: getattr(w, k)
        out.append((get("weekday"), parse_hhmm(get("start")), parse_hhmm(get("end"))))
    return out


def grid_windows(form: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The ticked half hours of a weekly grid -> weekly windows (weekday, "HH:MM", "HH:MM")."""
    return [{"weekday": d, "start": format_hhmm(a), "end": format_hhmm(b)}
            for d, a, b in grid.windows(grid.parse(form.get("cell", [])))]


def grid_context(page: Page, windows: list[tuple[int, int, int]]) -> dict[str, Any]:
    """What ``_form.html``'s weekgrid needs."""
    return {"picked": grid.cells(windows), "slots": grid.SLOTS, "days": weekday_names(page.language),
            "day_abbr": weekday_names(page.language, "abbreviated"),
            "hour": lambda m: clock_minutes(m, page.language)}
