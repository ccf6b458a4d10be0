"""Two `hall serve --node` processes and the clients of a failover test (tests/test_failover*.py).

`Balancer` sends the kiosks' tickets as a load balancer would: to the address that answered last,
and on a refused connection or a 502/503/504 to the next one (with one address — nginx in front
— it just tries again, as a kiosk page does). `Screen` is a hall TV: a snapshot, then deltas, and
a reconnection through the balancer's current address whenever its socket ends.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import trio
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.trio.client import connect

from hall.journal import Journal
from simulators.server_process import ServerProcess
from support.waits import WAIT
from support.devices import KIOSK

SERVICE = "CA-TN"  # numbers W001, W002, … in the default hall
RETRYABLE = (502, 503, 504)


def node(workdir: Path, url: str, name: str, *extra: str) -> ServerProcess:
    """`hall serve --node NAME` on the store `url` (started by `with` / `async with`)."""
    return ServerProcess.hall(workdir, f"node-{name}", db=url, extra=["--node", name, *extra])


async def role(http: httpx.AsyncClient, base: str) -> str | None:
    """What the server at `base` says it is (owner / standby), None when it does not answer."""
    try:
        answer = await http.get(f"{base}/api/v1/health", timeout=2)
    except httpx.HTTPError:
        return None
    return answer.json().get("role") if answer.headers.get("content-type", "").startswith("application/json") else None


async def wait_for_role(http: httpx.AsyncClient, base: str, wanted: str, seconds: float = WAIT) -> float:
    """Seconds until the server at `base` says `wanted` (polled every 50 ms); fails after `seconds`."""
    started = time.monotonic()
    with trio.fail_after(seconds):
        while await role(http, base) != wanted:
            await trio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class Balancer:
    urls: list[str]
    current: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # ticket id -> number
    refused: int = 0

    @property
    def url(self) -> str:
        return self.urls[self.current]

    async def issue(self, http: httpx.AsyncClient) -> None:
        """One kiosk ticket, tried until a node acknowledges it (bounded)."""
        last = "nothing"
        for _attempt in range(400):
            tried = self.current  # kiosks share the balancer: move on from the node this one tried
            try:
                answer = await http.post(f"{self.urls[tried]}/api/v1/tickets", json={"service": SERVICE, "channel": "kiosk", "priority": None}, headers=KIOSK, timeout=10)
            except httpx.HTTPError as exc:
                answer, last = None, f"{self.urls[tried]}: {exc!r}"
            if answer is not None and answer.status_code == 201:
                ticket = answer.json()
                self.acknowledged[ticket["id"]] = ticket["number"]
                return
            if answer is not None and answer.status_code not in RETRYABLE:
                raise AssertionError(f"unexpected answer {answer.status_code}: {answer.text}")
            if answer is not None:
                last = f"{self.urls[tried]}: {answer.status_code} {answer.text[:300]}"
            self.refused += 1
            # (toggling instead let an even number of kiosks failing at once flip back to the dead node)
            self.current = (tried + 1) % len(self.urls)
            await trio.sleep(0.05)
        raise AssertionError(f"no node took the ticket; the last answer: {last}")


@dataclass
class Screen:
    balancer: Balancer
    tls: ssl.SSLContext | None = None
    seq: int = -1
    snapshots: int = 0
    numbers_seen: set[str] = field(default_factory=set)

    async def run(self) -> None:
        while True:
            tried = self.balancer.current
            url = re.sub(r"^http", "ws", self.balancer.urls[tried]) + "/ws/display/hall"
            try:
                async with connect(url, max_size=None, open_timeout=5, ssl=self.tls) as ws:
                    async for raw in ws:
                        self.receive(json.loads(raw))
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                # Move on from a node that is gone, as a balancer's health check would: when the
                # kill lands after the kiosks' last ticket no kiosk has moved the balancer on, and
                # the screen dialled the dead node until the test's wait ran out (2 runs in 8).
                if self.balancer.current == tried:
                    self.balancer.current = (tried + 1) % len(self.balancer.urls)
            await trio.sleep(0.1)

    def receive(self, frame: dict) -> None:
        if frame["t"] == "snapshot":
            assert frame["seq"] >= self.seq, "a snapshot never goes back in time"
            self.seq, self.snapshots = frame["seq"], self.snapshots + 1
        elif frame["t"] == "delta" and frame["seq"] > self.seq:
            assert frame["events"][0]["seq"] <= self.seq + 1, "deltas follow each other without a gap"
            self.seq = frame["seq"]
            self.numbers_seen |= {e["data"]["number"] for e in frame["events"] if e["type"] == "ticket_issued"}

    async def resumes(self, http: httpx.AsyncClient, owner: str, balancer: Balancer) -> None:
        """Wait (bounded) until the screen has caught up with the new owner (through a new
        snapshot if its node died; a screen on the standby stays connected) and then sees a
        ticket issued after that as a delta."""
        with trio.fail_after(WAIT):
            last = (await http.get(f"{owner}/api/v1/health")).json()["durable_seq"]
            while self.seq < last:
                await trio.sleep(0.05)
        with trio.fail_after(WAIT):
            while True:
                # A screen whose node died may have seen every event before the kill, and still
                # be reconnecting when this ticket comes: then it gets it in its new snapshot.
                # Once it has that snapshot, the next ticket must come as a delta.
                snapshots = self.snapshots
                await balancer.issue(http)
                newest = list(balancer.acknowledged.values())[-1]
                while newest not in self.numbers_seen and self.snapshots == snapshots:
                    await trio.sleep(0.05)
                if newest in self.numbers_seen:
                    return


def journal_facts(url: str, hall: str = "qnam") -> tuple[list[int], dict[str, str]]:
    """Every sequence number of the hall's journal, and its issued tickets (id -> number)."""
    journal = Journal(url)
    try:
        events = list(journal.load(hall))
    finally:
        journal.close()
    issued = {e.payload.id: e.payload.number for e in events if e.type == "ticket_issued" and e.payload.service == SERVICE}
    return [e.seq for e in events], issued


def assert_kept_and_numbered(url: str, acknowledged: dict[str, str]) -> dict[str, str]:
    """Every acknowledged ticket is in the journal with its number; sequence numbers and ticket
    numbers run without a gap or a repeat. Returns the journal's tickets."""
    seqs, issued = journal_facts(url)
    for ticket_id, number in acknowledged.items():
        assert issued.get(ticket_id) == number, f"acknowledged ticket {number} ({ticket_id}) is not in the journal"
    assert seqs == list(range(1, len(seqs) + 1)), "the journal's sequence numbers run without a gap or a repeat"
    numbers = sorted(int(re.sub(r"\D", "", n)) for n in issued.values())
    assert numbers == list(range(1, len(numbers) + 1)), f"ticket numbers without a gap or a repeat: {numbers}"
    return issued
