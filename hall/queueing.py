"""Queueing formulas for wait estimates and for validating the simulators (M/M/c).

Notation: c servers (cabins), arrival rate λ (`lam`), service rate per server μ (`mu`), offered
load a = λ/μ in Erlangs, utilisation ρ = a/c. Rates and times only need consistent units:
λ and μ per hour give waits in hours, per minute give minutes.

Erlang C and everything built on it describe a stable queue only: ρ >= 1 means the queue grows
without bound, and the functions raise `ValueError` saying so instead of returning nonsense.
"""

from __future__ import annotations

import heapq
import math

__all__ = [
    "erlang_b",
    "erlang_c",
    "fcfs_waits",
    "mmc_stationary_count",
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


def mmc_stationary_count(c: int, a: float, u: float) -> int:
    """The number in an M/M/c system in its steady state, drawn by inversion from u in [0, 1):
    p(n) ∝ aⁿ/n! up to c, then a geometric tail with ratio ρ = a/c."""
    _check_servers(c)
    _check_stable(c, a)
    weights = [1.0]
    for n in range(1, c + 1):
        weights.append(weights[-1] * a / n)
    rho = a / c
    total = sum(weights[:c]) + weights[c] / (1 - rho)
    target = u * total
    for n in range(c):
        if target < weights[n]:
            return n
        target -= weights[n]
    # the tail: weights[c]·ρ^k for k >= 0
    k = 0
    term = weights[c]
    while target >= term and term > 0:
        target -= term
        term *= rho
        k += 1
    return c + k


def fcfs_waits(arrivals: list[float], services: list[float], c: int) -> list[float]:
    """Each customer's wait in a first-come-first-served queue with c identical servers (the
    Kiefer–Wolfowitz recursion: a customer starts when the earliest server frees). The exact
    queue a simulation of the same arrivals and service times must reproduce."""
    _check_servers(c)
    free = [float("-inf")] * c
    heapq.heapify(free)
    out = []
    for at, service in zip(arrivals, services):
        start = max(at, heapq.heappop(free))
        out.append(start - at)
        heapq.heappush(free, start + service)
    return out
