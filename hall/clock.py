"""The one clock: seconds since the epoch, injected everywhere so tests can run whole days.

`SystemClock` is wall time. `OffsetClock` maps a monotonic source (for example trio's clock,
which `trio.testing.MockClock` drives in virtual time) onto a chosen starting instant.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


@dataclass
class OffsetClock:
    start_epoch: float
    source: Callable[[], float]
    _origin: float | None = None

    def now(self) -> float:
        if self._origin is None:
            self._origin = self.source()
        return self.start_epoch + (self.source() - self._origin)
