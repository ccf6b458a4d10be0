"""Putting a hall together: the journal with its read-model projections, the engine with its
domain components, the runtime. One place, used by `hall serve`, the tests and the simulators,
so they all run the same hall.
"""

from __future__ import annotations

from hall.clock import Clock
from hall.components import build_engine
from hall.config import HallConfig
from hall.journal import Journal
from hall.stats import StatsProjection

from .runtime import HallRuntime


def build_runtime(config: HallConfig, db_url: str, clock: Clock, *, inline_commit: bool = False,
                  idle_in_transaction_seconds: float | None = None) -> HallRuntime:
    """Open the store, replay the hall's journal and return a runtime ready to `run`."""
    journal = Journal(db_url, [StatsProjection(config)], idle_in_transaction_seconds=idle_in_transaction_seconds)
    return HallRuntime(build_engine(config), journal, clock, inline_commit=inline_commit)
