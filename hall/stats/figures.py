"""Figure arithmetic: the sums the queries gather turned into the figures people read. No SQL.

Definitions (docs/statistics.md):

* a percentage is rounded to one decimal and is None when there is nothing to divide by;
* p90 is the nearest-rank 90th percentile: the smallest wait with at least 90 % of the waits at
  or below it;
* satisfaction % = answers at one of the hall file's `[ratings] satisfied` levels ÷ all answers,
  each criterion of a rating counting as one answer;
* an agency's score for the ranking is the mean of its available percentages among dossiers
  returned early or on time, satisfaction, and waits within target; ranks are competition ranks
  (1, 2, 2, 4) and agencies without any of those percentages rank last together.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RETURN_OUTCOMES = ("early", "on_time", "late")  # stat_dossiers.outcome


def pct(part: int | float, whole: int | float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def nearest_rank(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile: the smallest value with at least q of the values at or below."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def mean_minutes(seconds: Sequence[float]) -> float | None:
    return minutes(statistics.fmean(seconds)) if seconds else None


def wait_summary(waits: Iterable[float]) -> dict[str, Any]:
    """Count, mean, median, p90 and longest of waits given in seconds, in minutes."""
    values = sorted(waits)
    if not values:
        return {"waits": 0, "avg_wait_minutes": None, "median_wait_minutes": None, "p90_wait_minutes": None, "max_wait_minutes": None}
    return {
        "waits": len(values),
        "avg_wait_minutes": mean_minutes(values),
        "median_wait_minutes": minutes(statistics.median(values)),
        "p90_wait_minutes": minutes(nearest_rank(values, 0.9)),
        "max_wait_minutes": minutes(values[-1]),
    }


def level_counts(ratings: Mapping[str, int], levels: Sequence[str]) -> dict[str, int]:
    """Answers per level for each of the hall's levels, in the hall file's order."""
    return {level: ratings.get(level, 0) for level in levels}


def satisfaction_pct(ratings: Mapping[str, int], satisfied: Collection[str]) -> float | None:
    """Answers at a satisfied level as a share of every answer (None without answers)."""
    return pct(sum(n for level, n in ratings.items() if level in satisfied), sum(ratings.values()))


def score(f: Mapping[str, Any]) -> float | None:
    """An agency's ranking score: the mean of its available percentages (see the module docstring)."""
    parts = [p for p in (f.get("returned_in_time_pct"), f.get("satisfaction_pct"), f.get("within_target_pct")) if p is not None]
    return round(sum(parts) / len(parts), 2) if parts else None


def rank(scores: Mapping[str, float | None]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4): higher score first; agencies without a score last."""

    def value(s: float | None) -> float:
        return -1.0 if s is None else s

    return {code: 1 + sum(1 for other in scores.values() if value(other) > value(s)) for code, s in scores.items()}


@dataclass
class Tally:
    """What the queries gather for one group (an agency, a cabin, the hall …) before it becomes
    figures: counts, waits and durations in seconds, answers per rating level."""

    tickets_issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    transferred: int = 0
    waits: list[float] = field(default_factory=list)  # seconds, arrival → first call
    within_target: int = 0
    service_seconds: float = 0.0
    busy_seconds: float = 0.0
    open_seconds: float = 0.0
    paused_seconds: float = 0.0
    paused_by_reason: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    ratings: Counter[str] = field(default_factory=Counter)
    dossiers_received: int = 0
    returned: Counter[str] = field(default_factory=Counter)  # by outcome: early | on_time | late
    overdue_pending: int = 0

    def finish(self, levels: Sequence[str], satisfied: Collection[str]) -> dict[str, Any]:
        """The figures of this group; `ratings` lists the hall's levels first, then any other
        level answered (one the hall file no longer has), so nothing counted goes unseen."""
        ratings = level_counts(self.ratings, levels) | {k: n for k, n in self.ratings.items() if k not in levels}
        returned = {f"returned_{outcome}": self.returned[outcome] for outcome in RETURN_OUTCOMES}
        in_time = returned["returned_early"] + returned["returned_on_time"]
        opened, busy = self.open_seconds, self.busy_seconds
        return {
            "tickets_issued": self.tickets_issued, "served": self.served, "no_show": self.no_show,
            "cancelled": self.cancelled, "transferred": self.transferred,
            "paused_by_reason": {k: minutes(v) for k, v in sorted(self.paused_by_reason.items())},
            "ratings": ratings,
            "dossiers_received": self.dossiers_received, **returned, "overdue_pending": self.overdue_pending,
            **wait_summary(self.waits),
            "within_target_pct": pct(self.within_target, len(self.waits)),
            "avg_service_minutes": minutes(self.service_seconds / self.served) if self.served else None,
            "open_minutes": minutes(opened),
            "busy_minutes": minutes(busy),
            "idle_minutes": minutes(max(0.0, opened - busy)),
            "paused_minutes": minutes(self.paused_seconds),
            "satisfaction_pct": satisfaction_pct(ratings, satisfied),
            "dossiers_returned": sum(returned.values()),
            "returned_in_time_pct": pct(in_time, sum(returned.values())),
        }
