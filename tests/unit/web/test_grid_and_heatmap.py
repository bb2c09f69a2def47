"""The pure parts behind the pages: the tap grid, the heatmap, the language choice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from scheduler.core.i18n import from_accept_language
from scheduler.planning import heatmap
from scheduler.planning.instance import to_minute
from scheduler.web import grid

cells = st.sets(st.tuples(st.integers(0, 6), st.sampled_from(grid.SLOTS)), max_size=60)


@given(cells)
def test_grid_round_trips_through_windows(picked: set[tuple[int, int]]) -> None:
    assert grid.cells(grid.windows(picked)) == picked


def test_neighbouring_cells_merge_and_partial_windows_show_only_whole_cells() -> None:
    assert grid.windows({(2, 1080), (2, 1110), (2, 1170)}) == [(2, 1080, 1140), (2, 1170, 1200)]
    assert grid.cells([(0, 1090, 1200)]) == {(0, 1110), (0, 1140), (0, 1170)}  # 18:10-20:00
    assert grid.parse(["2-1080", "7-1080", "2-1081", "x", "3-60"]) == {(2, 1080)}


def test_heatmap_counts_families_free_for_the_whole_cell_once_each() -> None:
    heat = heatmap.build([(1, 0, 1080, 1200), (1, 0, 1100, 1170), (2, 0, 1110, 1140), (3, 5, 600, 660)],
                         families=4)
    assert heat.counts[(0, 1080)] == 1
    assert heat.counts[(0, 1110)] == 2  # family 1 twice over counts once
    assert (0, 1140) in heat.counts and heat.counts[(0, 1140)] == 1
    assert heat.weekdays == [0, 1, 2, 3, 4, 5, 6]  # the whole week, Sunday too
    assert heat.who[(0, 1110)] == {1, 2}
    assert heat.level(0, 1110) == 5 and heat.level(0, 1080) in (2, 3) and heat.level(1, 1080) == 0
    assert heat.best(1) == [(2, 0, 1110)]


CHICAGO = ZoneInfo("America/Chicago")


def at(text: str) -> int:
    """Absolute minute of a Chicago wall time."""
    return to_minute(dt.datetime.fromisoformat(text).replace(tzinfo=CHICAGO))


def test_the_week_takes_off_busy_times_adds_dated_free_times_and_shows_sunday() -> None:
    monday = dt.date(2027, 3, 8)
    weekly = [(1, 0, 18 * 60, 20 * 60), (2, 0, 18 * 60, 20 * 60), (1, 6, 14 * 60, 16 * 60)]
    dated = [(2, at("2027-03-08T18:30"), at("2027-03-08T19:15"), True),  # imported from family 2's calendar
             (3, at("2027-03-14T10:00"), at("2027-03-14T11:00"), False)]  # family 3 is free that Sunday morning
    heat = heatmap.build(heatmap.week_windows(weekly, dated, monday, CHICAGO), families=3)
    assert heat.counts[(0, 18 * 60)] == 2
    assert heat.counts[(0, 18 * 60 + 30)] == 1 and heat.counts[(0, 19 * 60)] == 1  # family 2 busy 18:30-19:15
    assert heat.counts[(0, 19 * 60 + 30)] == 2
    assert heat.counts[(6, 14 * 60)] == 1  # Sunday 14 March, the day the clocks change, at wall-clock 14:00
    assert heat.counts[(6, 10 * 60)] == 1 and heat.who[(6, 10 * 60)] == {3}


def test_busy_times_of_another_week_change_nothing() -> None:
    weekly = [(1, 2, 18 * 60, 19 * 60)]
    dated = [(1, at("2027-03-17T18:00"), at("2027-03-17T19:00"), True)]  # the Wednesday after
    heat = heatmap.build(heatmap.week_windows(weekly, dated, dt.date(2027, 3, 8), CHICAGO), families=1)
    assert heat.counts[(2, 18 * 60)] == 1
    later = heatmap.build(heatmap.week_windows(weekly, dated, dt.date(2027, 3, 15), CHICAGO), families=1)
    assert later.counts.get((2, 18 * 60), 0) == 0


def test_accept_language_takes_the_best_language_we_have() -> None:
    assert from_accept_language("fr-CA, vi;q=0.8, en;q=0.5") == "vi"
    assert from_accept_language("ar-EG") == "ar"
    assert from_accept_language("zh-Hant-TW;q=0.9, es;q=0.1") == "zh"
    assert from_accept_language("de, fr;q=0.5") is None
    assert from_accept_language("garbage;;q=x, ") is None
