"""Queueing formulas for wait estimates and for validating the simulators (M/M/c).

Notation: c servers (cabins), arrival rate λ (`lam`), service rate per server μ (`mu`), offered
load a = λ/μ in Erlangs, utilisation ρ = a/c. Rates and times only need consistent units:
λ and μ per hour give waits in hours, per minute give minutes.

Erlang C and everything built on it describe a stable queue only: ρ >= 1 means the queue grows
without bound, and the functions raise `ValueError` saying so instead of returning nonsense.
"""

from __future__ import annotations

import math

__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc_mean_wait",
    "mmc_p_wait_gt",
    "predictor_relative_rmse",
]


def _check_servers(c: int) -> None:
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise ValueError(f"the number of servers must be a whole number >= 1, got {c!r}")


def _check_stable(c: int, a: float) -> None:
    rho = a / c
    if rho >= 1:
        raise ValueError(
            f"offered load {a:g} Erlang on {c} servers is utilisation ρ = {rho:.3f} >= 1: "
            "the queue grows without bound (add servers or reduce the load)"
        )


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of an M/M/c/c loss system, by the stable recursion
    B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)). Defined for any load a >= 0."""
    _check_servers(c)
    if a < 0 or math.isnan(a):
        raise ValueError(f"offered load must be >= 0 Erlang, got {a!r}")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c: C = B / (1 − ρ(1 − B)), ρ = a/c < 1."""
    b = erlang_b(c, a)
    _check_stable(c, a)
    rho = a / c
    return b / (1 - rho * (1 - b))


def _offered_load(c: int, lam: float, mu: float) -> float:
    _check_servers(c)
    if not mu > 0:
        raise ValueError(f"service rate μ must be > 0, got {mu!r}")
    if lam < 0 or math.isnan(lam):
        raise ValueError(f"arrival rate λ must be >= 0, got {lam!r}")
    return lam / mu


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue Wq = C / (cμ − λ), in the time unit of 1/λ and 1/μ."""
    a = _offered_load(c, lam, mu)
    return erlang_c(c, a) / (c * mu - lam)


def mmc_p_wait_gt(c: int, lam: float, mu: float, t: float) -> float:
    """P(wait > t) = C·e^(−(cμ − λ)t) for t >= 0."""
    if t < 0 or math.isnan(t):
        raise ValueError(f"t must be >= 0, got {t!r}")
    a = _offered_load(c, lam, mu)
    return erlang_c(c, a) * math.exp(-(c * mu - lam) * t)


def predictor_relative_rmse(rho: float) -> float:
    """Relative RMSE over waiting citizens of the queue-length predictor (n+1)/(sμ) in M/M/s:
    √(1 − ρ), for 0 <= ρ < 1 (0.447, 0.316, 0.224 at ρ = 0.8, 0.9, 0.95)."""
    if not 0 <= rho < 1:
        raise ValueError(
            f"utilisation ρ = {rho!r} is outside [0, 1): the predictor's error is defined "
            "for a stable queue only"
        )
    return math.sqrt(1 - rho)
