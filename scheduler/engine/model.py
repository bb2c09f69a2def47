"""Typed, frozen view of an engine-format v1 instance.

All times are absolute minutes (see timeutil); intervals are half-open
`(start, end)` tuples. Frozen dataclasses so the parsed model can be shared
safely between the solver, the verifier and the explainer.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[int, int]


@dataclass(frozen=True)
class Room:
    id: str
    capacity: int
    tags: frozenset[str]
    available: tuple[Interval, ...]


@dataclass(frozen=True)
class Interpreter:
    id: str
    languages: frozenset[str]
    max_events_per_day: int | None  # None: no limit
    available: tuple[Interval, ...]


@dataclass(frozen=True)
class Childcare:
    id: str
    capacity: int
    available: tuple[Interval, ...]


@dataclass(frozen=True)
class Family:
    id: str
    language: str
    interests: frozenset[str]
    available: tuple[Interval, ...]


@dataclass(frozen=True)
class Event:
    id: str
    duration: int  # minutes
    window: Interval
    min_capacity: int
    room_tags: frozenset[str]
    interpreter_languages: tuple[str, ...]  # order kept for stable output
    childcare_children: int
    audience: frozenset[str]
    fixed_start: int | None
    window_text: tuple[str, str] = ("", "")
    fixed_start_text: str | None = None


@dataclass(frozen=True)
class Instance:
    timezone: str
    tz: ZoneInfo = field(compare=False)
    slot_minutes: int
    horizon_dates: tuple[dt.date, dt.date]
    horizon: Interval  # [local start-date 00:00, local (end-date + 1) 00:00)
    rooms: tuple[Room, ...]
    interpreters: tuple[Interpreter, ...]
    childcare: tuple[Childcare, ...]
    families: tuple[Family, ...]
    events: tuple[Event, ...]

    def event(self, event_id: str) -> Event:
        return self._index("events")[event_id]  # type: ignore[return-value]

    def _index(self, name: str) -> dict[str, object]:
        cache = self.__dict__.setdefault("_idx", {})
        if name not in cache:
            cache[name] = {x.id: x for x in getattr(self, name)}
        return cache[name]

    def room(self, rid: str) -> Room | None:
        return self._index("rooms").get(rid)  # type: ignore[return-value]

    def interpreter(self, iid: str) -> Interpreter | None:
        return self._index("interpreters").get(iid)  # type: ignore[return-value]

    def care(self, cid: str) -> Childcare | None:
        return self._index("childcare").get(cid)  # type: ignore[return-value]

    def event_or_none(self, eid: str) -> Event | None:
        return self._index("events").get(eid)  # type: ignore[return-value]
