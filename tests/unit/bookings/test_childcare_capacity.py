"""Childcare ratio arithmetic: examples and properties."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from resources.childcare_capacity import fits, places_left, staff_needed, staff_on_duty

RATIOS = {"infant": 4, "toddler": 6, "preschool": 10, "school-age": 15}


def test_staff_on_duty_takes_the_thinnest_minute():
    windows = [(17 * 60, 19 * 60, 2), (19 * 60, 21 * 60, 3)]
    assert staff_on_duty(windows, 18 * 60, 20 * 60) == 2
    assert staff_on_duty(windows, 19 * 60, 20 * 60) == 3
    assert staff_on_duty(windows + [(18 * 60, 21 * 60, 1)], 18 * 60, 20 * 60) == 3
    assert staff_on_duty(windows, 16 * 60, 18 * 60) == 0  # nobody before 17:00
    assert staff_on_duty([(17 * 60, 18 * 60, 2), (18 * 60 + 30, 21 * 60, 2)], 17 * 60, 20 * 60) == 0  # a gap


def test_mixed_ages_share_staff_exactly():
    # one adult: 4 infants, or 2 infants + 3 toddlers (1/2 + 1/2), but not 2 infants + 4 toddlers
    assert fits(1, RATIOS, 50, {}, {"infant": 4})
    assert not fits(1, RATIOS, 50, {}, {"infant": 5})
    assert fits(1, RATIOS, 50, {"infant": 2}, {"toddler": 3})
    assert not fits(1, RATIOS, 50, {"infant": 2}, {"toddler": 4})
    assert staff_needed({"infant": 2, "toddler": 3}, RATIOS) == 1


def test_room_cap_and_unaccepted_band():
    assert not fits(10, RATIOS, 20, {"school-age": 20}, {"school-age": 1})
    assert not fits(10, {"school-age": 15}, 20, {}, {"infant": 1})
    assert places_left(10, {"school-age": 15}, 20, {}, "infant") == 0


def test_places_left_examples():
    assert places_left(2, RATIOS, 100, {}, "school-age") == 30
    assert places_left(2, RATIOS, 25, {}, "school-age") == 25
    assert places_left(1, RATIOS, 100, {"infant": 2}, "toddler") == 3
    assert places_left(0, RATIOS, 100, {}, "toddler") == 0


bands = st.sampled_from(sorted(RATIOS))


@given(staff=st.integers(0, 6), cap=st.integers(0, 40), booked=st.lists(bands, max_size=30), band=bands)
def test_places_left_agrees_with_fits(staff, cap, booked, band):
    """Booking exactly places_left children one by one always fits, and one more never does."""
    group = Counter(booked)
    if not fits(staff, RATIOS, cap, {}, group):
        return
    n = places_left(staff, RATIOS, cap, group, band)
    assert fits(staff, RATIOS, cap, group, {band: n})
    assert not fits(staff, RATIOS, cap, group, {band: n + 1})
