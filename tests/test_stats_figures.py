"""The figure arithmetic of the statistics, without SQL: the numbers docs/statistics.md defines."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from hall.stats.figures import Tally, nearest_rank, pct, rank, satisfaction_pct, score, wait_summary


def test_a_percentage_has_one_decimal_and_none_without_a_whole():
    assert pct(1, 3) == 33.3 and pct(2, 3) == 66.7 and pct(3, 3) == 100.0
    assert pct(0, 0) is None and pct(0, 5) == 0.0


def test_p90_is_the_nearest_rank_not_an_interpolation():
    ten = [float(i) for i in range(1, 11)]
    assert nearest_rank(ten, 0.9) == 9.0  # 9 of 10 values at or below 9
    assert nearest_rank([5.0, 100.0], 0.9) == 100.0  # one of two is only 50 %
    assert nearest_rank([7.0], 0.9) == 7.0


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200), st.floats(min_value=0.01, max_value=1.0))
def test_the_nearest_rank_is_the_smallest_value_with_q_of_the_values_at_or_below(values, q):
    ordered = sorted(values)
    found = nearest_rank(ordered, q)
    at_or_below = sum(1 for v in ordered if v <= found)
    assert at_or_below >= math.ceil(q * len(ordered) - 1e-9)
    assert all(sum(1 for v in ordered if v <= smaller) < q * len(ordered) for smaller in ordered if smaller < found)


def test_a_wait_summary_is_in_minutes():
    # waits of 20, 15, 20 minutes: mean 18.3, median 20, p90 20, max 20 (tests/test_stats.py, agency CA)
    assert wait_summary([1200.0, 900.0, 1200.0]) == {
        "waits": 3, "avg_wait_minutes": 18.3, "median_wait_minutes": 20.0, "p90_wait_minutes": 20.0, "max_wait_minutes": 20.0,
    }
    assert wait_summary([])["avg_wait_minutes"] is None and wait_summary([])["waits"] == 0


def test_satisfaction_counts_the_levels_the_hall_calls_satisfied():
    answers = {"tot": 3, "kha": 1, "trung_binh": 2, "kem": 2}
    assert satisfaction_pct(answers, ("tot", "kha")) == 50.0
    assert satisfaction_pct(answers, ("tot", "kha", "trung_binh")) == 75.0
    assert satisfaction_pct({"tot": 0}, ("tot",)) is None  # no answers, no percentage


def test_ranks_are_competition_ranks_and_agencies_without_figures_come_last():
    assert rank({"A": 90.0, "B": 75.0, "C": 90.0, "D": None, "E": 10.0, "F": None}) == {"A": 1, "C": 1, "B": 3, "E": 4, "D": 5, "F": 5}
    assert rank({"A": 0.0, "B": None}) == {"A": 1, "B": 2}  # a score of zero still beats no score


def test_the_score_is_the_mean_of_the_available_percentages():
    assert score({"returned_in_time_pct": None, "satisfaction_pct": 75.0, "within_target_pct": 33.3}) == 54.15
    assert score({"returned_in_time_pct": 100.0, "satisfaction_pct": 50.0, "within_target_pct": 0.0}) == 50.0
    assert score({"returned_in_time_pct": None, "satisfaction_pct": None, "within_target_pct": None}) is None


def test_a_tally_becomes_the_figures_of_its_group():
    tally = Tally(served=2, waits=[600.0, 1800.0], within_target=1, service_seconds=1140.0, busy_seconds=1500.0,
                  open_seconds=5400.0, paused_seconds=1800.0)
    tally.paused_by_reason["Họp giao ban"] += 1800.0
    tally.ratings.update({"tot": 1, "kem": 1, "cu": 2})  # "cu": a level of an earlier hall file
    tally.returned.update({"early": 1, "late": 1})
    f = tally.finish(("tot", "kha", "kem"), ("tot", "kha"))
    assert (f["avg_wait_minutes"], f["within_target_pct"], f["avg_service_minutes"]) == (20.0, 50.0, 9.5)
    assert (f["open_minutes"], f["busy_minutes"], f["idle_minutes"], f["paused_minutes"]) == (90.0, 25.0, 65.0, 30.0)
    assert f["paused_by_reason"] == {"Họp giao ban": 30.0}
    assert list(f["ratings"].items()) == [("tot", 1), ("kha", 0), ("kem", 1), ("cu", 2)]  # the hall's levels first
    assert f["satisfaction_pct"] == 25.0  # 1 of 4 answers, the old level's answers included
    assert (f["dossiers_returned"], f["returned_early"], f["returned_on_time"], f["returned_late"], f["returned_in_time_pct"]) == (2, 1, 0, 1, 50.0)


def test_a_group_that_served_nobody_has_no_service_time_and_no_stray_sums():
    f = Tally(tickets_issued=1).finish(("a", "b"), ("a",))
    assert f["avg_service_minutes"] is None and f["satisfaction_pct"] is None and f["idle_minutes"] == 0.0
    assert not {"service_seconds", "busy_seconds", "waits_list", "within_target"} & set(f)
