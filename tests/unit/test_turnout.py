"""Who an event counts on (scheduler/planning/turnout.py): each rule with a family it counts and one it does not."""

from __future__ import annotations

import datetime as dt

from scheduler.engine import parse_instance
from scheduler.engine.timeutil import parse_local, to_abs
from scheduler.planning.instance import PlanningRows, build_instance
from scheduler.planning.turnout import WEIGHTS, families_free, interests, split_series

EN, ES = {"id": 1, "language": "en"}, {"id": 2, "language": "es"}


def ev(eid: int = 10, **kw) -> dict:
    return {"id": eid, "audience": [], "interpreter_languages": [], "childcare_children": 0} | kw


def kid(family: int, grade: str = "3", band: str = "school-age") -> dict:
    return {"family": family, "grade": grade, "age_band": band}


def counts(families, children, events, said=()) -> tuple[dict, dict, dict]:
    return interests(families, children, events, said, "en")


def test_audience_counts_a_family_with_a_child_in_the_grade_and_not_one_without():
    counted, _, tally = counts([EN, {"id": 3, "language": "en"}], [kid(1, "3"), kid(3, "5")], [ev(audience=["grade-3"])])
    assert counted[1] == {10} and not counted.get(3)
    assert tally[10] == {"audience": 1, "left_out_audience": 1}


def test_grades_written_differently_still_match_the_audience_tag():
    counted, _, _ = counts([EN], [kid(1, "K")], [ev(audience=["grade-k"])])
    assert counted[1] == {10}


def test_a_school_wide_event_counts_every_family_that_can_take_part():
    counted, _, _ = counts([EN, {"id": 3, "language": "en"}], [kid(1, "3"), kid(3, "12")], [ev()])
    assert counted[1] == {10} and counted[3] == {10}


def test_language_counts_when_interpreted_or_the_schools_own_and_not_otherwise():
    counted, _, tally = counts([EN, ES], [kid(1), kid(2)], [ev(10), ev(11, interpreter_languages=["es"])])
    assert counted[1] == {10, 11}  # English is the school's language: both
    assert counted[2] == {11}  # Spanish only where it is interpreted
    assert tally[10] == {"audience": 1, "left_out_language": 1}


def test_a_child_under_school_age_needs_childcare_at_the_event():
    families = [EN, {"id": 3, "language": "en"}]
    children = [kid(1, "pre-k", "toddler"), kid(3, "3")]
    counted, _, tally = counts(families, children, [ev(10), ev(11, childcare_children=8)])
    assert counted[1] == {11}  # the toddler's family only where there is childcare
    assert counted[3] == {10, 11}  # school-age children set no condition
    assert tally[10]["left_out_childcare"] == 1


def test_id_come_counts_whatever_the_rules_and_twice_and_not_for_us_never():
    said = [{"family": 2, "event": 10, "choice": "yes"}, {"family": 1, "event": 10, "choice": "no"}]
    counted, keen, tally = counts([EN, ES], [kid(1), kid(2, "5")], [ev(10, audience=["grade-3"])], said)
    assert counted[2] == {10} and keen == {2: {10}}  # out of the audience and not interpreted, but it said so
    assert not counted.get(1)  # in the audience, but "not for us"
    assert tally[10] == {"interested": 1, "not_for_us": 1}
    assert WEIGHTS == {"audience": 1, "interested": 2, "not_for_us": 0}


def test_a_series_counts_each_family_once_split_by_when_it_is_free():
    counted = {f: {10, 11, 99} for f in range(1, 7)}
    keen = {1: {10, 11}, 6: {10}}
    first_free = {1: 100, 2: 200, 3: 300, 4: 5000, 5: 6000}  # 6 has no weekly pattern: last
    split_series(counted, keen, {10: [10, 11]}, first_free)
    assert [sorted(counted[f] - {99}) for f in range(1, 7)] == [[10], [10], [10], [11], [11], [11]]
    assert all(99 in counted[f] for f in counted)  # other events untouched
    assert keen == {1: {10}, 6: {11}}


DAY = dt.date(2027, 3, 8)  # a Monday
DRAFT = {"school": 1, "title": "Homework routines", "duration_minutes": 60, "earliest_date": DAY, "latest_date": DAY,
         "min_capacity": 0, "room_tags": [], "audience": [], "interpreter_languages": [], "childcare_children": 0,
         "fixed_start": None, "status": "draft", "starts_at": None, "ends_at": None, "room": None, "childcare": None,
         "sequence": 0}


def monday(family: int, start_hour: float, end_hour: float) -> dict:
    return {"family": family, "weekday": 0, "start_minute": int(start_hour * 60), "end_minute": int(end_hour * 60)}


def plan_rows(events: list[dict], family_weekly: list[dict], **kw) -> PlanningRows:
    return PlanningRows(
        timezone="America/Chicago", events=events, rooms=[{"id": 7, "capacity": 40, "tags": []}],
        room_weekly=[{"room": 7, "weekday": 0, "start_minute": 16 * 60, "end_minute": 21 * 60}],
        families=[{"id": 11, "language": "en"}, {"id": 12, "language": "en"}], family_weekly=family_weekly, **kw)


def test_a_series_is_counted_once_by_the_engine():
    """Through build_instance: two sessions, two families, no family counted toward both."""
    inst = build_instance(plan_rows([DRAFT | {"id": 1, "series": 1}, DRAFT | {"id": 2, "series": 1}],
                                    [monday(11, 16, 17), monday(12, 19, 20)]))
    assert {f["id"]: f["interests"] for f in inst["families"]} == {"family-11": ["event-1"], "family-12": ["event-2"]}


def test_families_free_counts_a_family_once_and_only_when_free_for_the_whole_event():
    inst = parse_instance(build_instance(plan_rows(
        [DRAFT | {"id": 1}], [monday(11, 18, 20), monday(12, 18.5, 20)],
        interests=[{"family": 11, "event": 1, "choice": "yes"}])))
    assert {f.id for f in inst.families} == {"family-11", "family-11-keen", "family-12"}
    at = lambda text: to_abs(parse_local(text), inst.tz)  # noqa: E731
    assert families_free(inst, "event-1", at("2027-03-08T18:00")) == 1  # family 12 is free only from 18:30
    assert families_free(inst, "event-1", at("2027-03-08T18:30")) == 2  # 11 once, though it weighs twice
    assert families_free(inst, "event-1", at("2027-03-08T19:30")) == 0  # neither is free until 20:30
