"""Expected turnout calibrated from attendance (scheduler/planning/calibration.py): what counts as history and
what does not, the shrinkage, the time of day, and what the engine sees."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.planning.calibration import (
    DEFAULT_RATE,
    Calibration,
    bucket,
    calibrate,
    engine_weight,
    expected,
    history,
)
from scheduler.planning.instance import build_instance
from tests.unit.test_turnout import DRAFT, monday, plan_rows

EVE, NOON = "weekday-evening", "weekday-afternoon"


def reg(rid: int, event: int, family: int, status: str = "confirmed") -> dict:
    return {"id": rid, "event": event, "family": family, "status": status}


def check(event: int, registration: int | None = None, family: int | None = None) -> dict:
    return {"event": event, "registration": registration, "family": family}


def past(*ids: int, status: str = "published") -> list[dict]:
    return [{"id": i, "status": status} for i in ids]


def test_buckets_split_the_week_by_weekday_or_weekend_and_the_time_of_day():
    assert bucket(dt.datetime(2027, 3, 8, 9, 0)) == "weekday-morning"  # a Monday
    assert bucket(dt.datetime(2027, 3, 8, 12, 0)) == "weekday-afternoon"
    assert bucket(dt.datetime(2027, 3, 8, 16, 59)) == "weekday-afternoon"
    assert bucket(dt.datetime(2027, 3, 8, 17, 0)) == "weekday-evening"
    assert bucket(dt.datetime(2027, 3, 13, 10, 0)) == "weekend-morning"  # a Saturday


def test_a_registered_family_checked_in_came_and_one_not_checked_in_did_not():
    out = history(past(1), [reg(1, 1, 10), reg(2, 1, 11), reg(3, 1, 12)],
                  [check(1, registration=1), check(1, family=12)], {1: EVE})
    assert {(o.family, o.came) for o in out} == {(10, True), (11, False), (12, True)}  # 12: checked in as the family


def test_an_event_without_any_check_in_is_not_history():
    """Nobody scanned at the door: its zero is not "nobody came"."""
    out = history(past(1, 2), [reg(1, 1, 10), reg(2, 2, 10)], [check(2, registration=2)], {1: EVE, 2: EVE})
    assert [(o.family, o.came) for o in out] == [(10, True)]


def test_a_cancelled_event_never_counts_even_with_check_ins():
    assert history(past(1, status="cancelled"), [reg(1, 1, 10)], [check(1, registration=1)], {1: EVE}) == []


def test_cancelled_and_never_promoted_registrations_never_count():
    regs = [reg(1, 1, 10, "cancelled"), reg(2, 1, 11, "waitlisted"), reg(3, 1, 12, "offered"), reg(4, 1, 13)]
    out = history(past(1), regs, [check(1, registration=4)], {1: EVE})
    assert [o.family for o in out] == [13]


def test_walk_ins_are_in_no_familys_rate():
    """A walk-in (no registration) came, but never said it would: the school's rate stays registered-who-came."""
    checks = [check(1, registration=1), check(1, family=99), check(1)]
    cal = calibrate(history(past(1), [reg(1, 1, 10), reg(2, 1, 11)], checks, {1: EVE}))
    assert cal.prior == 0.5 and 99 not in cal.families and cal.registrations == 2


def test_shrinkage_one_no_show_does_not_zero_a_family_and_a_family_without_history_gets_the_schools_rate():
    outcomes = history(past(1, 2), [reg(1, 1, 10), reg(2, 1, 11), reg(3, 2, 11), reg(4, 2, 12)],
                       [check(1, registration=2), check(2, registration=3), check(2, registration=4)],
                       {1: EVE, 2: EVE})
    cal = calibrate(outcomes, events=2)
    assert cal.prior == pytest.approx(3 / 4)
    assert cal.probability(10) == pytest.approx((0 + 2 * 0.75) / (1 + 2))  # one no-show: 0.5, not 0
    assert cal.probability(11) == pytest.approx((2 + 1.5) / (2 + 2))
    assert cal.probability(77) == pytest.approx(0.75)  # no history of its own: the prior


def test_no_history_at_all_gives_the_default_rate_and_no_factors():
    cal = calibrate([])
    assert not cal.has_history and cal.prior == DEFAULT_RATE and cal.probability(5, EVE) == DEFAULT_RATE
    assert engine_weight(cal, 5, 1) == 1 and engine_weight(cal, 5, 2) == 2


def test_the_time_of_day_factor_moves_a_prediction():
    """Evenings went well, afternoons badly: the same family is likelier at an evening event."""
    regs, checks, buckets = [], [], {}
    for i in range(1, 5):  # four evening events, everyone came; four afternoon ones, one in four came
        buckets[i], buckets[i + 4] = EVE, NOON
        regs += [reg(i * 10 + f, i, f) for f in range(4)] + [reg(i * 10 + 100 + f, i + 4, f) for f in range(4)]
        checks += [check(i, registration=i * 10 + f) for f in range(4)] + [check(i + 4, registration=i * 10 + 100)]
    cal = calibrate(history(past(*range(1, 9)), regs, checks, buckets))
    assert cal.factors[EVE] > 1 > cal.factors[NOON]
    assert cal.probability(3, EVE) > cal.probability(3) > cal.probability(3, NOON)
    assert cal.probability(3, "weekend-morning") == cal.probability(3)  # a bucket with no history: factor 1
    assert expected(cal, [1, 2, 3], EVE) > expected(cal, [1, 2, 3], NOON)


def test_expected_turnout_counts_each_family_once_and_never_above_one():
    cal = Calibration(prior=0.5, families={1: 0.9, 2: 0.2}, factors={EVE: 1.5}, registrations=10)
    assert expected(cal, [1, 2, 2, 3], None) == pytest.approx(0.9 + 0.2 + 0.5)
    assert expected(cal, [1, 2], EVE) == pytest.approx(1.0 + 0.3)  # 0.9 x 1.5 is capped at 1


def test_a_calibration_survives_the_plans_json():
    cal = Calibration(prior=0.5, families={1: 0.9}, factors={EVE: 1.2}, registrations=4, events=2)
    assert Calibration.from_json(cal.to_json()) == cal


def test_engine_weights_move_between_one_and_two_relative_to_the_schools_rate():
    cal = Calibration(prior=0.4, families={1: 0.9, 2: 0.1, 3: 0.4}, factors={}, registrations=20)
    assert engine_weight(cal, 1, 1) == 2  # nearly always comes where the school's average is 0.4
    assert engine_weight(cal, 2, 2) == 1  # said "I'd come" but seldom does
    assert engine_weight(cal, 2, 1) == 1  # never dropped
    assert engine_weight(cal, 3, 1) == 1 and engine_weight(cal, 3, 2) == 2  # average: as uncalibrated


def test_the_instance_carries_the_calibrated_weights_in_format_v1():
    """Through build_instance: the reliable family gets a "-keen" entry, the unreliable keen one loses it."""
    rows = dict(events=[DRAFT | {"id": 1}], family_weekly=[monday(11, 16, 21), monday(12, 16, 21)],
                interests=[{"family": 12, "event": 1, "choice": "yes"}])
    plain = build_instance(plan_rows(**rows))
    assert [f["id"] for f in plain["families"]] == ["family-11", "family-12", "family-12-keen"]
    cal = Calibration(prior=0.4, families={11: 0.9, 12: 0.1}, factors={}, registrations=20)
    calibrated = build_instance(plan_rows(**rows, calibration=cal))
    assert [(f["id"], f["interests"]) for f in calibrated["families"]] == [
        ("family-11", ["event-1"]), ("family-11-keen", ["event-1"]), ("family-12", ["event-1"])]
    assert build_instance(plan_rows(**rows, calibration=calibrate([]))) == plain  # no history: unchanged
