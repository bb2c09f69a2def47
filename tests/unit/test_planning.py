"""Rows -> engine-format instance: DST, subtraction, childcare levels, kept events; parse + solve + verify."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduler.engine import parse_instance, solve, verify
from scheduler.planning.instance import (
    HorizonTooLong,
    NothingToPlan,
    PlanningRows,
    build_instance,
    kept_event_ids,
    merge,
    parse_key,
    subtract,
)

TZ = "America/Chicago"
CHI = ZoneInfo(TZ)


def at(text: str) -> dt.datetime:
    """Local Chicago wall time -> aware UTC (as the database returns it)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=CHI).astimezone(dt.timezone.utc)


def event(eid: int, **kw) -> dict:
    row = {"id": eid, "school": 1, "title": f"Event {eid}", "duration_minutes": 60,
           "earliest_date": dt.date(2027, 3, 8), "latest_date": dt.date(2027, 3, 19), "min_capacity": 10,
           "room_tags": [], "audience": [], "interpreter_languages": [], "childcare_children": 0,
           "fixed_start": None, "status": "draft", "starts_at": None, "ends_at": None, "room": None,
           "childcare": None, "sequence": 0}
    return row | kw


def weekly(owner: str, oid: int, days, start: int, end: int, **extra) -> list[dict]:
    return [{owner: oid, "weekday": d, "start_minute": start, "end_minute": end, **extra} for d in days]


def rows(**kw) -> PlanningRows:
    base = dict(
        timezone=TZ, events=[event(1)],
        rooms=[{"id": 7, "capacity": 40, "tags": ["accessible"]}],
        room_weekly=weekly("room", 7, range(5), 17 * 60, 21 * 60),
        interpreters=[{"id": 3, "languages": ["es"], "max_events_per_day": 1}],
        interpreter_weekly=weekly("interpreter", 3, range(5), 17 * 60, 21 * 60),
        families=[{"id": 11, "language": "es"}, {"id": 12, "language": "en"}],
        family_weekly=weekly("family", 11, [1], 18 * 60, 20 * 60) + weekly("family", 12, [3], 18 * 60, 20 * 60),
        interests=[{"family": 11, "event": 1}, {"family": 12, "event": 1}],
    )
    return PlanningRows(**(base | kw))


def avail(inst: dict, kind: str, oid: str) -> list[list[str]]:
    return next(x["available"] for x in inst[kind] if x["id"] == oid)


def test_weekly_pattern_keeps_local_time_across_dst():
    inst = build_instance(rows())
    fam = avail(inst, "families", "family-11")
    assert fam == [["2027-03-09T18:00", "2027-03-09T20:00"], ["2027-03-16T18:00", "2027-03-16T20:00"]]
    parsed = parse_instance(inst)
    (a0, _), (a1, _) = next(f for f in parsed.families if f.id == "family-11").available
    assert a1 - a0 == 7 * 24 * 60 - 60  # one real hour shorter: the clocks sprang forward on 14 March
    assert inst["horizon"] == {"start": "2027-03-08", "end": "2027-03-19"} and inst["slot_minutes"] == 15
    room = avail(inst, "rooms", "room-7")
    assert len(room) == 10 and all(a[11:] == "17:00" and b[11:] == "21:00" for a, b in room)


def test_busy_intervals_are_subtracted_and_dated_free_added():
    inst = build_instance(rows(
        interpreter_busy=[{"interpreter": 3, "starts_at": at("2027-03-09T18:30:00"),
                           "ends_at": at("2027-03-09T19:00:30")}],  # seconds widen to the whole minute
        family_dated=[{"family": 11, "starts_at": at("2027-03-16T19:00"), "ends_at": at("2027-03-16T22:00"), "busy": True},
                      {"family": 11, "starts_at": at("2027-03-11T19:30"), "ends_at": at("2027-03-11T21:00"), "busy": False},
                      {"family": 11, "starts_at": at("2027-03-09T20:00"), "ends_at": at("2027-03-09T21:00"), "busy": False}],
    ))
    interp = avail(inst, "interpreters", "interpreter-3")
    assert ["2027-03-09T17:00", "2027-03-09T18:30"] in interp and ["2027-03-09T19:01", "2027-03-09T21:00"] in interp
    assert inst["interpreters"][0]["max_events_per_day"] == 1
    assert avail(inst, "families", "family-11") == [
        ["2027-03-09T18:00", "2027-03-09T21:00"],  # weekly + touching dated free window: one interval
        ["2027-03-11T19:30", "2027-03-11T21:00"], ["2027-03-16T18:00", "2027-03-16T19:00"]]


def test_interests_only_for_planned_events_and_families_that_can_take_part():
    inst = build_instance(rows(
        families=[{"id": 11, "language": "es"}, {"id": 12, "language": "en"}, {"id": 13, "language": "vi"}],
        interests=[{"family": 11, "event": 1}, {"family": 11, "event": 99}],
        registrations=[{"family": 12, "event": 1, "status": "confirmed"}, {"family": 13, "event": 1, "status": "cancelled"}],
    ))
    # 11 said "I'd come" (counts although event 1 is not interpreted into Spanish), 12 registered: both twice;
    # 13 cancelled and reads Vietnamese, which event 1 does not offer: not counted
    assert {f["id"]: f["interests"] for f in inst["families"]} == {
        "family-11": ["event-1"], "family-11-keen": ["event-1"], "family-12": ["event-1"], "family-12-keen": ["event-1"]}


def test_childcare_capacity_by_staff_and_ratio_and_its_room_is_reserved():
    inst = build_instance(rows(
        childcare=[{"id": 5, "capacity": 25, "room": 7}],
        staffing=weekly("childcare", 5, [0], 17 * 60, 19 * 60, staff=1) + weekly("childcare", 5, [0], 18 * 60, 21 * 60, staff=2),
        ratios=[{"childcare": 5, "age_band": "school-age", "children_per_staff": 10},
                {"childcare": 5, "age_band": "infant", "children_per_staff": 4}],
    ))
    care = {c["id"]: (c["capacity"], c["available"]) for c in inst["childcare"]}
    # 17-18 one staff (10), 18-19 three staff (30 -> capped 25), 19-21 two staff (20)
    assert care["childcare-5-10"] == (10, [["2027-03-08T17:00", "2027-03-08T18:00"], ["2027-03-15T17:00", "2027-03-15T18:00"]])
    assert care["childcare-5-25"][1][0] == ["2027-03-08T18:00", "2027-03-08T19:00"]
    assert care["childcare-5-20"][1][0] == ["2027-03-08T19:00", "2027-03-08T21:00"]
    assert parse_key("childcare-5-25", "childcare") == 5 and parse_key("room-5", "childcare") is None
    room = avail(inst, "rooms", "room-7")
    assert not any(a.startswith("2027-03-08") or a.startswith("2027-03-15") for a, _ in room)  # Mondays: childcare
    single = build_instance(rows(childcare=[{"id": 5, "capacity": 12, "room": None}],
                                 staffing=weekly("childcare", 5, range(5), 16 * 60, 21 * 60, staff=2)))
    assert [(c["id"], c["capacity"]) for c in single["childcare"]] == [("childcare-5", 12)]  # default ratio 15 x 2 = 30


def test_kept_published_event_blocks_its_room_and_its_audience():
    kept = event(2, status="published", starts_at=at("2027-03-09T18:00"), ends_at=at("2027-03-09T19:30"), room=7,
                 audience=["grade-3"])
    draft = event(1, audience=["grade-3"], earliest_date=dt.date(2027, 3, 9), latest_date=dt.date(2027, 3, 9))
    inst = build_instance(rows(events=[draft], kept=[kept], rooms=[{"id": 7, "capacity": 40, "tags": []},
                                                                   {"id": 8, "capacity": 40, "tags": []}],
                               room_weekly=weekly("room", 7, range(5), 17 * 60, 21 * 60)
                               + weekly("room", 8, range(5), 17 * 60, 21 * 60)))
    assert ["2027-03-09T17:00", "2027-03-09T18:00"] in avail(inst, "rooms", "room-7")
    assert ["2027-03-09T19:30", "2027-03-09T21:00"] in avail(inst, "rooms", "room-7")
    pinned = next(e for e in inst["events"] if e["id"] == "event-2")
    assert pinned["fixed_start"] == "2027-03-09T18:00" and pinned["room_tags"] == ["kept-event-2"]
    assert kept_event_ids(inst) == {"event-2"}
    assert all("event-2" not in f["interests"] for f in inst["families"])
    result = solve(parse_instance(inst), time_limit=2, seed=0)
    assert verify(parse_instance(inst), result.solution) == []
    placed = {a["event"]: a for a in result.solution["assignments"]}
    assert placed["event-2"]["room"] == "kept-event-2"
    start = placed["event-1"]["start"]  # same audience: not during 18:00-19:30 even in the free room 8
    assert start[11:] <= "17:00" or start[11:] >= "19:30"


def test_claims_that_fill_a_day_block_the_interpreter_that_day():
    claim = {"interpreter": 3, "event": 9, "starts_at": at("2027-03-10T17:00"), "ends_at": at("2027-03-10T18:00")}
    inst = build_instance(rows(claims=[claim]))
    assert not any(a.startswith("2027-03-10") for a, _ in avail(inst, "interpreters", "interpreter-3"))
    roomy = build_instance(rows(claims=[claim], interpreters=[{"id": 3, "languages": ["es"], "max_events_per_day": 2}]))
    assert ["2027-03-10T18:00", "2027-03-10T21:00"] in avail(roomy, "interpreters", "interpreter-3")


def test_fixed_start_off_the_grid_refines_the_slot_and_nothing_to_plan():
    inst = build_instance(rows(events=[event(1, fixed_start=at("2027-03-16T18:10"))]))
    assert inst["slot_minutes"] == 5 and inst["events"][0]["fixed_start"] == "2027-03-16T18:10"
    with pytest.raises(NothingToPlan, match="nothing to plan"):
        build_instance(rows(events=[]))


def test_a_horizon_of_centuries_is_refused_naming_the_event():
    with pytest.raises(HorizonTooLong, match="narrow the window of event 2") as err:
        build_instance(rows(events=[event(1), event(2, earliest_date=dt.date(2027, 1, 1),
                                                   latest_date=dt.date(2999, 12, 31))]))
    assert err.value.field == "events.2"
    with pytest.raises(HorizonTooLong, match="event 3"):  # two ordinary windows, too far apart
        build_instance(rows(events=[event(1), event(3, earliest_date=dt.date(2028, 6, 1),
                                                   latest_date=dt.date(2028, 6, 2))]))
    with pytest.raises(HorizonTooLong, match="outside the years"):
        build_instance(rows(events=[event(4, earliest_date=dt.date(1, 1, 1), latest_date=dt.date(1, 1, 2))]))


def test_full_instance_parses_solves_and_verifies():
    inst = build_instance(rows(
        events=[event(1, interpreter_languages=["es"], childcare_children=8, room_tags=["accessible"]),
                event(2, duration_minutes=90), event(3, interpreter_languages=["so"])],
        childcare=[{"id": 5, "capacity": 20, "room": None}],
        staffing=weekly("childcare", 5, range(5), 16 * 60, 21 * 60, staff=2),
        interests=[{"family": 11, "event": 1}, {"family": 12, "event": 2}, {"family": 11, "event": 3}],
    ))
    parsed = parse_instance(inst)
    result = solve(parsed, time_limit=2, seed=0)
    assert verify(parsed, result.solution) == []
    sol = result.solution
    # each placed event has one family that said "I'd come": it counts twice (scheduler/planning/turnout.py)
    assert sol["objective"]["scheduled"] == 2 and sol["objective"]["attendance"] == 4
    assert [u["event"] for u in sol["unscheduled"]] == ["event-3"] and "Somali" in sol["unscheduled"][0]["reason"]
    one = next(a for a in sol["assignments"] if a["event"] == "event-1")
    assert one["interpreters"] == {"es": "interpreter-3"} and one["childcare"] == "childcare-5"


def test_interval_helpers():
    assert merge([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10)]) == [(1, 4), (5, 9)]
    assert subtract([(0, 10), (20, 30)], [(2, 3), (8, 22), (29, 40)]) == [(0, 2), (3, 8), (22, 29)]
    assert subtract([(0, 10)], []) == [(0, 10)]


def test_a_past_or_out_of_range_window_is_never_placed_and_says_why():
    from scheduler.core.timeutil import date_problem
    from scheduler.planning.instance import plannable

    today = dt.date(2027, 3, 10)
    d = dt.date
    drafts = [
        {"id": 1, "earliest_date": d(2027, 3, 1), "latest_date": d(2027, 3, 9)},  # ended yesterday
        {"id": 2, "earliest_date": d(2027, 3, 1), "latest_date": d(2027, 3, 20),
         "fixed_start": dt.datetime(2027, 3, 9, 18, tzinfo=dt.timezone.utc)},  # its fixed start has passed
        {"id": 3, "earliest_date": d(1, 1, 1), "latest_date": d(2027, 3, 20)},  # outside the sane range
        {"id": 4, "earliest_date": d(2027, 3, 1), "latest_date": d(2027, 3, 20)},  # began before today
        {"id": 5, "earliest_date": d(2027, 3, 10), "latest_date": d(2027, 3, 10)},  # today is still plannable
    ]
    keep, left_out = plannable(drafts, today, date_problem)
    assert [(e["id"], e["earliest_date"]) for e in keep] == [(4, today), (5, today)]  # 4 starts today, not before
    reasons = dict(left_out)
    assert sorted(reasons) == [1, 2, 3]
    assert "ended on 2027-03-09" in reasons[1] and "fixed start has passed" in reasons[2]
    assert "outside the dates we plan for" in reasons[3]
