"""Parse and validate an engine-format v1 instance dict into the typed model.

Every problem is collected with its JSON path, then one InstanceError carries
them all: an administrator fixing a hand-written file wants the whole list at
once, not one error per run.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import Childcare, Event, Family, Instance, Interpreter, Interval, Room
from .timeutil import exists, parse_date, parse_local, to_abs

_LANG_RE = re.compile(r"^[a-z]{2,3}$")


class InstanceError(ValueError):
    """An invalid instance; `errors` is a list of (json_path, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("\n".join(f"{p}: {m}" for p, m in self.errors))


class _Ctx:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.tz: ZoneInfo | None = None
        self.tz_name = ""
        self.cache: dict[tuple[object, bool], tuple[int | None, str | None]] = {}

    def err(self, path: str, msg: str) -> None:
        self.errors.append((path or "$", msg))


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _obj(c: _Ctx, v: Any, path: str, required: set[str], optional: set[str]) -> dict | None:
    """Check an object's keys: unknown keys and missing required ones."""
    if not isinstance(v, dict):
        c.err(path, f"must be an object, got {type(v).__name__}")
        return None
    for k in v:
        if k not in required and k not in optional:
            c.err(_join(path, str(k)), "unknown key")
    for k in sorted(required):
        if k not in v:
            c.err(_join(path, k), "missing required key")
    return v


def _int(c: _Ctx, v: Any, path: str, lo: int | None = None) -> int | None:
    if not isinstance(v, int) or isinstance(v, bool):
        c.err(path, f"must be an integer, got {v!r}")
        return None
    if lo is not None and v < lo:
        c.err(path, f"must be >= {lo}, got {v}")
        return None
    return v


def _str(c: _Ctx, v: Any, path: str) -> str | None:
    if not isinstance(v, str) or not v:
        c.err(path, f"must be a non-empty string, got {v!r}")
        return None
    return v


def _strs(c: _Ctx, v: Any, path: str, check: Callable[[str, str], bool] | None = None) -> list[str]:
    if not isinstance(v, list):
        c.err(path, f"must be a list, got {type(v).__name__}")
        return []
    out = []
    for i, s in enumerate(v):
        p = _join(path, i)
        s2 = _str(c, s, p)
        if s2 is not None and (check is None or check(s2, p)):
            out.append(s2)
    return out


def _lang(c: _Ctx) -> Callable[[str, str], bool]:
    def check(s: str, p: str) -> bool:
        if not _LANG_RE.match(s):
            c.err(p, f"{s!r} is not a lower-case ISO 639 language code (2-3 letters a-z)")
            return False
        return True
    return check


def _time(c: _Ctx, v: Any, path: str, as_start: bool = False) -> int | None:
    """A local date-time to absolute minutes; a start must exist (not in a gap).

    Memoised per text: district instances repeat the same few thousand
    times across 20,000 families, and zone arithmetic dominates parsing.
    """
    key = (v if isinstance(v, str) else repr(v), as_start)
    hit = c.cache.get(key)
    if hit is None:
        hit = _time_uncached(c, v, as_start)
        c.cache[key] = hit
    value, msg = hit
    if msg is not None:
        c.err(path, msg)
    return value


def _time_uncached(c: _Ctx, v: Any, as_start: bool) -> tuple[int | None, str | None]:
    try:
        naive = parse_local(v)
    except ValueError as e:
        return None, str(e)
    if c.tz is None:
        return None, None
    if as_start and not exists(naive, c.tz):
        return None, f"{v!r} does not exist in {c.tz_name} (spring-forward gap), so it cannot be a start"
    return to_abs(naive, c.tz), None


def _intervals(c: _Ctx, v: Any, path: str) -> tuple[Interval, ...]:
    if not isinstance(v, list):
        c.err(path, f"must be a list of [start, end] pairs, got {type(v).__name__}")
        return ()
    out = []
    for i, pair in enumerate(v):
        p = _join(path, i)
        if not isinstance(pair, list) or len(pair) != 2:
            c.err(p, "must be a [start, end] pair")
            continue
        a = _time(c, pair[0], _join(p, 0))
        b = _time(c, pair[1], _join(p, 1))
        if a is not None and b is not None:
            if b < a:
                c.err(p, f"ends before it starts ({pair[0]} .. {pair[1]})")
                continue
            out.append((a, b))
    return tuple(out)


def _unique(c: _Ctx, items: list[Any], path: str, raw: list[Any]) -> None:
    seen: dict[str, int] = {}
    for i, x in enumerate(raw):
        if isinstance(x, dict) and isinstance(x.get("id"), str):
            if x["id"] in seen:
                c.err(_join(_join(path, i), "id"), f"duplicate id {x['id']!r} (also {path}[{seen[x['id']]}])")
            else:
                seen[x["id"]] = i


def _list(c: _Ctx, data: dict, key: str) -> list[Any]:
    v = data.get(key, [])
    if not isinstance(v, list):
        c.err(key, f"must be a list, got {type(v).__name__}")
        return []
    return v


def _room(c: _Ctx, v: Any, p: str) -> Room | None:
    d = _obj(c, v, p, {"id", "capacity", "available"}, {"tags"})
    if d is None:
        return None
    rid = _str(c, d.get("id"), _join(p, "id")) if "id" in d else None
    cap = _int(c, d.get("capacity"), _join(p, "capacity"), 0) if "capacity" in d else None
    tags = _strs(c, d.get("tags", []), _join(p, "tags"))
    av = _intervals(c, d.get("available", []), _join(p, "available"))
    if rid is None or cap is None:
        return None
    return Room(rid, cap, frozenset(tags), av)


def _interp(c: _Ctx, v: Any, p: str) -> Interpreter | None:
    d = _obj(c, v, p, {"id", "languages", "available"}, {"max_events_per_day"})
    if d is None:
        return None
    iid = _str(c, d.get("id"), _join(p, "id")) if "id" in d else None
    langs = _strs(c, d.get("languages", []), _join(p, "languages"), _lang(c))
    mx = d.get("max_events_per_day")  # absent or null: no limit
    if mx is not None:
        mx = _int(c, mx, _join(p, "max_events_per_day"), 1)
        if mx is None:
            return None
    av = _intervals(c, d.get("available", []), _join(p, "available"))
    if iid is None:
        return None
    return Interpreter(iid, frozenset(langs), mx, av)


def _care(c: _Ctx, v: Any, p: str) -> Childcare | None:
    d = _obj(c, v, p, {"id", "capacity", "available"}, set())
    if d is None:
        return None
    cid = _str(c, d.get("id"), _join(p, "id")) if "id" in d else None
    cap = _int(c, d.get("capacity"), _join(p, "capacity"), 0) if "capacity" in d else None
    av = _intervals(c, d.get("available", []), _join(p, "available"))
    if cid is None or cap is None:
        return None
    return Childcare(cid, cap, av)


def _family(c: _Ctx, v: Any, p: str) -> Family | None:
    d = _obj(c, v, p, {"id", "language", "available"}, {"interests"})
    if d is None:
        return None
    fid = _str(c, d.get("id"), _join(p, "id")) if "id" in d else None
    lang = None
    if "language" in d:
        lang = _str(c, d["language"], _join(p, "language"))
        if lang is not None and not _lang(c)(lang, _join(p, "language")):
            lang = None
    interests = _strs(c, d.get("interests", []), _join(p, "interests"))
    av = _intervals(c, d.get("available", []), _join(p, "available"))
    if fid is None or lang is None:
        return None
    return Family(fid, lang, frozenset(interests), av)


def _event(c: _Ctx, v: Any, p: str) -> Event | None:
    d = _obj(c, v, p, {"id", "duration_minutes", "window", "min_capacity"},
             {"room_tags", "interpreter_languages", "childcare_children", "audience", "fixed_start"})
    if d is None:
        return None
    eid = _str(c, d.get("id"), _join(p, "id")) if "id" in d else None
    dur = _int(c, d.get("duration_minutes"), _join(p, "duration_minutes"), 1) if "duration_minutes" in d else None
    mincap = _int(c, d.get("min_capacity"), _join(p, "min_capacity"), 0) if "min_capacity" in d else None
    window: Interval | None = None
    wtext = ("", "")
    if "window" in d:
        w = d["window"]
        wp = _join(p, "window")
        if not isinstance(w, list) or len(w) != 2:
            c.err(wp, "must be a [start, end] pair")
        else:
            a, b = _time(c, w[0], _join(wp, 0)), _time(c, w[1], _join(wp, 1))
            if a is not None and b is not None:
                if b < a:
                    c.err(wp, f"ends before it starts ({w[0]} .. {w[1]})")
                else:
                    window, wtext = (a, b), (w[0], w[1])
    tags = _strs(c, d.get("room_tags", []), _join(p, "room_tags"))
    langs = _strs(c, d.get("interpreter_languages", []), _join(p, "interpreter_languages"), _lang(c))
    seen: set[str] = set()
    for i, l in enumerate(langs):
        if l in seen:
            c.err(_join(_join(p, "interpreter_languages"), i), f"language {l!r} listed twice")
        seen.add(l)
    kids = 0
    if "childcare_children" in d:
        kids = _int(c, d["childcare_children"], _join(p, "childcare_children"), 0)
    aud = _strs(c, d.get("audience", []), _join(p, "audience"))
    fixed = None
    ftext = d.get("fixed_start")
    if ftext is not None:
        fixed = _time(c, ftext, _join(p, "fixed_start"), as_start=True)
        if fixed is None:
            return None
    if None in (eid, dur, mincap, window, kids):
        return None
    return Event(eid, dur, window, mincap, frozenset(tags), tuple(dict.fromkeys(langs)), kids,  # type: ignore[arg-type]
                 frozenset(aud), fixed, wtext, ftext)


def parse_instance(data: Any) -> Instance:
    """Validate an instance dict (from JSON) and return the typed model.

    Raises InstanceError listing every bad field with its JSON path.
    """
    c = _Ctx()
    top = _obj(c, data, "", {"version", "timezone", "slot_minutes", "horizon", "rooms", "interpreters",
                              "childcare", "families", "events"}, set())
    if top is None:
        raise InstanceError(c.errors)
    if "version" in top and (top["version"] != 1 or isinstance(top["version"], bool)):
        c.err("version", f"unsupported version {top['version']!r}; this engine reads version 1")
    if "timezone" in top:
        tzn = top["timezone"]
        try:
            if not isinstance(tzn, str) or not tzn:
                raise ValueError
            c.tz, c.tz_name = ZoneInfo(tzn), tzn
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            c.err("timezone", f"unknown IANA time zone {tzn!r}")
    slot = None
    if "slot_minutes" in top:
        slot = _int(c, top["slot_minutes"], "slot_minutes")
        if slot is not None and not (1 <= slot <= 60 and 60 % slot == 0):
            c.err("slot_minutes", f"must be between 1 and 60 and divide 60, got {slot}")
            slot = None
    hz: tuple[dt.date, dt.date] | None = None
    if "horizon" in top:
        h = _obj(c, top["horizon"], "horizon", {"start", "end"}, set())
        if h is not None and "start" in h and "end" in h:
            try:
                h0 = parse_date(h["start"])
            except ValueError as e:
                c.err("horizon.start", str(e))
                h0 = None
            try:
                h1 = parse_date(h["end"])
            except ValueError as e:
                c.err("horizon.end", str(e))
                h1 = None
            if h0 and h1:
                if h1 < h0:
                    c.err("horizon", f"end {h1} is before start {h0}")
                else:
                    hz = (h0, h1)

    lists: dict[str, list[Any]] = {}
    for key, fn in (("rooms", _room), ("interpreters", _interp), ("childcare", _care),
                    ("families", _family), ("events", _event)):
        raw = _list(c, top, key) if key in top else []
        out = [fn(c, x, _join(key, i)) for i, x in enumerate(raw)]
        _unique(c, out, key, raw)
        lists[key] = out

    raw_events = {x.get("id") for x in top.get("events", []) if isinstance(x, dict)} if isinstance(
        top.get("events"), list) else set()
    raw_fams = top.get("families", []) if isinstance(top.get("families"), list) else []
    for i, f in enumerate(raw_fams):
        if isinstance(f, dict) and isinstance(f.get("interests"), list):
            for j, name in enumerate(f["interests"]):
                if isinstance(name, str) and name and name not in raw_events:
                    c.err(f"families[{i}].interests[{j}]", f"refers to unknown event {name!r}")

    if c.errors or c.tz is None or slot is None or hz is None:
        if not c.errors:  # pragma: no cover - defensive
            c.err("", "invalid instance")
        raise InstanceError(c.errors)
    tz = c.tz
    horizon = (to_abs(dt.datetime.combine(hz[0], dt.time()), tz),
               to_abs(dt.datetime.combine(hz[1] + dt.timedelta(days=1), dt.time()), tz))
    return Instance(
        timezone=c.tz_name, tz=tz, slot_minutes=slot, horizon_dates=hz, horizon=horizon,
        rooms=tuple(lists["rooms"]), interpreters=tuple(lists["interpreters"]),
        childcare=tuple(lists["childcare"]), families=tuple(lists["families"]),
        events=tuple(lists["events"]),
    )
