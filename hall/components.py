"""The components a hall's engine is built with, beside tickets and cabins.

One list, used by `hall serve`, the simulators and the tests, so they all run the same hall.
"""

from __future__ import annotations

from .appointments import AppointmentBook
from .config import HallConfig
from .dispatch import DispatchPolicy
from .dossiers import DossierBook
from .engine import ComponentFactory, Engine
from .ratings import RatingBook

STANDARD_COMPONENTS: tuple[ComponentFactory, ...] = (RatingBook, DossierBook, AppointmentBook)


def build_engine(config: HallConfig, policy: DispatchPolicy | None = None) -> Engine:
    """An empty engine for a hall, with every standard component."""
    return Engine(config, STANDARD_COMPONENTS, policy)
