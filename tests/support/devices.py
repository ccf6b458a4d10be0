"""Simulated devices whose conversations are bounded.

`simulators.devices` waits without a bound (an answer to a request, a pushed frame, a print
job's result): right for a simulated hall, wrong for a test, where a lost frame must fail the
test instead of hanging the suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import trio

from simulators.devices import DeviceClient, open_device
from support.waits import STEPS

D = TypeVar("D", bound=DeviceClient)


@asynccontextmanager
async def bounded_device(url: str | Sequence[str], device: D, seconds: float = STEPS) -> AsyncIterator[D]:
    """`open_device`, failing with TooSlowError if the whole block takes more than `seconds`."""
    with trio.fail_after(seconds):
        async with open_device(url, device) as opened:
            yield opened


# The default hall's first kiosk over HTTP (its demo token): what a test that only needs tickets
# sends, since an anonymous ticket is a web ticket and needs a phone (api/routes/tickets.py).
KIOSK = {"Authorization": "Device kiosk-01 demo-kiosk-01"}
