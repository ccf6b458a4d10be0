"""Kill the server with SIGKILL while citizens take tickets: nothing acknowledged is lost.

On SQLite and on PostgreSQL: `hall serve --db` runs as its own process on the test's store.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from simulators.server_process import ServerProcess
from support.stores import BACKENDS
from support.waits import HTTP_TIMEOUT, STEPS
from support.devices import KIOSK

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def take_tickets(url: str, service: str, acknowledged: list[dict], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=5) as http:
        while not stop.is_set():
            try:
                answer = http.post("/api/v1/tickets", json={"service": service}, headers=KIOSK)
            except httpx.HTTPError:
                return  # the server died under us: whatever was not answered was not acknowledged
            if answer.status_code == 201:
                acknowledged.append(answer.json())


@pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)
def test_sigkill_loses_no_acknowledged_ticket_and_numbering_continues(tmp_path, hall_db):
    server = ServerProcess.hall(tmp_path, db=hall_db).start()
    acknowledged: list[dict] = []
    stop = threading.Event()
    threads = [threading.Thread(target=take_tickets, args=(server.url, service, acknowledged, stop))
               for service in ("CA-TN", "CA-TN", "CT-TN", "BHXH-TN")]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + STEPS
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        if not any(t.is_alive() for t in threads):
            break
        time.sleep(0.01)
    server.kill()  # mid-stream: requests are in flight
    stop.set()
    for thread in threads:
        thread.join(HTTP_TIMEOUT)
        assert not thread.is_alive(), "a citizen's client never returned"
    assert len(acknowledged) >= 300

    with ServerProcess.hall(tmp_path, db=hall_db, port=server.port) as restarted, \
            httpx.Client(base_url=restarted.url, timeout=HTTP_TIMEOUT) as http:
        for ticket in acknowledged:
            again = http.get(f"/api/v1/tickets/{ticket['id']}")
            assert again.status_code == 200, f"acknowledged ticket {ticket['number']} was lost"
            assert again.json()["number"] == ticket["number"]
        numbers = [t["number"] for t in acknowledged]
        assert len(numbers) == len(set(numbers)), "a number was acknowledged twice"
        newest = {service: max(int(t["number"][1:]) for t in acknowledged if t["service"] == service) for service in ("CA-TN", "CT-TN")}
        after = http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK).json()
        assert int(after["number"][1:]) > newest["CA-TN"] and after["number"] not in numbers
        waiting = {s["code"]: s["waiting"] for s in http.get("/api/v1/services").json()["services"]}
        assert waiting["CT-TN"] >= sum(1 for t in acknowledged if t["service"] == "CT-TN")
