"""GET /metrics: the Prometheus text format, parsed by prometheus-client's own parser; open
from loopback, otherwise only with an administrator's token."""

from __future__ import annotations

import trio
from prometheus_client.parser import text_string_to_metric_families
from websockets.trio.client import connect

from devices.protocol import hello, pack, unpack
from simulators.devices import device_url
from support.servers import login
from support.waits import WAIT, next_message
from support.devices import KIOSK


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client, **headers: str) -> dict:
    answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


async def test_metrics_count_commands_commits_screens_devices_and_waiting_tickets(hall_server, client):
    before = await scrape(client)
    for service in ("CA-TN", "CA-TN", "CT-TN"):
        assert (await client.post("/api/v1/tickets", json={"service": service}, headers=KIOSK)).status_code == 201
    assert (await client.post("/api/v1/tickets", json={"service": "NOPE"}, headers=KIOSK)).status_code >= 400
    officer = await login(client, "canbo33")
    assert (await client.post("/api/v1/cabins/33/call-next", headers=officer)).status_code >= 400  # not open yet

    async with connect(hall_server.url.replace("http", "ws") + "/ws/display/hall") as screen, \
            connect(device_url(hall_server.url)) as keypad:
        await next_message(screen)  # the snapshot: the screen is subscribed
        await keypad.send(pack(hello("keypad-05", "demo-keypad-05", "keypad")))
        assert unpack(await next_message(keypad))["t"] == "welcome"
        found = await scrape(client)

    issued = value(found, "hall_commands_total", command="IssueTicket", outcome="ok")
    assert issued - value(before, "hall_commands_total", command="IssueTicket", outcome="ok") == 3
    assert value(found, "hall_commands_total", command="IssueTicket", outcome="refused") >= 1
    assert value(found, "hall_commands_total", command="CallNext", outcome="refused") == 1
    assert value(found, "hall_commit_seconds_count") >= 3  # every acknowledged ticket was in a commit
    assert value(found, "hall_commit_seconds_bucket", le="+Inf") == value(found, "hall_commit_seconds_count")
    assert value(found, "hall_waiting_tickets", service="CA-TN") == 2 and value(found, "hall_waiting_tickets", service="CT-TN") == 1
    assert value(found, "hall_waiting_tickets", service="SNV-TN") == 0 and ("hall_waiting_tickets", (("service", "TKQ"),)) in found
    assert value(found, "hall_screens_connected") == 1
    assert value(found, "hall_devices_online") == 1
    assert value(found, "hall_store_failed") == 0


async def test_metrics_through_a_proxy_need_an_administrators_token(client):
    """A forwarded request is never "from loopback", whatever the proxy's own address."""
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert (await client.get("/metrics", headers=forwarded)).status_code == 401
    officer = await login(client, "canbo01")
    assert (await client.get("/metrics", headers={**forwarded, **officer})).status_code == 403
    admin = await login(client, "admin")
    found = await scrape(client, **forwarded, **admin)
    assert ("hall_screens_connected", ()) in found


async def test_metrics_parse_while_tickets_are_issued(client):
    """Scrapes interleaved with commands always parse (the registry is read on the trio thread)."""
    async with trio.open_nursery() as nursery:
        async def issue() -> None:
            for _ in range(30):
                await client.post("/api/v1/tickets", json={"service": "TKQ"}, headers=KIOSK)

        nursery.start_soon(issue)
        with trio.fail_after(WAIT * 2):
            for _ in range(10):
                await scrape(client)
    assert value(await scrape(client), "hall_waiting_tickets", service="TKQ") == 30
