"""Serving a real hall for a simulation: in-process under trio's MockClock, or at X× speed.

`served_hall(...)` starts the real server (`api.server.run_hall`: hypercorn, quart-trio, the
journal, every component) on an ephemeral loopback port with the hall clock on `SimTime`, and
gives back a `Hall` for the simulated people. In virtual mode the caller runs it under
`trio.testing.MockClock(autojump_threshold=0)`: whenever every task waits, trio jumps to the
next deadline, so hours pass in milliseconds. The journal then commits inline on the trio
thread (`inline_commit=True`), because the mock clock would jump while a worker thread is busy
(STACK-NOTES.md). In speed mode the clock is real and scaled by X for server and people alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

import trio
import trio.testing

from api.server import HallServer, ServeOptions, run_hall
from hall.clock import OffsetClock
from hall.config import HallConfig

from .citizens import Hall, SimTime

T = TypeVar("T")


@asynccontextmanager
async def served_hall(config_path: str | None, db_url: str, time: SimTime, *, virtual: bool) -> AsyncIterator[tuple[Hall, HallServer]]:
    # Hours pass in milliseconds under the mock clock: hypercorn's idle timeouts would close
    # every keep-alive connection between two actions of an officer, so they are relaxed.
    relaxed = {"keep_alive_timeout": 3600.0, "read_timeout": 3600.0, "ping_interval": 600.0} if virtual else {}
    options = ServeOptions(config=config_path, db=db_url, port=0, inline_commit=virtual, **relaxed)
    clock = OffsetClock(time.start_epoch, time.source)
    async with trio.open_nursery() as nursery:
        server = await nursery.start(partial(run_hall, options, clock=clock, shutdown_trigger=trio.sleep_forever))
        time.origin = trio.current_time()
        clock._origin = time.source()  # the server's clock and the people's start at the same instant
        hall = Hall(server.url, time, kiosk=demo_kiosk(server.runtime.config))
        hall.max_idle = 1800.0 if virtual else 3.0
        yield hall, server
        nursery.cancel_scope.cancel()


def demo_kiosk(config: HallConfig) -> tuple[str, str] | None:
    """The first kiosk of a demo hall, with its demo token (`demo-` + id): citizens take tickets there."""
    kiosks = [d.id for d in config.devices.values() if d.kind == "kiosk"]
    return (kiosks[0], f"demo-{kiosks[0]}") if kiosks and config.demo_credentials else None


def run(main: Callable[..., Awaitable[T]], *args: Any, virtual: bool = True) -> T:
    """trio.run, under a MockClock that jumps over idle time when `virtual`."""
    if virtual:
        return trio.run(main, *args, clock=trio.testing.MockClock(autojump_threshold=0))
    return trio.run(main, *args)
