"""Input validation names the JSON path; local times become real instants."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conf_fixtures import base, build, example_dict, span

from scheduler.conferences.solver.parse import ProblemError, load_problem, parse_problem
from scheduler.conferences.solver.solver import solve
from scheduler.conferences.solver.verify import verify


def errors_of(d: object) -> list[str]:
    with pytest.raises(ProblemError) as e:
        parse_problem(d)
    return e.value.errors


def test_example_parses() -> None:
    p = build(example_dict())
    assert [f.id for f in p.families] == ["nguyen", "garcia", "baker"]
    assert p.families[2].split and p.teachers[0].language == "en"


def test_unknown_key() -> None:
    d = base()
    d["teachers"][1]["rom"] = "x"
    assert "$.teachers[1].rom: unknown key" in errors_of(d)


def test_missing_key() -> None:
    d = base()
    del d["teachers"][0]["room"]
    assert "$.teachers[0].room: required key is missing" in errors_of(d)


def test_bad_time() -> None:
    d = base()
    d["families"][0]["availability"] = [{"start": "2027-03-09 16:00", "end": "2027-03-09T17:00"}]
    assert any(e.startswith("$.families[0].availability[0].start: bad time") for e in errors_of(d))


def test_end_before_start() -> None:
    d = base()
    d["teachers"][0]["breaks"] = [span("17:00", "16:00")]
    assert "$.teachers[0].breaks[0]: end must be after start" in errors_of(d)


def test_unknown_zone() -> None:
    d = base()
    d["window"]["timezone"] = "Mars/Olympus_Mons"
    assert "$.window.timezone: unknown time zone 'Mars/Olympus_Mons'" in errors_of(d)


def test_unknown_child_references() -> None:
    d = base()
    d["teachers"][2]["students"].append("ghost")
    d["families"][0]["children"].append("nobody")
    errs = errors_of(d)
    assert "$.teachers[2].students[1]: unknown child 'ghost'" in errs
    assert "$.families[0].children[3]: unknown child 'nobody'" in errs


def test_duplicates() -> None:
    d = base()
    d["teachers"].append(dict(d["teachers"][0]))
    d["children"].append({"id": "a"})
    d["families"].append({"id": "other", "children": ["a"]})
    errs = errors_of(d)
    assert "$.teachers[3].id: duplicate id 'lee' (first at $.teachers[0])" in errs
    assert "$.children[3].id: duplicate id 'a' (first at $.children[0])" in errs
    assert "$.families[1].children[0]: child 'a' already belongs to family 'ng'" in errs


def test_all_errors_reported_at_once() -> None:
    d = base()
    d["window"]["slot_minutes"] = "ten"
    d["interpreters"] = [{"id": "x", "languages": "vi", "colour": "red"}]
    errs = errors_of(d)
    assert "$.window.slot_minutes: expected a whole number of minutes between 0 and 1440" in errs
    assert "$.interpreters[0].languages: expected a list" in errs
    assert "$.interpreters[0].colour: unknown key" in errs


def test_not_an_object() -> None:
    assert errors_of([1, 2]) [0] == "$: expected an object"


def test_load_problem_reports_bad_json(tmp_path) -> None:
    f = tmp_path / "x.json"
    f.write_text("{nope")
    with pytest.raises(ProblemError) as e:
        load_problem(f)
    assert e.value.errors[0].startswith("$: not valid JSON")


def test_local_time_is_converted_to_utc_across_dst() -> None:
    d = base()
    # 2027-03-14: New York clocks jump from 02:00 EST to 03:00 EDT.
    d["window"]["evenings"] = [{"start": "2027-03-14T01:00", "end": "2027-03-14T04:00"}]
    ev = build(d).window.evenings[0]
    assert ev.start == datetime(2027, 3, 14, 6, 0, tzinfo=timezone.utc)   # EST = UTC-5
    assert ev.end == datetime(2027, 3, 14, 8, 0, tzinfo=timezone.utc)     # EDT = UTC-4
    assert ev.minutes == 120                                            # real minutes, not 180


def test_nonexistent_local_time_is_rejected() -> None:
    d = base()
    d["window"]["evenings"] = [{"start": "2027-03-14T02:30", "end": "2027-03-14T04:00"}]
    assert "$.window.evenings[0].start: 2027-03-14T02:30 does not exist in America/New_York (clocks skip it)" \
        in errors_of(d)


def test_dst_crossing_evening_is_scheduled_in_real_minutes() -> None:
    """Family free 01:40–03:15 local on the spring-forward night = 35 real
    minutes: three 10-minute meetings + two 5-minute passings = 40 do not
    fit, so exactly one meeting must be left out — wall-clock arithmetic
    (95 minutes) would wrongly place all three."""
    d = base()
    d["window"]["evenings"] = [{"start": "2027-03-14T01:00", "end": "2027-03-14T04:00"}]
    d["families"][0]["availability"] = [{"start": "2027-03-14T01:40", "end": "2027-03-14T03:15"}]
    p = build(d)
    s = solve(p, time_limit=10, effort=2.0)
    assert verify(p, s) == []
    assert len(s.meetings) == 2 and len(s.unplaced) == 1
    for m in s.meetings:
        assert (m.end - m.start).total_seconds() == 600


def test_fall_back_evening_counts_the_repeated_hour() -> None:
    """2027-11-07: New York repeats 01:00–02:00. An evening 00:30–02:30
    local lasts three real hours; ambiguous 01:30 means the first one."""
    d = base()
    d["window"]["evenings"] = [{"start": "2027-11-07T00:30", "end": "2027-11-07T02:30"}]
    d["families"][0]["availability"] = [{"start": "2027-11-07T01:30", "end": "2027-11-07T02:30"}]
    p = build(d)
    assert p.window.evenings[0].minutes == 180
    fam = p.families[0].availability[0]
    assert fam.start == datetime(2027, 11, 7, 5, 30, tzinfo=timezone.utc)   # first 01:30 (EDT)
    assert fam.minutes == 120
