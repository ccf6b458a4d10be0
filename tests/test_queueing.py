"""Queueing formulas against the vectors of DOMAIN.md."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.queueing import (
    erlang_b,
    erlang_c,
    fcfs_waits,
    mmc_mean_wait,
    mmc_stationary_count,
    mmc_p_wait_gt,
    predictor_relative_rmse,
)

ERLANG_C = [
    # servers, offered load (Erlang), probability of waiting
    (5, 2.5, 0.1304),
    (6, 2.5, 0.0474),
    (3, 2.5, 0.7022),
]


@pytest.mark.parametrize(("c", "a", "expected"), ERLANG_C)
def test_erlang_c_matches_the_reference_vectors(c, a, expected):
    assert erlang_c(c, a) == pytest.approx(expected, abs=5e-5)


def test_erlang_b_recursion_small_cases():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_b(3, 0.0) == 0.0


def test_three_cabins_at_five_minute_service_wait_seven_minutes():
    # a = 2.5 Erlang with μ = 12/h means λ = 30/h.
    wait_hours = mmc_mean_wait(3, lam=30.0, mu=12.0)
    assert wait_hours * 60 == pytest.approx(7.02, abs=0.01)


def test_a_small_dedicated_pool_waits_about_twenty_minutes():
    # c = 3, λ = 10 per hour, 15-minute service (μ = 4 per hour).
    wait_minutes = mmc_mean_wait(3, lam=10.0, mu=4.0) * 60
    assert wait_minutes == pytest.approx(21.07, abs=0.05)


def test_one_shared_pool_of_61_at_the_same_load_waits_under_a_minute():
    per_cabin_lam = 10.0 / 3
    wait_minutes = mmc_mean_wait(61, lam=61 * per_cabin_lam, mu=4.0) * 60
    assert wait_minutes < 1.0
    assert wait_minutes < mmc_mean_wait(3, lam=10.0, mu=4.0) * 60 / 20


def test_probability_of_waiting_longer_than_t():
    c, lam, mu = 3, 10.0, 4.0
    assert mmc_p_wait_gt(c, lam, mu, 0.0) == pytest.approx(erlang_c(3, 2.5))
    # cμ − λ = 2 per hour: after half an hour the tail has shrunk by e^-1.
    assert mmc_p_wait_gt(c, lam, mu, 0.5) == pytest.approx(erlang_c(3, 2.5) * math.exp(-1))


@pytest.mark.parametrize(("rho", "expected"), [(0.8, 0.447), (0.9, 0.316), (0.95, 0.224)])
def test_queue_length_predictor_error(rho, expected):
    assert predictor_relative_rmse(rho) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_c(3, 3.0),
        lambda: erlang_c(2, 2.5),
        lambda: mmc_mean_wait(3, lam=12.0, mu=4.0),
        lambda: mmc_p_wait_gt(3, lam=13.0, mu=4.0, t=1.0),
    ],
)
def test_an_overloaded_hall_is_refused_with_a_clear_message(call):
    with pytest.raises(ValueError, match=r"grows without bound"):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(0, 1.0), "servers"),
        (lambda: erlang_b(2, -1.0), "offered load"),
        (lambda: mmc_mean_wait(3, lam=1.0, mu=0.0), "service rate"),
        (lambda: mmc_p_wait_gt(3, lam=1.0, mu=4.0, t=-1.0), "t must be"),
        (lambda: predictor_relative_rmse(1.0), "outside"),
    ],
)
def test_nonsense_inputs_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@given(c=st.integers(1, 80), rho=st.floats(0.0, 0.99))
def test_waiting_is_a_probability_and_at_least_blocking(c, rho):
    a = rho * c
    b, w = erlang_b(c, a), erlang_c(c, a)
    assert 0.0 <= b <= w <= 1.0
    if c > 1:
        assert erlang_c(c, a * (c - 1) / c) <= erlang_c(c - 1, a * (c - 1) / c) + 1e-12


def test_fcfs_waits_by_hand():
    # Two servers: the third customer waits for the first to finish at 5.
    assert fcfs_waits([0, 1, 2, 6], [5, 10, 1, 1], 2) == [0, 0, 3, 0]


def test_fcfs_mean_wait_agrees_with_erlang_c_over_a_long_run():
    rng = random.Random(3)
    t, arrivals = 0.0, []
    for _ in range(200_000):
        t += rng.expovariate(40 / 60)  # λ = 40/h, per minute
        arrivals.append(t)
    services = [rng.expovariate(1 / 5) for _ in arrivals]  # 5-minute service: ρ = 0.67 on 5 servers
    waits = fcfs_waits(arrivals, services, 5)[10_000:]
    assert sum(waits) / len(waits) == pytest.approx(mmc_mean_wait(5, 40 / 60, 1 / 5), rel=0.05)


def test_the_stationary_count_has_the_steady_state_mean():
    c, a = 5, 4.5  # ρ = 0.9
    draws = [mmc_stationary_count(c, a, (i + 0.5) / 20_000) for i in range(20_000)]
    lq = erlang_c(c, a) * (a / c) / (1 - a / c)  # mean queue length
    assert sum(draws) / len(draws) == pytest.approx(lq + a, rel=0.01)
    assert mmc_stationary_count(c, a, 0.0) == 0
