"""JSON → `Problem`, collecting *every* error with the JSON path it concerns.

We collect rather than stop at the first error because the people fixing the
file are school secretaries editing a spreadsheet export: one round-trip
showing all the problems is far kinder than ten round-trips.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import Child, Family, Guardian, Interpreter, Problem, Span, Teacher, Window

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class ProblemError(ValueError):
    """Invalid input; `errors` lists one human-readable message per problem,
    each starting with the JSON path (e.g. ``$.teachers[0].room``)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


_TOP = {"window", "teachers", "children", "families", "interpreters"}
_WINDOW = {"timezone", "evenings", "slot_minutes", "interpreted_slot_minutes", "passing_minutes",
           "grid_minutes", "visit_slack_minutes", "school_language"}
_TEACHER = {"id", "name", "room", "language", "availability", "breaks", "students"}
_CHILD = {"id", "name"}
_FAMILY = {"id", "name", "language", "children", "availability", "guardians"}
_GUARDIAN = {"id", "name", "availability", "language"}
_INTERP = {"id", "name", "languages", "availability"}
_SPAN = {"start", "end"}


class _Reader:
    """Small helper holding the error list so each field check is one line."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.zone: ZoneInfo | None = None

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}")

    def obj(self, v: Any, path: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(v, dict):
            self.err(path, "expected an object")
            return {}
        for k in sorted(set(v) - allowed):
            self.err(f"{path}.{k}", "unknown key")
        for k in sorted(required - set(v)):
            self.err(f"{path}.{k}", "required key is missing")
        return v

    def lst(self, v: Any, path: str) -> list[Any]:
        if v is None:
            return []
        if not isinstance(v, list):
            self.err(path, "expected a list")
            return []
        return v

    def string(self, v: Any, path: str, default: str | None = None) -> str:
        if v is None and default is not None:
            return default
        if not isinstance(v, str) or not v.strip():
            self.err(path, "expected a non-empty string")
            return default or ""
        return v

    def minutes(self, v: Any, path: str, default: int) -> int:
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > 24 * 60:
            self.err(path, "expected a whole number of minutes between 0 and 1440")
            return default
        return v

    def time(self, v: Any, path: str) -> datetime | None:
        """Local wall-clock "YYYY-MM-DDTHH:MM" → aware UTC instant.

        Non-existent local times (inside a spring-forward gap) are rejected
        rather than silently shifted; ambiguous fall-back times take the first
        occurrence (fold=0)."""
        if not isinstance(v, str):
            self.err(path, 'expected a local time "YYYY-MM-DDTHH:MM"')
            return None
        try:
            naive = datetime.strptime(v, TIME_FORMAT)
        except ValueError:
            self.err(path, f'bad time {v!r}, expected "YYYY-MM-DDTHH:MM"')
            return None
        if self.zone is None:
            return None
        local = naive.replace(tzinfo=self.zone)
        utc = local.astimezone(timezone.utc)
        if utc.astimezone(self.zone).replace(tzinfo=None) != naive:
            self.err(path, f"{v} does not exist in {self.zone.key} (clocks skip it)")
            return None
        return utc

    def spans(self, v: Any, path: str) -> tuple[Span, ...]:
        out: list[Span] = []
        for i, s in enumerate(self.lst(v, path)):
            p = f"{path}[{i}]"
            d = self.obj(s, p, _SPAN, _SPAN)
            a, b = self.time(d.get("start"), f"{p}.start"), self.time(d.get("end"), f"{p}.end")
            if a is not None and b is not None:
                if b <= a:
                    self.err(p, "end must be after start")
                else:
                    out.append(Span(a, b))
        return tuple(sorted(out, key=lambda s: s.start))

    def ids(self, items: list[Any], path: str) -> None:
        seen: dict[str, int] = {}
        for i, it in enumerate(items):
            if isinstance(it, dict) and isinstance(it.get("id"), str):
                if it["id"] in seen:
                    self.err(f"{path}[{i}].id", f"duplicate id {it['id']!r} (first at {path}[{seen[it['id']]}])")
                else:
                    seen[it["id"]] = i


def parse_problem(data: Any) -> Problem:
    """Validate and convert a decoded JSON document; raise `ProblemError`
    listing every problem found."""
    r = _Reader()
    top = r.obj(data, "$", _TOP, {"window", "teachers", "children", "families"})
    wd = r.obj(top.get("window"), "$.window", _WINDOW, {"timezone", "evenings"})
    tzname = wd.get("timezone")
    if isinstance(tzname, str):
        try:
            r.zone = ZoneInfo(tzname)
        except (ZoneInfoNotFoundError, ValueError):
            r.err("$.window.timezone", f"unknown time zone {tzname!r}")
    else:
        r.err("$.window.timezone", "expected an IANA time zone name like \"America/New_York\"")
    school_lang = r.string(wd.get("school_language"), "$.window.school_language", "en")
    evenings = r.spans(wd.get("evenings"), "$.window.evenings")
    if not evenings and "evenings" in wd:
        r.err("$.window.evenings", "at least one evening is needed")
    for i in range(1, len(evenings)):
        if evenings[i].overlaps(evenings[i - 1]):
            r.err(f"$.window.evenings[{i}]", "evenings overlap")
    window = Window(
        timezone=tzname if isinstance(tzname, str) else "UTC",
        evenings=evenings,
        slot_minutes=r.minutes(wd.get("slot_minutes"), "$.window.slot_minutes", 10),
        interpreted_slot_minutes=r.minutes(wd.get("interpreted_slot_minutes"), "$.window.interpreted_slot_minutes", 20),
        passing_minutes=r.minutes(wd.get("passing_minutes"), "$.window.passing_minutes", 5),
        grid_minutes=r.minutes(wd.get("grid_minutes"), "$.window.grid_minutes", 5),
        visit_slack_minutes=r.minutes(wd.get("visit_slack_minutes"), "$.window.visit_slack_minutes", 5),
        school_language=school_lang,
    )
    if window.grid_minutes < 1:
        r.err("$.window.grid_minutes", "must be at least 1")
    for key in ("slot_minutes", "interpreted_slot_minutes"):
        if getattr(window, key) < 1:
            r.err(f"$.window.{key}", "must be at least 1")

    children_raw = r.lst(top.get("children"), "$.children")
    r.ids(children_raw, "$.children")
    children: list[Child] = []
    for i, c in enumerate(children_raw):
        p = f"$.children[{i}]"
        d = r.obj(c, p, _CHILD, {"id"})
        cid = r.string(d.get("id"), f"{p}.id")
        children.append(Child(cid, r.string(d.get("name"), f"{p}.name", cid or "?")))
    child_ids = {c.id for c in children}

    teachers_raw = r.lst(top.get("teachers"), "$.teachers")
    r.ids(teachers_raw, "$.teachers")
    teachers: list[Teacher] = []
    for i, t in enumerate(teachers_raw):
        p = f"$.teachers[{i}]"
        d = r.obj(t, p, _TEACHER, {"id", "room", "students"})
        tid = r.string(d.get("id"), f"{p}.id")
        students = r.lst(d.get("students"), f"{p}.students")
        for j, s in enumerate(students):
            if s not in child_ids:
                r.err(f"{p}.students[{j}]", f"unknown child {s!r}")
        avail = r.spans(d.get("availability"), f"{p}.availability") if "availability" in d else evenings
        teachers.append(Teacher(
            id=tid, name=r.string(d.get("name"), f"{p}.name", tid or "?"),
            room=r.string(d.get("room"), f"{p}.room"),
            language=r.string(d.get("language"), f"{p}.language", school_lang),
            availability=avail, breaks=r.spans(d.get("breaks"), f"{p}.breaks"),
            students=tuple(s for s in students if isinstance(s, str)),
        ))

    families_raw = r.lst(top.get("families"), "$.families")
    r.ids(families_raw, "$.families")
    families: list[Family] = []
    owner: dict[str, str] = {}
    for i, f in enumerate(families_raw):
        p = f"$.families[{i}]"
        d = r.obj(f, p, _FAMILY, {"id", "children"})
        fid = r.string(d.get("id"), f"{p}.id")
        lang = r.string(d.get("language"), f"{p}.language", school_lang)
        kids = r.lst(d.get("children"), f"{p}.children")
        for j, c in enumerate(kids):
            if c not in child_ids:
                r.err(f"{p}.children[{j}]", f"unknown child {c!r}")
            elif c in owner and owner[c] != fid:
                r.err(f"{p}.children[{j}]", f"child {c!r} already belongs to family {owner[c]!r}")
            else:
                owner[c] = fid
        avail = r.spans(d.get("availability"), f"{p}.availability") if "availability" in d else evenings
        graw = r.lst(d.get("guardians"), f"{p}.guardians")
        r.ids(graw, f"{p}.guardians")
        guardians: list[Guardian] = []
        for j, g in enumerate(graw):
            gp = f"{p}.guardians[{j}]"
            gd = r.obj(g, gp, _GUARDIAN, {"id"})
            gid = r.string(gd.get("id"), f"{gp}.id")
            gav = r.spans(gd.get("availability"), f"{gp}.availability") if "availability" in gd else avail
            guardians.append(Guardian(gid, r.string(gd.get("name"), f"{gp}.name", gid or "?"), gav,
                                      r.string(gd.get("language"), f"{gp}.language", lang)))
        if len(guardians) == 1:
            r.err(f"{p}.guardians", "list guardians only for split households (two or more)")
        families.append(Family(fid, r.string(d.get("name"), f"{p}.name", fid or "?"), lang,
                               tuple(c for c in kids if isinstance(c, str)), avail, tuple(guardians)))

    interp_raw = r.lst(top.get("interpreters"), "$.interpreters")
    r.ids(interp_raw, "$.interpreters")
    interpreters: list[Interpreter] = []
    for i, it in enumerate(interp_raw):
        p = f"$.interpreters[{i}]"
        d = r.obj(it, p, _INTERP, {"id", "languages"})
        iid = r.string(d.get("id"), f"{p}.id")
        langs = [r.string(x, f"{p}.languages[{j}]") for j, x in enumerate(r.lst(d.get("languages"), f"{p}.languages"))]
        avail = r.spans(d.get("availability"), f"{p}.availability") if "availability" in d else evenings
        interpreters.append(Interpreter(iid, r.string(d.get("name"), f"{p}.name", iid or "?"), frozenset(langs), avail))

    if r.errors:
        raise ProblemError(r.errors)
    return Problem(window, tuple(teachers), tuple(children), tuple(families), tuple(interpreters))


def load_problem(path: str | Path) -> Problem:
    """Read a JSON file; JSON syntax errors become a `ProblemError` too."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ProblemError([f"$: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"]) from e
    except OSError as e:
        raise ProblemError([f"$: cannot read {path}: {e.strerror}"]) from e
    return parse_problem(data)
