"""A simulated device reconnects by itself (simulators/devices.py): the server is SIGKILLed and
started again on the same port, and a kiosk keeps taking tickets without the test reconnecting
it. The node-takeover case (1012/1013) is in tests/test_ownership.py.
"""

from __future__ import annotations

import time

import pytest
import trio

from simulators.devices import SimulatedKiosk
from simulators.server_process import ServerProcess
from support.devices import bounded_device
from support.stores import BACKENDS
from support.waits import STEPS, WAIT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)
async def test_a_kiosk_keeps_taking_tickets_across_a_server_restart(tmp_path, hall_db):
    server = ServerProcess.hall(tmp_path, db=hall_db)
    restarted = ServerProcess.hall(tmp_path, db=hall_db, port=server.port)
    kiosk = SimulatedKiosk("kiosk-01")
    try:
        await server.astart()
        async with bounded_device(server.url, kiosk):
            with trio.fail_after(WAIT):
                before = [await kiosk.take("CA-TN") for _ in range(3)]
            await trio.to_thread.run_sync(server.kill)
            during: list[dict] = []
            with trio.fail_after(STEPS):
                async with trio.open_nursery() as nursery:

                    async def take_while_down() -> None:  # sent into a dead socket: retried once welcomed back
                        during.append(await kiosk.take("CA-TN", request_id="while-down"))

                    nursery.start_soon(take_while_down)
                    await trio.sleep(0.5)  # the kiosk is knocking at a closed port meanwhile
                    assert not during and kiosk.connections == 1
                    await restarted.astart()
                    healthy = time.monotonic()
            answered = time.monotonic() - healthy
            print(f"\nrestart took {restarted.started_in:.2f} s; the take sent while down was answered "
                  f"{answered:.2f} s after the restarted server first answered its health route")
            assert kiosk.connections == 2, "the kiosk said hello again and took the new welcome"
            assert kiosk.welcome["snapshot"]["seq"] > 0  # the restarted server's state, replayed
            with trio.fail_after(WAIT):
                after = [await kiosk.take("CA-TN") for _ in range(2)]
                again = await kiosk.take("CA-TN", request_id="while-down")
        assert again["id"] == during[0]["id"] and again["number"] == during[0]["number"]
        numbers = [t["number"] for t in before + during + after]
        assert numbers == [f"W{n:03d}" for n in range(1, 7)], numbers  # none lost, none twice
    finally:
        for process in (server, restarted):
            await trio.to_thread.run_sync(process.terminate)
