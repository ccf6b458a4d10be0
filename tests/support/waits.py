"""Bounds for the waits in tests: a test that waits for something that never comes fails.

They are generous on purpose: they only turn a hang into a failure, and they must hold on a
2-core machine with the other core busy. pytest-timeout (pyproject) catches whatever is left.
"""

from __future__ import annotations

from typing import Any

import trio

WAIT = 30.0  # one answer, frame or event that should come at once
HTTP_TIMEOUT = 60.0  # one HTTP request (a busy PostgreSQL commit included)


async def next_message(ws: Any, timeout: float = WAIT) -> Any:
    """The next websocket message (bytes or str); fails the test if none comes in `timeout` s."""
    with trio.fail_after(timeout):
        return await ws.recv()

STEPS = 90.0  # a short conversation of several such steps (a device's visit, a kiosk's print job)
