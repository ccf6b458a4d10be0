"""Putting a hall together: the journal with its read-model projections, the engine with its
domain components, the runtime. One place, used by `hall serve`, the tests and the simulators,
so they all run the same hall.
"""

from __future__ import annotations

from hall.clock import Clock
from hall.config import HallConfig
from hall.dossiers import DossierComponent
from hall.journal import Journal
from hall.ratings import RatingBook
from hall.stats import StatsProjection

from .runtime import HallRuntime


def build_runtime(config: HallConfig, db_url: str, clock: Clock, *, inline_commit: bool = False) -> HallRuntime:
    """Open the store, replay the hall's journal and return a runtime ready to `run`."""
    projections: list = [StatsProjection(config)]  # read models updated in the append transaction (statistics)
    ratings = RatingBook(config)
    dossiers = DossierComponent(config)
    components: list = [ratings, dossiers]  # engine components beyond tickets and cabins (ratings, dossiers)
    journal = Journal(db_url, projections)
    runtime = HallRuntime(config, journal, clock, inline_commit=inline_commit, components=components)
    ratings.bind(runtime.engine)  # its rules read tickets; replay needed only its appliers
    dossiers.bind(runtime.engine)
    runtime.dossiers = dossiers  # type: ignore[attr-defined]  # api/dossiers_http.py reads it
    return runtime
