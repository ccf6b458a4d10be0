"""Wait estimates: the queue-length predictor of DESIGN.md.

A citizen with `ahead` tickets before them, when `servers` cabins work the queue at a mean
service time of `m` minutes, waits on average for `ahead + 1 − free` departures, each taking
`m / servers` minutes (the M/M/s queue-length predictor, whose relative RMSE √(1−ρ) is the best
possible under Poisson arrivals). The range is one standard deviation of that Erlang wait.
Cabins that serve several queues count with the share their weights and the current queue
lengths give this queue, so an empty backup queue does not eat a cabin's capacity. A queue's
length is divided among the cabins that serve it: the return-of-results queue that all 61
cabins help with weighs on each of them by 1/61 of its length, not by all of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SMOOTHING = 0.2  # weight of the newest service time in the running mean


@dataclass(frozen=True)
class Estimate:
    minutes: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"minutes": round(self.minutes, 1), "low": round(self.low, 1), "high": round(self.high, 1)}

    def rounded(self) -> Estimate:
        """To a tenth of a minute: what is told, printed and kept in the journal."""
        return Estimate(round(self.minutes, 1), round(self.low, 1), round(self.high, 1))


def estimate_wait(ahead: int, servers: float, free: float, mean_service_minutes: float) -> Estimate:
    """Expected wait in minutes for a citizen with `ahead` people before them."""
    departures = max(0.0, ahead + 1 - free)
    if departures == 0:
        return Estimate(0.0, 0.0, 0.0)
    servers = max(servers, 1e-9)
    per_departure = mean_service_minutes / servers
    mean = departures * per_departure
    spread = math.sqrt(departures) * per_departure
    return Estimate(mean, max(0.0, mean - spread), mean + spread)


def cabin_share(service: str, profile: dict[str, float], load: dict[str, float]) -> float:
    """The part of one cabin's capacity that goes to `service`.

    `load` is each queue's length per cabin serving it (see the module docstring); the queue
    being estimated counts at least one person, the one asking.
    """
    weight = profile.get(service, 0.0)
    if weight == 0:
        return 0.0
    own = weight * max(load.get(service, 0.0), 1.0)
    others = sum(w * load.get(code, 0.0) for code, w in profile.items() if code != service)
    return own / (own + others)


def smooth(previous: float, observed_minutes: float) -> float:
    """Exponentially smoothed service time; absurd observations (forgotten finish) are capped."""
    observed = min(max(observed_minutes, 0.0), 4 * max(previous, 1.0))
    return (1 - SMOOTHING) * previous + SMOOTHING * observed
