"""A hall served for real whose clock the test sets by hand (dossiers and statistics tests).

The server, its journal writer thread and the HTTP clients all run for real; only the hall's
notion of "now" is the test's, so a scripted day can run in milliseconds and its figures can
be computed by hand.
"""

from __future__ import annotations

import datetime as dt
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import AsyncIterator

import httpx
import trio

from api.server import HallServer, ServeOptions, run_hall
from hall.workcalendar import HALL_TZ


@dataclass
class ManualClock:
    """Seconds since the epoch, moved only by the test."""

    t: float

    def now(self) -> float:
        return self.t

    def set(self, local: str) -> None:
        """Move to a local hall time 'YYYY-MM-DD HH:MM'."""
        self.t = dt.datetime.fromisoformat(local).replace(tzinfo=HALL_TZ).timestamp()


def local(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=HALL_TZ).timestamp()


@asynccontextmanager
async def served_hall(db: str, clock: ManualClock, config: str | None = None) -> AsyncIterator[tuple[HallServer, httpx.AsyncClient]]:
    """The real server on an ephemeral port with `clock`; stopped when the block ends."""
    async with trio.open_nursery() as nursery:
        options = ServeOptions(config=config, db=db, port=0)
        server = await nursery.start(partial(run_hall, options, clock=clock, shutdown_trigger=trio.sleep_forever))
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield server, http
        nursery.cancel_scope.cancel()
