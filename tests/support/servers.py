"""The real hall server inside the test's trio run, on an ephemeral loopback port.

The server, its journal writer thread and the HTTP client all run for real; a test may give the
hall its own clock (a `ManualClock`), so a scripted day runs in milliseconds and its figures can
be computed by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
import trio

from api.server import HallServer, ServeOptions, run_hall
from support.clock import ManualClock
from support.waits import HTTP_TIMEOUT, WAIT


@asynccontextmanager
async def served_hall(db: str, clock: ManualClock | None = None, config: str | None = None,
                      **options: Any) -> AsyncIterator[tuple[HallServer, httpx.AsyncClient]]:
    """The server (and an HTTP client on it) until the block ends; `options` go to ServeOptions."""
    async with trio.open_nursery() as nursery:
        serve_options = ServeOptions(config=config, db=db, port=0, **options)
        with trio.fail_after(WAIT):
            server = await nursery.start(partial(run_hall, serve_options, clock=clock, shutdown_trigger=trio.sleep_forever))
        async with httpx.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            yield server, http
        nursery.cancel_scope.cancel()


async def login(http: httpx.AsyncClient, username: str, password: str = "demo") -> dict[str, str]:
    """Sign in and return the Authorization header."""
    answer = await http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}
