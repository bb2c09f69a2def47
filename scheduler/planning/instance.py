"""Database rows -> an engine-format v1 instance (pure: plain dicts in, a dict out).

``build_instance(PlanningRows(...))`` is a function of plain rows (the dicts
Piccolo's ``select()`` returns), so it is unit-tested without a database;
``scheduler.planning.services`` loads the rows and stores the result.

How the database maps onto the format (and where the format is too small):

* Ids: ``event-<id>``, ``room-<id>``, ``interpreter-<id>``, ``family-<id>``;
  childcare ``childcare-<id>`` or, when its staffed capacity differs between
  windows, ``childcare-<id>-<capacity>`` (one engine resource per capacity
  level, with disjoint availability, so the engine still never books the real
  room twice at once).
* Time: every weekly pattern is local wall-clock in the school's zone and is
  expanded day by day over the horizon, so "Tuesdays 18:00-20:00" stays 18:00
  across a daylight-saving change; dated rows (UTC instants) are subtracted
  or added as instants. All arithmetic is on absolute UTC minutes; the
  output strings are the local wall time of those instants (a time inside the
  fall-back hour's *second* occurrence is written as the first one: the format
  cannot say otherwise).
* Childcare capacity per staffing window = min(resource capacity, staff on
  duty x the *school-age* children-per-staff ratio). Simplification: the
  children who will come are not known at planning time, so the most lenient
  common band is used; younger children are checked when families book.
  Overlapping staffing windows add their staff.
* A room that hosts a childcare resource is not offered to events while that
  childcare is staffed (the format cannot say "either the event or the
  childcare", so the planner stays on the safe side).
* Families: weekly pattern + dated free windows, minus dated busy windows;
  interests = interest rows + non-cancelled registrations, restricted to the
  events in the instance. Families with no such interest are left out (they
  cannot change the objective).
* Published events that are kept (``keep_published``): their room, childcare
  and claimed interpreters are subtracted from those resources' availability,
  and an interpreter whose claimed assignments on a day already reach
  ``max_events_per_day`` is unavailable that whole day. To keep audience
  conflicts with them (the format has no per-event room pin and no holes in a
  window), each kept event is also put in the instance as a *pinned* event:
  ``fixed_start`` = its start, window = exactly its interval, and a private
  room ``kept-event-<id>`` (tag ``kept-event-<id>``) only it can use; it needs
  no interpreter or childcare (already subtracted) and carries no interests,
  so it adds nothing to attendance. A kept event that does not lie wholly
  inside the horizon is only subtracted (audience conflicts with it are not
  modelled).
* ``slot_minutes`` is 15 unless a fixed start is off that grid; then the
  greatest common divisor of 15 and the starts' minutes (5, 3 or 1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.planning import calibration, turnout

SLOT_MINUTES = 15
SCHOOL_AGE_DEFAULT_RATIO = 15  # resources.services.DEFAULT_RATIOS["school-age"]
FORMAT = "%Y-%m-%dT%H:%M"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

Row = dict[str, Any]
Span = tuple[int, int]  # absolute minutes since the epoch, half-open


@dataclasses.dataclass
class PlanningRows:
    """Everything a plan reads, as plain rows (column name -> value).

    ``events`` are the events to place; ``kept`` the published events that
    stay where they are. ``claims`` are interpreter assignments with an
    interpreter (claimed/confirmed) of events that are not re-planned.
    """

    timezone: str
    events: Sequence[Row]
    kept: Sequence[Row] = ()
    rooms: Sequence[Row] = ()
    room_weekly: Sequence[Row] = ()
    interpreters: Sequence[Row] = ()
    interpreter_weekly: Sequence[Row] = ()
    interpreter_busy: Sequence[Row] = ()
    claims: Sequence[Row] = ()
    childcare: Sequence[Row] = ()
    staffing: Sequence[Row] = ()
    ratios: Sequence[Row] = ()
    families: Sequence[Row] = ()
    family_weekly: Sequence[Row] = ()
    family_dated: Sequence[Row] = ()
    interests: Sequence[Row] = ()  # {family, event, choice}: what families said ("yes" or "no")
    registrations: Sequence[Row] = ()
    children: Sequence[Row] = ()  # {family, grade, age_band}: who is in an event's audience
    language: str = "en"  # the language the school's events are held in (its first)
    # no event starts before this instant (the plan is made now: nothing is placed in the past)
    not_before: dt.datetime | None = None
    # attendance history (calibration.Calibration): moves families' engine weights between 1 and 2; None: uncalibrated
    calibration: Any = None


class NothingToPlan(ValueError):
    """No draft (or re-plannable) event: there is no instance to build."""


class HorizonTooLong(ValueError):
    """The events to plan span more days than one plan covers; ``field`` names the event to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- what can be planned at all


def plannable(events: Sequence[Row], today: dt.date, date_problem: Any) -> tuple[list[Row], list[tuple[int, str]]]:
    """The drafts a plan made ``today`` can place, and the others with the reason a person can act on.

    A draft whose window has ended, whose fixed start has passed, or whose
    dates are out of the sane range (``date_problem``, see
    ``timeutil.date_problem``) is left out and listed, rather than failing the
    whole plan; a window that began before today starts today.
    """
    keep, left_out = [], []
    for e in sorted(events, key=lambda r: r["id"]):
        wrong = date_problem(e["earliest_date"], today) or date_problem(e["latest_date"], today)
        if wrong:
            left_out.append((e["id"], f"its window {e['earliest_date']}..{e['latest_date']} is not plannable: {wrong}"))
        elif e["latest_date"] < today:
            left_out.append((e["id"], f"its window ended on {e['latest_date']}; give it dates from {today} on"))
        elif e.get("fixed_start") is not None and e["fixed_start"].date() < today:
            left_out.append((e["id"], "its fixed start has passed; clear it or give a new one"))
        else:
            keep.append({**e, "earliest_date": max(e["earliest_date"], today)})
    return keep, left_out


# ---------------------------------------------------------------- ids


def event_key(event_id: int) -> str:
    return f"event-{event_id}"


def parse_key(key: str, kind: str) -> int | None:
    """``parse_key("room-12", "room") == 12``; ``childcare-3-20`` -> 3; None if not of that kind."""
    prefix = f"{kind}-"
    if not key.startswith(prefix):
        return None
    head = key[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


# ---------------------------------------------------------------- time


def to_minute(instant: dt.datetime) -> int:
    """Absolute minute of an aware instant (seconds dropped)."""
    return int((instant - _EPOCH).total_seconds() // 60)


def to_minute_ceil(instant: dt.datetime) -> int:
    return -int(-(instant - _EPOCH).total_seconds() // 60)


def local_minute(day: dt.date, minute_of_day: int, tz: ZoneInfo) -> int:
    """Absolute minute of a local wall time (``minute_of_day`` may be 1440 = next midnight).

    A wall time in the spring-forward gap is read with the offset before the
    change (02:30 -> 03:30 in Chicago); an ambiguous one is its first occurrence.
    """
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute_of_day)
    return to_minute(naive.replace(tzinfo=tz, fold=0))


def fmt(minute: int, tz: ZoneInfo) -> str:
    """Local ``YYYY-MM-DDTHH:MM`` of an absolute minute."""
    return (_EPOCH + dt.timedelta(minutes=minute)).astimezone(tz).strftime(FORMAT)


def local_date(minute: int, tz: ZoneInfo) -> dt.date:
    return (_EPOCH + dt.timedelta(minutes=minute)).astimezone(tz).date()


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(d) for d in range((last - first).days + 1)]


# ---------------------------------------------------------------- interval sets


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping, with touching spans joined."""
    out: list[list[int]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def subtract(spans: Sequence[Span], holes: Iterable[Span]) -> list[Span]:
    """``spans`` minus ``holes`` (both any order); the result is merged."""
    holes = merge(holes)
    out: list[Span] = []
    for a, b in merge(spans):
        cur = a
        for h0, h1 in holes:
            if h1 <= cur or h0 >= b:
                continue
            if h0 > cur:
                out.append((cur, h0))
            cur = max(cur, h1)
            if cur >= b:
                break
        if cur < b:
            out.append((cur, b))
    return out


def clip(spans: Sequence[Span], bounds: Span) -> list[Span]:
    return [(max(a, bounds[0]), min(b, bounds[1])) for a, b in spans if b > bounds[0] and a < bounds[1]]


def weekly_spans(rows: Iterable[Row], dates: Sequence[dt.date], tz: ZoneInfo) -> list[Span]:
    """A weekly local pattern (weekday 0=Mon, start/end minute) expanded on every date."""
    by_day: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_day[r["weekday"]].append(r)
    spans = []
    for d in dates:
        for r in by_day.get(d.weekday(), ()):
            spans.append((local_minute(d, r["start_minute"], tz), local_minute(d, r["end_minute"], tz)))
    return merge(spans)


def row_span(row: Row, start: str = "starts_at", end: str = "ends_at") -> Span:
    """An instant interval widened to whole minutes (a busy 18:00:30 blocks 18:00)."""
    return to_minute(row[start]), to_minute_ceil(row[end])


def pairs(spans: Sequence[Span], tz: ZoneInfo) -> list[list[str]]:
    return [[fmt(a, tz), fmt(b, tz)] for a, b in spans if b > a]


# ---------------------------------------------------------------- childcare


def staffed_levels(staffing: Sequence[Row], capacity: int, ratio: int, dates: Sequence[dt.date],
                   tz: ZoneInfo) -> dict[int, list[Span]]:
    """Capacity level -> the spans it holds: min(capacity, staff on duty x ratio).

    Overlapping windows add their staff; spans of equal capacity that touch
    are merged; zero-capacity time is dropped.
    """
    by_day: dict[int, list[Row]] = defaultdict(list)
    for r in staffing:
        by_day[r["weekday"]].append(r)
    levels: dict[int, list[Span]] = defaultdict(list)
    for d in dates:
        rows = by_day.get(d.weekday(), ())
        if not rows:
            continue
        cuts = sorted({r["start_minute"] for r in rows} | {r["end_minute"] for r in rows})
        for a, b in zip(cuts, cuts[1:]):
            staff = sum(r["staff"] for r in rows if r["start_minute"] <= a and r["end_minute"] >= b)
            cap = min(capacity, staff * ratio)
            if cap > 0:
                levels[cap].append((local_minute(d, a, tz), local_minute(d, b, tz)))
    return {cap: merge(spans) for cap, spans in levels.items()}


# ---------------------------------------------------------------- the instance


MAX_HORIZON_DAYS = 366
YEARS = (1900, 9998)


def horizon_of(events: Sequence[Row]) -> tuple[dt.date, dt.date]:
    """First and last date of the events' windows; at most MAX_HORIZON_DAYS apart.

    A plan expands every weekly pattern over its horizon, so a draft with a
    window of centuries (a typo) would make planning endless: refused, naming it.
    """
    if not events:
        raise NothingToPlan("nothing to plan: the school has no draft events")
    for e in events:
        if not (YEARS[0] <= e["earliest_date"].year and e["latest_date"].year <= YEARS[1]):
            raise HorizonTooLong(f"events.{e['id']}", f"event {e['id']} {e.get('title', '')!r} has the window "
                                 f"{e['earliest_date']}..{e['latest_date']}, outside the years {YEARS[0]}..{YEARS[1]}")
    first = min(events, key=lambda e: (e["earliest_date"], e["id"]))
    last = max(events, key=lambda e: (e["latest_date"], -e["id"]))
    days_ = (last["latest_date"] - first["earliest_date"]).days + 1
    if days_ > MAX_HORIZON_DAYS:
        wide = max(events, key=lambda e: ((e["latest_date"] - e["earliest_date"]).days, -e["id"]))
        culprit = wide if (wide["latest_date"] - wide["earliest_date"]).days + 1 > MAX_HORIZON_DAYS else last
        raise HorizonTooLong(f"events.{culprit['id']}", (
            f"the draft events span {days_} days ({first['earliest_date']}..{last['latest_date']}); a plan covers at "
            f"most {MAX_HORIZON_DAYS}: narrow the window of event {culprit['id']} {culprit.get('title', '')!r} "
            f"({culprit['earliest_date']}..{culprit['latest_date']}) or cancel it"))
    return first["earliest_date"], last["latest_date"]


def _slot_minutes(fixed: Iterable[int], tz: ZoneInfo) -> int:
    slot = SLOT_MINUTES
    for m in fixed:
        local = (_EPOCH + dt.timedelta(minutes=m)).astimezone(tz)
        slot = math.gcd(slot, local.minute)
    return slot


def build_instance(rows: PlanningRows) -> dict[str, Any]:
    """The engine-format v1 instance for these rows (see the module docstring)."""
    tz = ZoneInfo(rows.timezone)
    first, last = horizon_of(rows.events)
    dates = days(first, last)
    bounds = (local_minute(first, 0, tz), local_minute(last, 1440, tz))
    kept = [k for k in rows.kept if k.get("starts_at") is not None and k.get("ends_at") is not None]
    kept_spans = {k["id"]: row_span(k) for k in kept}

    # rooms: weekly pattern, minus kept events, minus childcare hosted in them while staffed
    room_holes: dict[int, list[Span]] = defaultdict(list)
    for k in kept:
        if k.get("room") is not None:
            room_holes[k["room"]].append(kept_spans[k["id"]])
    staffing_by_care: dict[int, list[Row]] = defaultdict(list)
    for s in rows.staffing:
        staffing_by_care[s["childcare"]].append(s)
    for c in rows.childcare:
        if c.get("room") is not None:
            room_holes[c["room"]] += weekly_spans(staffing_by_care.get(c["id"], ()), dates, tz)
    room_weekly: dict[int, list[Row]] = defaultdict(list)
    for r in rows.room_weekly:
        room_weekly[r["room"]].append(r)
    rooms = []
    for room in sorted(rows.rooms, key=lambda r: r["id"]):
        spans = subtract(clip(weekly_spans(room_weekly.get(room["id"], ()), dates, tz), bounds),
                         room_holes.get(room["id"], ()))
        rooms.append({"id": f"room-{room['id']}", "capacity": room["capacity"], "tags": sorted(room["tags"] or []),
                      "available": pairs(spans, tz)})

    # interpreters: weekly minus busy minus claimed work; a full day of claims blocks the day
    interp_weekly: dict[int, list[Row]] = defaultdict(list)
    for r in rows.interpreter_weekly:
        interp_weekly[r["interpreter"]].append(r)
    interp_holes: dict[int, list[Span]] = defaultdict(list)
    for b in rows.interpreter_busy:
        interp_holes[b["interpreter"]].append(row_span(b))
    claims_per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    for c in rows.claims:
        if c.get("interpreter") is None:
            continue
        span = row_span(c)
        interp_holes[c["interpreter"]].append(span)
        claims_per_day[(c["interpreter"], local_date(span[0], tz))] += 1
    interpreters = []
    for it in sorted(rows.interpreters, key=lambda r: r["id"]):
        limit = it.get("max_events_per_day")
        holes = list(interp_holes.get(it["id"], ()))
        if limit:
            holes += [(local_minute(d, 0, tz), local_minute(d, 1440, tz)) for (iid, d), n in claims_per_day.items()
                      if iid == it["id"] and n >= limit]
        spans = subtract(clip(weekly_spans(interp_weekly.get(it["id"], ()), dates, tz), bounds), holes)
        item: dict[str, Any] = {"id": f"interpreter-{it['id']}", "languages": sorted(it["languages"] or [])}
        if limit:
            item["max_events_per_day"] = limit
        item["available"] = pairs(spans, tz)
        interpreters.append(item)

    # childcare: one engine resource per staffed capacity level
    ratio_of: dict[int, int] = {}
    for r in rows.ratios:
        if r["age_band"] == "school-age":
            ratio_of[r["childcare"]] = r["children_per_staff"]
    care_holes: dict[int, list[Span]] = defaultdict(list)
    for k in kept:
        if k.get("childcare") is not None:
            care_holes[k["childcare"]].append(kept_spans[k["id"]])
    childcare = []
    for c in sorted(rows.childcare, key=lambda r: r["id"]):
        levels = staffed_levels(staffing_by_care.get(c["id"], ()), c["capacity"],
                                ratio_of.get(c["id"], SCHOOL_AGE_DEFAULT_RATIO), dates, tz)
        for cap in sorted(levels, reverse=True):
            spans = subtract(clip(levels[cap], bounds), care_holes.get(c["id"], ()))
            cid = f"childcare-{c['id']}" if len(levels) == 1 else f"childcare-{c['id']}-{cap}"
            childcare.append({"id": cid, "capacity": cap, "available": pairs(spans, tz)})

    # events: those to place, then the kept (pinned) ones
    events = []
    fixed_minutes = []
    earliest = None if rows.not_before is None else -(-to_minute_ceil(rows.not_before) // SLOT_MINUTES) * SLOT_MINUTES
    for e in sorted(rows.events, key=lambda r: r["id"]):
        opens = f"{e['earliest_date'].isoformat()}T00:00"
        if earliest is not None and earliest > local_minute(e["earliest_date"], 0, tz):
            opens = fmt(earliest, tz)  # the window opened earlier today: only from now on
        item = {
            "id": event_key(e["id"]), "duration_minutes": e["duration_minutes"],
            "window": [opens, f"{e['latest_date'].isoformat()}T23:59"],
            "min_capacity": e["min_capacity"] or 0, "room_tags": sorted(e["room_tags"] or []),
            "interpreter_languages": sorted(e["interpreter_languages"] or []),
            "childcare_children": e["childcare_children"] or 0, "audience": sorted(e["audience"] or []),
            "fixed_start": None,
        }
        if e.get("fixed_start") is not None:
            m = to_minute(e["fixed_start"])
            fixed_minutes.append(m)
            item["fixed_start"] = fmt(m, tz)
        events.append(item)
    planned_ids = {e["id"] for e in rows.events}
    for k in sorted(kept, key=lambda r: r["id"]):
        a, b = kept_spans[k["id"]]
        if k["id"] in planned_ids or a < bounds[0] or b > bounds[1]:
            continue
        tag = f"kept-event-{k['id']}"
        capacity = next((r["capacity"] for r in rows.rooms if r["id"] == k.get("room")), 0)
        rooms.append({"id": tag, "capacity": capacity, "tags": [tag], "available": [[fmt(a, tz), fmt(b, tz)]]})
        fixed_minutes.append(a)
        events.append({"id": event_key(k["id"]), "duration_minutes": b - a, "window": [fmt(a, tz), fmt(b, tz)],
                       "min_capacity": 0, "room_tags": [tag], "interpreter_languages": [], "childcare_children": 0,
                       "audience": sorted(k["audience"] or []), "fixed_start": fmt(a, tz)})

    # families: (weekly + dated free) - dated busy; what each counts toward (scheduler/planning/turnout.py)
    counted, keen = turnout.family_interests(rows)
    if rows.calibration is not None and rows.calibration.has_history:  # attendance history: calibration.py
        keen = calibration.weigh(counted, keen, rows.calibration)
    fam_weekly: dict[int, list[Row]] = defaultdict(list)
    for r in rows.family_weekly:
        fam_weekly[r["family"]].append(r)
    fam_free: dict[int, list[Span]] = defaultdict(list)
    fam_busy: dict[int, list[Span]] = defaultdict(list)
    for r in rows.family_dated:
        (fam_busy if r["busy"] else fam_free)[r["family"]].append(row_span(r))
    families = []
    for f in sorted(rows.families, key=lambda r: r["id"]):
        if not counted.get(f["id"]):
            continue
        free = weekly_spans(fam_weekly.get(f["id"], ()), dates, tz) + fam_free.get(f["id"], [])
        available = pairs(subtract(clip(merge(free), bounds), fam_busy.get(f["id"], ())), tz)
        ordered = lambda ids: sorted((event_key(i) for i in ids), key=lambda s: (len(s), s))  # noqa: E731
        families.append({"id": f"family-{f['id']}", "language": f["language"], "interests": ordered(counted[f["id"]]),
                         "available": available})
        if keen.get(f["id"]):  # "I'd come" counts twice: a second entry, interested in those events only
            families.append({"id": f"family-{f['id']}-keen", "language": f["language"],
                             "interests": ordered(keen[f["id"]]), "available": available})

    return {
        "version": 1, "timezone": rows.timezone, "slot_minutes": _slot_minutes(fixed_minutes, tz),
        "horizon": {"start": first.isoformat(), "end": last.isoformat()},
        "rooms": rooms, "interpreters": interpreters, "childcare": childcare, "families": families, "events": events,
    }


def kept_event_ids(instance: dict[str, Any]) -> set[str]:
    """Engine ids of the pinned (kept published) events of an instance built here."""
    return {r["id"].removeprefix("kept-") for r in instance.get("rooms", []) if r["id"].startswith("kept-event-")}
