"""A simulated day through the real server: reproducible, consistent displays, real statistics."""

from __future__ import annotations

import pytest

from simulators.day import DayOptions, simulate_day


def test_a_small_day_is_the_same_day_for_the_same_seed_and_the_displays_agree():
    options = DayOptions(seed=5, scale=0.05)
    first, second = simulate_day(options), simulate_day(options)
    for result in (first, second):
        result.pop("wall_seconds"), result.pop("speedup")
    assert first == second
    assert first["issued"] > 50
    assert first["served"] + first["no_shows"] == first["issued"]
    assert first["no_shows"] > 0 and first["pauses"] > 0 and first["dossiers"] > 0
    assert first["display"]["consistent"] and first["display"]["gaps"] == 0
    agencies = first["stats_today"]["agencies"]
    assert sum(a["tickets_issued"] for a in agencies) == first["issued"]
    assert sum(a["dossiers_received"] for a in agencies) == first["dossiers"]


@pytest.mark.slow
def test_the_baseline_dispatch_policy_runs_the_same_citizens():
    weighted = simulate_day(DayOptions(seed=2, scale=0.05))
    fifo = simulate_day(DayOptions(seed=2, scale=0.05, policy="own-department-fifo"))
    assert fifo["policy"] == "own-department-fifo" and weighted["policy"] == "weighted"
    assert fifo["issued"] == weighted["issued"]
