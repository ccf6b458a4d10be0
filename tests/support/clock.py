"""The hall's notion of "now", moved only by the test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the time zone of every hall file the tests use


def local(text: str) -> float:
    """Seconds since the epoch of a hall-local time 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


MONDAY_0800 = local("2027-03-01 08:00")


@dataclass
class ManualClock:
    """Seconds since the epoch; the engine and the server read it through `now()`."""

    t: float = MONDAY_0800

    def now(self) -> float:
        return self.t

    def advance(self, minutes: float) -> float:
        self.t += minutes * 60
        return self.t

    def set(self, local_time: str) -> None:
        """Move to a hall-local time 'YYYY-MM-DD HH:MM'."""
        self.t = local(local_time)
