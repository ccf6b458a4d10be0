"""Failover between two real `hall serve --node` processes on one PostgreSQL store.

* The owner is SIGKILLed while kiosks issue tickets and a hall screen is attached: the standby
  owns the hall within 5 s, every ticket acknowledged before the kill is in the journal with its
  number, numbering goes on without a gap or a repeat, and the screen resumes.
* Split brain: the owner is SIGSTOPped until the standby has taken over, then SIGCONTed: the
  request it held is refused (503 not_owner, nothing appended), it steps down to standby, and
  the journal has no repeated sequence number.

The clients act as a load balancer would (support/nodes.py); tests/test_failover_nginx.py puts
a real nginx in front. Takeover times are printed (they go to docs/benchmarks.md); tests never
assert speed beyond the issue's 5 s bound.
"""

from __future__ import annotations

import signal
import time

import httpx
import pytest
import trio
from support.nodes import SERVICE, Balancer, Screen, assert_kept_and_numbered, node, role, wait_for_role
from support.stores import new_schema
from support.waits import WAIT
from support.devices import KIOSK

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

TAKEOVER_LIMIT = 5.0  # the issue's bound, from the kill to the standby answering as owner
KIOSKS = 4


async def kiosks(balancer: Balancer, http: httpx.AsyncClient, each: int) -> None:
    """KIOSKS kiosks issuing `each` tickets, all at once."""

    async def kiosk() -> None:
        for _ in range(each):
            await balancer.issue(http)

    async with trio.open_nursery() as nursery:
        for _ in range(KIOSKS):
            nursery.start_soon(kiosk)


async def test_the_standby_takes_over_within_5_s_of_the_owners_death_and_loses_nothing(tmp_path, postgres_url):
    url = new_schema(postgres_url)
    a, b = node(tmp_path, url, "a"), node(tmp_path, url, "b")
    async with a, b, httpx.AsyncClient() as http:
        assert await role(http, a.url) == "owner" and await role(http, b.url) == "standby"
        balancer = Balancer([a.url, b.url])
        screen = Screen(balancer)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(screen.run)
            await kiosks(balancer, http, 15)  # load before the kill
            before_kill = dict(balancer.acknowledged)
            assert screen.seq > 0 and screen.snapshots == 1

            async with trio.open_nursery() as load:  # the kill lands in the middle of more load
                load.start_soon(kiosks, balancer, http, 15)
                await trio.sleep(0.2)
                killed = time.monotonic()
                await trio.to_thread.run_sync(a.kill)
                await wait_for_role(http, b.url, "owner", seconds=3 * TAKEOVER_LIMIT)
                takeover = time.monotonic() - killed
            print(f"\ntakeover after SIGKILL: {takeover:.2f} s ({len(balancer.acknowledged)} tickets acknowledged, "
                  f"{balancer.refused} requests refused or failed and retried)")
            assert takeover <= TAKEOVER_LIMIT, f"the standby took {takeover:.2f} s to own the hall"
            await screen.resumes(http, b.url, balancer)
            assert screen.snapshots >= 2, "the screen was on the dead node: it reconnected for a new snapshot"
            nursery.cancel_scope.cancel()

    issued = assert_kept_and_numbered(url, balancer.acknowledged)
    assert set(before_kill) <= set(issued)


async def test_a_stopped_owner_that_wakes_after_the_takeover_cannot_append(tmp_path, postgres_url):
    url = new_schema(postgres_url)
    a, b = node(tmp_path, url, "a", "--lease-seconds", "2"), node(tmp_path, url, "b", "--lease-seconds", "2")
    async with a, b, httpx.AsyncClient() as http:
        assert await role(http, a.url) == "owner"
        for _ in range(5):
            assert (await http.post(f"{a.url}/api/v1/tickets", json={"service": SERVICE}, headers=KIOSK)).status_code == 201
        a.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            async with trio.open_nursery() as nursery:
                held: list[httpx.Response] = []

                async def held_request() -> None:  # the kernel queues it while the node sleeps
                    held.append(await http.post(f"{a.url}/api/v1/tickets", json={"service": SERVICE}, timeout=60, headers=KIOSK))

                nursery.start_soon(held_request)
                await wait_for_role(http, b.url, "owner")
                takeover = time.monotonic() - stopped
                after = [(await http.post(f"{b.url}/api/v1/tickets", json={"service": SERVICE}, headers=KIOSK)).json()["number"] for _ in range(3)]
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
        refused = await http.post(f"{a.url}/api/v1/tickets", json={"service": SERVICE}, headers=KIOSK)
        assert refused.status_code == 503 and refused.json()["error"]["owner"] == "b"
    assert "stepping down" in a.log_path.read_text()
    issued = assert_kept_and_numbered(url, {})
    assert sorted(issued.values())[-3:] == after and len(issued) == 8  # the held request left nothing


async def test_a_sign_out_holds_on_the_standby_and_after_the_takeover(tmp_path, postgres_url):
    """Signed-out tokens live in the store: the standby (which serves reads) refuses one within
    its refresh, only the owner signs out, and the node that takes over still refuses it."""
    url = new_schema(postgres_url)
    a, b = node(tmp_path, url, "a"), node(tmp_path, url, "b")
    async with a, b, httpx.AsyncClient(timeout=WAIT) as http:
        assert await role(http, a.url) == "owner" and await role(http, b.url) == "standby"
        out, kept = await sign_in(http, a.url), await sign_in(http, a.url)
        summary = "/api/v1/stats/summary"
        assert (await http.get(b.url + summary, headers=out)).status_code == 200
        refused = await http.post(b.url + "/api/v1/auth/logout", headers=out)
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "not_owner"
        assert (await http.post(a.url + "/api/v1/auth/logout", headers=out)).status_code == 200
        with trio.fail_after(WAIT):
            while (await http.get(b.url + summary, headers=out)).status_code != 401:
                await trio.sleep(0.1)
        await trio.to_thread.run_sync(a.kill)
        await wait_for_role(http, b.url, "owner", seconds=3 * TAKEOVER_LIMIT)
        assert (await http.get(b.url + summary, headers=out)).status_code == 401
        assert (await http.get(b.url + summary, headers=kept)).status_code == 200


async def sign_in(http: httpx.AsyncClient, base: str) -> dict[str, str]:
    answer = await http.post(f"{base}/api/v1/auth/login", json={"username": "quanly", "password": "demo"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}
