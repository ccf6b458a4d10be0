"""Putting a hall together: the journal with its read-model projections, the engine with its
domain components, the runtime. One place, used by `hall serve`, the tests and the simulators,
so they all run the same hall.
"""

from __future__ import annotations

from hall.clock import Clock
from hall.config import HallConfig
from hall.journal import Journal

from .runtime import HallRuntime


def build_runtime(config: HallConfig, db_url: str, clock: Clock, *, inline_commit: bool = False) -> HallRuntime:
    """Open the store, replay the hall's journal and return a runtime ready to `run`."""
    projections: list = []  # read models updated in the append transaction (statistics)
    components: list = []  # engine components beyond tickets and cabins (ratings, dossiers)
    journal = Journal(db_url, projections)
    return HallRuntime(config, journal, clock, inline_commit=inline_commit, components=components)
