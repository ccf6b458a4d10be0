"""Failover between two real `hall serve --node` processes on one PostgreSQL store.

* The owner is SIGKILLed while kiosks issue tickets and a hall screen is attached: the standby
  owns the hall within 5 s, every ticket acknowledged before the kill is in the journal with its
  number, numbering goes on without a gap or a repeat, and the screen resumes.
* Split brain: the owner is SIGSTOPped until the standby has taken over, then SIGCONTed: the
  request it held is refused (503 not_owner, nothing appended), it steps down to standby, and
  the journal has no repeated sequence number.

The clients act as a load balancer would: they send to the node they last found answering and
move to the other one on a refused connection or a 503. Takeover times are printed (they go to
docs/benchmarks.md); tests never assert speed beyond the issue's 5 s bound.
"""

from __future__ import annotations

import json
import re
import signal
import time
from dataclasses import dataclass, field

import httpx
import pytest
import trio
from support.stores import new_schema
from support.waits import WAIT
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.trio.client import connect

from hall.journal import Journal
from simulators.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

TAKEOVER_LIMIT = 5.0  # the issue's bound, from the kill to the standby answering as owner
KIOSKS = 4
SERVICE = "CA-TN"  # numbers W001, W002, … in the default hall


def node(tmp_path, url: str, name: str, *extra: str) -> ServerProcess:
    return ServerProcess.hall(tmp_path, f"node-{name}", db=url, extra=["--node", name, *extra])


async def role(http: httpx.AsyncClient, server: ServerProcess) -> str | None:
    try:
        answer = await http.get(f"{server.url}/api/v1/health", timeout=2)
    except httpx.HTTPError:
        return None
    return answer.json().get("role")


async def wait_for_role(http: httpx.AsyncClient, server: ServerProcess, wanted: str, seconds: float = WAIT) -> float:
    """Seconds until `server` says `wanted` (polled every 50 ms); fails after `seconds`."""
    started = time.monotonic()
    with trio.fail_after(seconds):
        while await role(http, server) != wanted:
            await trio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class Balancer:
    """What a load balancer does for the kiosks: the node that answered last, else the other."""

    nodes: list[ServerProcess]
    current: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # ticket id -> number
    refused: int = 0

    async def issue(self, http: httpx.AsyncClient) -> None:
        for _attempt in range(200):
            target = self.nodes[self.current]
            try:
                answer = await http.post(f"{target.url}/api/v1/tickets", json={"service": SERVICE, "channel": "kiosk", "priority": None}, timeout=5)
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code == 201:
                ticket = answer.json()
                self.acknowledged[ticket["id"]] = ticket["number"]
                return
            if answer is not None and answer.status_code != 503:
                raise AssertionError(f"unexpected answer {answer.status_code}: {answer.text}")
            self.refused += 1
            self.current = 1 - self.current
            await trio.sleep(0.05)
        raise AssertionError("no node took the ticket")


@dataclass
class Screen:
    """A hall TV: snapshot then deltas; reconnects (through the balancer) when its socket ends."""

    balancer: Balancer
    seq: int = -1
    snapshots: int = 0
    numbers_seen: set[str] = field(default_factory=set)

    async def run(self) -> None:
        while True:
            target = self.balancer.nodes[self.balancer.current]
            try:
                async with connect(target.url.replace("http://", "ws://") + "/ws/display/hall", max_size=None, open_timeout=5) as ws:
                    async for raw in ws:
                        self.receive(json.loads(raw))
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            await trio.sleep(0.1)

    def receive(self, frame: dict) -> None:
        if frame["t"] == "snapshot":
            assert frame["seq"] >= self.seq, "a snapshot never goes back in time"
            self.seq, self.snapshots = frame["seq"], self.snapshots + 1
        elif frame["t"] == "delta" and frame["seq"] > self.seq:
            assert frame["events"][0]["seq"] <= self.seq + 1, "deltas follow each other without a gap"
            self.seq = frame["seq"]
            self.numbers_seen |= {e["data"]["number"] for e in frame["events"] if e["type"] == "ticket_issued"}


def journal_facts(url: str) -> tuple[list[int], dict[str, str]]:
    """Every sequence number of the hall's journal, and its issued tickets (id -> number)."""
    journal = Journal(url)
    try:
        events = list(journal.load("qnam"))
    finally:
        journal.close()
    issued = {e.payload.id: e.payload.number for e in events if e.type == "ticket_issued" and e.payload.service == SERVICE}
    return [e.seq for e in events], issued


def assert_numbering(seqs: list[int], issued: dict[str, str]) -> None:
    assert seqs == list(range(1, len(seqs) + 1)), "the journal's sequence numbers run without a gap or a repeat"
    numbers = sorted(int(re.sub(r"\D", "", n)) for n in issued.values())
    assert numbers == list(range(1, len(numbers) + 1)), f"ticket numbers without a gap or a repeat: {numbers}"


async def test_the_standby_takes_over_within_5_s_of_the_owners_death_and_loses_nothing(tmp_path, postgres_url):
    url = new_schema(postgres_url)
    a, b = node(tmp_path, url, "a"), node(tmp_path, url, "b")
    async with a, b, httpx.AsyncClient() as http:
        assert await role(http, a) == "owner" and await role(http, b) == "standby"
        balancer = Balancer([a, b])
        screen = Screen(balancer)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(screen.run)

            async def kiosk(count: int) -> None:
                for _ in range(count):
                    await balancer.issue(http)

            async with trio.open_nursery() as kiosks:  # load before the kill
                for _ in range(KIOSKS):
                    kiosks.start_soon(kiosk, 15)
            before_kill = dict(balancer.acknowledged)
            seen_before = screen.seq
            assert seen_before > 0 and screen.snapshots == 1

            async with trio.open_nursery() as kiosks:  # the kill lands in the middle of more load
                for _ in range(KIOSKS):
                    kiosks.start_soon(kiosk, 15)
                await trio.sleep(0.2)
                killed = time.monotonic()
                await trio.to_thread.run_sync(a.kill)
                await wait_for_role(http, b, "owner", seconds=3 * TAKEOVER_LIMIT)
                takeover = time.monotonic() - killed
            print(f"\ntakeover after SIGKILL: {takeover:.2f} s ({len(balancer.acknowledged)} tickets acknowledged, "
                  f"{balancer.refused} requests refused or failed and retried)")
            assert takeover <= TAKEOVER_LIMIT, f"the standby took {takeover:.2f} s to own the hall"

            with trio.fail_after(WAIT):  # the screen reconnects to the new owner and goes on
                last = (await http.get(f"{b.url}/api/v1/health")).json()["durable_seq"]
                while screen.seq < last or screen.snapshots < 2:
                    await trio.sleep(0.05)
            await balancer.issue(http)
            newest = list(balancer.acknowledged.values())[-1]
            with trio.fail_after(WAIT):
                while newest not in screen.numbers_seen:
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()

    seqs, issued = journal_facts(url)
    for ticket_id, number in balancer.acknowledged.items():
        assert issued.get(ticket_id) == number, f"acknowledged ticket {number} ({ticket_id}) is not in the journal"
    assert set(before_kill) <= set(issued)
    assert_numbering(seqs, issued)


async def test_a_stopped_owner_that_wakes_after_the_takeover_cannot_append(tmp_path, postgres_url):
    url = new_schema(postgres_url)
    a, b = node(tmp_path, url, "a", "--lease-seconds", "2"), node(tmp_path, url, "b", "--lease-seconds", "2")
    async with a, b, httpx.AsyncClient() as http:
        assert await role(http, a) == "owner"
        for _ in range(5):
            assert (await http.post(f"{a.url}/api/v1/tickets", json={"service": SERVICE})).status_code == 201
        a.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            async with trio.open_nursery() as nursery:
                held: list[httpx.Response] = []

                async def held_request() -> None:  # the kernel queues it while the node sleeps
                    held.append(await http.post(f"{a.url}/api/v1/tickets", json={"service": SERVICE}, timeout=60))

                nursery.start_soon(held_request)
                await wait_for_role(http, b, "owner")
                takeover = time.monotonic() - stopped
                after = [(await http.post(f"{b.url}/api/v1/tickets", json={"service": SERVICE})).json()["number"] for _ in range(3)]
                a.proc.send_signal(signal.SIGCONT)
        finally:
            a.proc.send_signal(signal.SIGCONT)
        print(f"\ntakeover after SIGSTOP (lease 2 s): {takeover:.2f} s")
        answer = held[0]
        assert answer.status_code == 503, answer.text
        # Refused either by the fence in its append's transaction (the owner is not known yet)
        # or, if its lease renewal woke first, before the engine was touched: nothing appended.
        assert answer.json()["error"]["code"] == "not_owner" and answer.json()["error"]["owner"] in (None, "b")
        with trio.fail_after(WAIT):  # it steps down, and learns who owns the hall now
            while ((health := (await http.get(f"{a.url}/api/v1/health")).json())["role"], health["owner"]) != ("standby", "b"):
                await trio.sleep(0.05)
        assert health["epoch"] is None
        with trio.fail_after(WAIT):  # the old owner now follows the new one
            while (await http.get(f"{a.url}/api/v1/health")).json()["seq"] != (await http.get(f"{b.url}/api/v1/health")).json()["seq"]:
                await trio.sleep(0.05)
        refused = await http.post(f"{a.url}/api/v1/tickets", json={"service": SERVICE})
        assert refused.status_code == 503 and refused.json()["error"]["owner"] == "b"
    log = a.log_path.read_text()
    assert "stepping down" in log
    seqs, issued = journal_facts(url)
    assert_numbering(seqs, issued)
    assert sorted(issued.values())[-3:] == after and len(issued) == 8  # the held request left nothing
