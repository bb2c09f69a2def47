"""Parsing and validation: every bad field is reported with its JSON path."""
from __future__ import annotations

import datetime as dt

import pytest
from engine_fixtures import base_instance

from scheduler.engine import InstanceError, parse_instance

UTC = dt.timezone.utc


def minutes(y: int, mo: int, d: int, h: int, mi: int) -> int:
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()) // 60


def errors_of(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(InstanceError) as ei:
        parse_instance(data)
    return ei.value.errors


def paths_of(data: dict) -> set[str]:
    return {p for p, _ in errors_of(data)}


def test_valid_instance_parses_to_absolute_minutes() -> None:
    inst = parse_instance(base_instance())
    lib = inst.room("library")
    assert lib is not None and lib.available[0] == (minutes(2027, 3, 1, 20, 0), minutes(2027, 3, 2, 2, 0))
    ev = inst.event("art")  # defaults filled in
    assert ev.room_tags == frozenset() and ev.interpreter_languages == () and ev.childcare_children == 0
    assert ev.audience == frozenset() and ev.fixed_start is None
    assert inst.interpreter("ana").max_events_per_day == 1
    assert inst.horizon == (minutes(2027, 3, 1, 5, 0), minutes(2027, 3, 6, 5, 0))


def _set(data: dict, path: list, value: object) -> dict:
    cur = data
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return data


@pytest.mark.parametrize("path,value,expect,fragment", [
    (["rooms", 0, "colour"], "red", "rooms[0].colour", "unknown key"),
    (["colour"], "red", "colour", "unknown key"),
    (["rooms", 0, "capacity"], -1, "rooms[0].capacity", ">= 0"),
    (["rooms", 0, "capacity"], 12.5, "rooms[0].capacity", "integer"),
    (["rooms", 0, "capacity"], "12", "rooms[0].capacity", "integer"),
    (["rooms", 0, "capacity"], True, "rooms[0].capacity", "integer"),
    (["rooms", 0, "available", 0, 0], "2027-03-01 15:00", "rooms[0].available[0][0]", "YYYY-MM-DDTHH:MM"),
    (["rooms", 0, "available", 0, 1], "2027-02-30T15:00", "rooms[0].available[0][1]", "not a valid"),
    (["events", 0, "fixed_start"], "2027-03-14T02:30", "events[0].fixed_start", "spring-forward gap"),
    (["timezone"], "Mars/Olympus_Mons", "timezone", "unknown IANA"),
    (["rooms", 1, "id"], "library", "rooms[1].id", "duplicate id"),
    (["slot_minutes"], 7, "slot_minutes", "divide 60"),
    (["slot_minutes"], 0, "slot_minutes", "divide 60"),
    (["slot_minutes"], 90, "slot_minutes", "divide 60"),
    (["events", 0, "duration_minutes"], 0, "events[0].duration_minutes", ">= 1"),
    (["events", 0, "min_capacity"], -5, "events[0].min_capacity", ">= 0"),
    (["events", 0, "childcare_children"], -1, "events[0].childcare_children", ">= 0"),
    (["interpreters", 0, "max_events_per_day"], 0, "interpreters[0].max_events_per_day", ">= 1"),
    (["interpreters", 0, "languages", 0], "ES", "interpreters[0].languages[0]", "ISO 639"),
    (["events", 0, "interpreter_languages", 0], "spanish", "events[0].interpreter_languages[0]", "ISO 639"),
    (["families", 0, "language"], "e", "families[0].language", "ISO 639"),
    (["version"], 2, "version", "version 1"),
    (["families", 1, "interests", 1], "no-such-event", "families[1].interests[1]", "unknown event"),
    (["horizon", "end"], "2027-02-01", "horizon", "before start"),
    (["events", 0, "window"], ["2027-03-05T00:00", "2027-03-01T00:00"], "events[0].window", "ends before"),
])
def test_each_bad_field_is_named_by_path(path: list, value: object, expect: str, fragment: str) -> None:
    errs = errors_of(_set(base_instance(), path, value))
    hits = [m for p, m in errs if p == expect]
    assert hits, errs
    assert any(fragment in m for m in hits), hits


def test_missing_required_keys_are_named() -> None:
    data = base_instance()
    del data["events"][0]["duration_minutes"]
    del data["rooms"][1]["available"]
    del data["slot_minutes"]
    assert {"events[0].duration_minutes", "rooms[1].available", "slot_minutes"} <= paths_of(data)


def test_all_errors_collected_at_once() -> None:
    data = base_instance()
    data["rooms"][0]["capacity"] = -3
    data["interpreters"][0]["languages"] = ["Spanish"]
    data["events"][1]["duration_minutes"] = 0
    data["events"][1]["extra"] = 1
    data["families"][0]["available"][0][1] = "tomorrow"
    errs = errors_of(data)
    assert {"rooms[0].capacity", "interpreters[0].languages[0]", "events[1].duration_minutes",
            "events[1].extra", "families[0].available[0][1]"} <= {p for p, _ in errs}
    assert "rooms[0].capacity: must be >= 0" in str(InstanceError(errs))


def test_not_an_object() -> None:
    assert errors_of([1, 2])[0][0] == "$"


def test_optional_max_events_absent_means_no_limit() -> None:
    data = base_instance()
    del data["interpreters"][0]["max_events_per_day"]
    assert parse_instance(data).interpreter("ana").max_events_per_day is None


def test_nonexistent_bound_maps_to_transition_instant() -> None:
    """A window/availability edge in the spring-forward gap means the jump itself
    (02:00 EST = 03:00 EDT = 07:00Z); only a *start* there is an error."""
    data = base_instance()
    data["horizon"] = {"start": "2027-03-13", "end": "2027-03-15"}
    data["rooms"][0]["available"] = [["2027-03-14T02:30", "2027-03-14T05:00"]]
    inst = parse_instance(data)
    assert inst.room("library").available[0][0] == minutes(2027, 3, 14, 7, 0)


def test_ambiguous_time_is_first_occurrence() -> None:
    data = base_instance()
    data["events"][1]["fixed_start"] = "2027-11-07T01:30"
    inst = parse_instance(data)
    assert inst.event("art").fixed_start == minutes(2027, 11, 7, 5, 30)  # EDT, not EST (06:30Z)
