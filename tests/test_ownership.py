"""Two nodes, one owner per hall, on PostgreSQL: the lease, the fence, the standby that follows.

The nodes here run in the test's own trio run (two real servers on two ports, one PostgreSQL
schema); tests/test_failover.py kills and stops real server processes.
"""

from __future__ import annotations

import json
import time
from contextlib import AsyncExitStack
from pathlib import Path

from functools import partial

import httpx
import pytest
import trio
from sqlalchemy import text
from support.clock import MONDAY_0800
from support.halls import small_hall
from support.servers import served_hall
from support.stores import new_schema
from support.waits import WAIT, next_message
from support.devices import KIOSK, bounded_device
from websockets.exceptions import ConnectionClosed
from websockets.trio.client import connect

from api.ownership import LEASE_SECONDS
from api.server import ServeOptions, ServeRefused, check_node, run_hall
from devices.protocol import hello, pack, unpack
from hall import commands as c
from hall.components import build_engine
from hall.journal import Journal
from hall.ownership import Fence, Fenced, LeaseStore
from simulators.devices import SimulatedKiosk

SAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "province" / "province.toml"


async def wait_until(predicate, what: str, seconds: float = WAIT) -> None:
    with trio.fail_after(seconds):
        while not predicate():
            await trio.sleep(0.05)


def retry(attempt, seconds: float = WAIT):
    """Call `attempt` until it takes the hall (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        taken, holder = attempt()
        if taken or time.monotonic() > deadline:
            return taken, holder
        time.sleep(0.05)


def test_a_node_needs_postgresql(tmp_path):
    with pytest.raises(ServeRefused, match="--node needs a PostgreSQL store"):
        check_node(ServeOptions(node="a"), f"sqlite:///{tmp_path / 'h.db'}")


def test_an_append_under_a_stale_epoch_is_refused_and_writes_nothing(postgres_url):
    url = new_schema(postgres_url)
    journal = Journal(url)
    a = LeaseStore(journal.engine, "qnam", "a", lease_seconds=60)
    b = LeaseStore(journal.engine, "qnam", "b", lease_seconds=60)
    try:
        taken, holder = a.try_acquire()
        assert taken and holder.epoch == 1
        assert b.try_acquire() == (False, holder)  # a is alive and its lease is fresh
        engine = build_engine(small_hall(any_hour=True))
        first = engine.handle(c.IssueTicket("first", "CA-TN"), MONDAY_0800)
        journal.append("qnam", first, fence=Fence("qnam", 1))
        a.close()  # a's lease connection ends, as when its process dies
        taken, holder = retry(b.try_acquire)  # the backend exits a moment after its socket closes
        assert taken and holder.node == "b" and holder.epoch == 2
        with pytest.raises(Fenced):
            journal.append("qnam", engine.handle(c.IssueTicket("late", "CA-TN"), MONDAY_0800), fence=Fence("qnam", 1))
        assert journal.last_seq("qnam") == first[-1].seq
        assert not a.renew(1)  # a's renewal finds the newer epoch: it steps down
    finally:
        b.close()
        a.close()
        journal.close()


async def test_one_node_owns_the_other_follows_and_refuses_commands(postgres_url):
    url = new_schema(postgres_url)
    async with AsyncExitStack() as stack:
        owner, a = await stack.enter_async_context(served_hall(url, node="a"))
        standby, b = await stack.enter_async_context(served_hall(url, node="b"))
        assert (await a.get("/api/v1/health")).json()["role"] == "owner"
        health = (await b.get("/api/v1/health")).json()
        assert (health["role"], health["node"], health["owner"]) == ("standby", "b", "a")
        assert (await b.get("/api/v1/health?role=owner")).status_code == 503
        assert (await a.get("/api/v1/health?role=owner")).status_code == 200
        assert "\nhall_owner 0.0\n" in (await b.get("/metrics")).text
        assert "\nhall_owner 1.0\n" in (await a.get("/metrics")).text

        refused = await b.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "not_owner" and refused.json()["error"]["owner"] == "a"
        assert "node 'a'" in refused.json()["error"]["message"]

        numbers = [(await a.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()["number"] for _ in range(3)]
        await wait_until(lambda: standby.runtime.durable_seq == owner.runtime.durable_seq, "the standby follows")
        last = numbers[-1]
        assert any(t.number == last for t in standby.runtime.engine.state.tickets.values())
        assert (await b.get("/api/v1/services")).json() == (await a.get("/api/v1/services")).json()


async def test_an_owner_that_stops_hands_every_hall_over_at_once(postgres_url, nursery):
    url = new_schema(postgres_url)
    stop_a = trio.Event()
    options = ServeOptions(db=url, port=0, node="a", province=str(SAMPLE))
    with trio.fail_after(WAIT):
        owner = await nursery.start(partial(run_hall, options, shutdown_trigger=stop_a.wait))
    async with served_hall(url, node="b", province=str(SAMPLE)) as (standby, b):
        assert {h: r.role for h, r in owner.halls.items()} == dict.fromkeys(owner.halls, "owner")
        assert {h: r.role for h, r in standby.halls.items()} == dict.fromkeys(owner.halls, "standby")
        async with httpx.AsyncClient(base_url=owner.url, timeout=30) as a:
            first = (await a.post("/h/hoi-an/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()["number"]
        stop_a.set()  # SIGTERM: a gives its halls up instead of letting the lease lapse
        stopped = trio.current_time()
        await wait_until(lambda: all(r.role == "owner" for r in standby.halls.values()), "b takes every hall")
        assert trio.current_time() - stopped < LEASE_SECONDS
        second = await b.post("/h/hoi-an/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)
        assert second.status_code == 201 and (first, second.json()["number"]) == ("D001", "D002")
        assert (await b.get("/h/hoi-an/api/v1/health")).json()["role"] == "owner"


async def test_devices_are_sent_to_the_owner_and_everything_reconnects_when_a_node_steps_down(postgres_url):
    url = new_schema(postgres_url)
    async with served_hall(url, node="a") as (owner, a), served_hall(url, node="b") as (standby, b):
        # a standby answers a device's hello by closing: 1013, naming the owner
        async with connect(ws_url(standby.url, "/ws/device")) as ws:
            await ws.send(pack(hello("kiosk-01", "demo-kiosk-01", "kiosk")))
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
        assert closed.value.rcvd.code == 1013 and "node 'a'" in closed.value.rcvd.reason

        kiosk = SimulatedKiosk("kiosk-01")
        async with bounded_device([owner.url, standby.url], kiosk), \
                connect(ws_url(owner.url, "/ws/display/hall"), max_size=None) as screen:
            assert json.loads(await next_message(screen))["t"] == "snapshot"
            first = await kiosk.take("CA-TN", request_id="before")
            # a's lease lapses, as when a is frozen (a, alive here, renews every second, so the
            # lapse is written again until b's next try sees it): b takes the hall, and a's
            # renewal finds it gone
            journal = Journal(url)
            try:
                with trio.fail_after(WAIT):
                    while standby.runtime.role != "owner":
                        with journal.engine.begin() as conn:
                            conn.execute(text("UPDATE hall_leases SET renewed_at = '-infinity' WHERE node = 'a'"))
                        await trio.sleep(0.05)
            finally:
                journal.close()
            await wait_until(lambda: owner.runtime.role == "standby", "a steps down")
            with pytest.raises(ConnectionClosed):
                while True:
                    await next_message(screen)  # cut off: the page reconnects for a fresh snapshot
            # the kiosk was closed with 1012 and reconnects by itself: a refuses it (1013,
            # standby), b welcomes it with b's snapshot
            await wait_until(lambda: kiosk.connections >= 2, "the kiosk reconnects to b")
            assert kiosk.url == standby.url
            assert kiosk.welcome["snapshot"]["seq"] >= owner.runtime.engine.state.seq
            assert owner.runtime.owner == "b" and owner.runtime.engine.state.seq == standby.runtime.engine.state.seq
            with trio.fail_after(WAIT):
                assert (await kiosk.take("CA-TN", request_id="before"))["id"] == first["id"]  # retried: the same ticket
                assert (await kiosk.take("CA-TN"))["number"] == "W002"
        assert (await b.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).json()["number"] == "W003"


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path
