"""The M/M/c simulation through the real server agrees with Erlang C, and is reproducible."""

from __future__ import annotations

import pytest

from hall.queueing import mmc_mean_wait
from simulators.mmc import MmcParams, recursion_days, simulate, simulate_days

pytestmark = pytest.mark.timeout(360)  # 20 simulated hours at ρ = 0.8 take about 80 s on a quiet 2-core machine


def test_the_same_seed_gives_the_same_queue():
    params = MmcParams(cabins=2, arrivals_per_hour=12, service_minutes=5, hours=3, seed=4)
    first, second = simulate(params), simulate(params)
    assert first == second
    assert first["served"] == first["issued"] > 0


@pytest.mark.parametrize(
    ("cabins", "per_hour"),
    [(2, 12), (3, 24), pytest.param(5, 48, marks=pytest.mark.slow)],  # ρ = 0.5, 0.67, 0.8 at 5-minute service
)
def test_measured_wait_agrees_with_erlang_c_within_the_confidence_interval(cabins: int, per_hour: float):
    result = simulate(MmcParams(cabins=cabins, arrivals_per_hour=per_hour, service_minutes=5, hours=20, seed=7))
    assert result["counted"] > 200
    assert abs(result["mean_wait_minutes"] - result["erlang_mean_wait_minutes"]) <= result["mean_wait_ci95_minutes"]
    assert abs(result["p_wait"] - result["erlang_p_wait"]) <= result["p_wait_ci95"]


def test_days_start_in_the_steady_state_and_the_server_is_exactly_the_fcfs_queue(tmp_path):
    # ρ = 0.9 on 3 cabins: each day starts with the citizens M/M/c's steady state draws.
    params = MmcParams(cabins=3, arrivals_per_hour=32.4, service_minutes=5, hours=1.5, seed=11)
    log = tmp_path / "days.jsonl"
    result = simulate_days(params, 2, log=log)
    assert len(log.read_text().splitlines()) == 2
    assert simulate_days(params, 2, log=log) == result  # the days kept in the log are taken, not run again
    assert len(log.read_text().splitlines()) == 2
    assert result["days"] == 2 and result["counted"] > 60
    # Every citizen waited exactly as long as in the FCFS recursion of the same arrivals and visits.
    assert result["exact_fcfs_max_difference_seconds"] == 0.0
    assert len(result["per_day_mean_wait_minutes"]) == 2
    assert result["mean_wait_ci95_minutes"] > 0 and 0 < result["p_wait"] < 1
    assert result["erlang_mean_wait_minutes"] == pytest.approx(mmc_mean_wait(3, 32.4, 12) * 60, abs=1e-3)


def test_the_control_variates_narrow_the_interval_and_keep_the_mean():
    # 600 short days at ρ = 0.95 on 2 cabins, queued by the FCFS recursion (which the server
    # reproduces to the second): the controlled estimate is Erlang C's within its interval, and
    # the interval is several times narrower than the plain mean's.
    result = recursion_days(MmcParams(cabins=2, arrivals_per_hour=22.8, service_minutes=5, hours=2.5, seed=1), 1, 600)
    controlled = result["controlled"]
    assert abs(controlled["mean_wait_minutes"] - result["erlang_mean_wait_minutes"]) <= controlled["mean_wait_ci95_minutes"]
    assert controlled["mean_wait_ci95_minutes"] < result["mean_wait_ci95_minutes"] / 2
    assert result["ideal_relative_rmse"] > 0
