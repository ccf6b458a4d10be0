"""Regression tests for the four hazards of hypercorn's trio worker (STACK-NOTES.md)."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket

import httpx
import pytest
import trio
from websockets.trio.client import connect

from simulators.server_process import ServerProcess
from support.servers import login, served_hall
from support.stores import sqlite_url
from support.waits import HTTP_TIMEOUT, STEPS, WAIT, next_message
from support.devices import KIOSK

UPGRADE = (
    "GET /ws/display/hall HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


PING = 0x9


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


async def read_until_eof(stream: trio.SocketStream) -> bytes:
    data = b""
    while chunk := await stream.receive_some(65536):
        data += chunk
    return data


async def test_http10_request_is_answered_then_the_connection_closes(hall_server):
    stream = await trio.open_tcp_stream(*host_port(hall_server.url))
    await stream.send_all(b"GET /api/v1/health HTTP/1.0\r\nHost: x\r\n\r\n")
    with trio.fail_after(30):  # a hang here is the bug; the bound only keeps CI from hanging
        data = await read_until_eof(stream)
    assert data.startswith(b"HTTP/1.1 200") and b'"status": "ok"' in data


async def test_connection_close_header_is_honoured(hall_server):
    stream = await trio.open_tcp_stream(*host_port(hall_server.url))
    await stream.send_all(b"GET /api/v1/services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    with trio.fail_after(30):
        data = await read_until_eof(stream)
    assert b"200" in data.split(b"\r\n")[0] and b"CA-TN" in data


async def test_a_malformed_websocket_upgrade_cannot_stop_the_server(hall_server, client):
    for _ in range(3):
        stream = await trio.open_tcp_stream(*host_port(hall_server.url))
        key = base64.b64encode(os.urandom(16)).decode()
        await stream.send_all(UPGRADE.format(key=key).encode() + b"\x00garbage after the headers\xff" * 4)
        with trio.move_on_after(2):
            await read_until_eof(stream)
        await stream.aclose()
    assert (await client.get("/api/v1/health")).json()["status"] == "ok"
    assert (await client.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).status_code == 201


async def stuck_screen(url: str) -> trio.socket.SocketType:
    """A screen that completes the websocket handshake and then never reads again."""
    sock = trio.socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    await sock.connect(host_port(url))
    key = base64.b64encode(os.urandom(16)).decode()
    await sock.send(UPGRADE.format(key=key).encode())
    head = b""
    with trio.fail_after(WAIT):
        while b"\r\n\r\n" not in head:
            head += await sock.recv(1)  # read the 101 answer byte by byte, not a byte more
    assert head.startswith(b"HTTP/1.1 101")
    return sock


async def test_a_screen_that_stops_reading_blocks_no_broadcast_and_no_other_client(hall_server, client):
    stuck = await stuck_screen(hall_server.url)
    manager = await login(client, "quanly")
    await client.post("/api/v1/cabins/1/open", headers=manager)
    seen: list[int] = []
    async with connect(hall_server.url.replace("http", "ws") + "/ws/display/hall", max_size=None) as screen:
        snapshot = json.loads(await next_message(screen))
        last = snapshot["seq"]
        hub = hall_server.runtime.hub
        toggles = 0
        while hub.dropped_total == 0 and toggles < 4000:  # each toggle's delta carries every queue
            action = "pause" if toggles % 2 == 0 else "resume"
            answer = await client.post(f"/api/v1/cabins/1/{action}", headers=manager, json={"reason": "thử"})
            assert answer.status_code == 200
            toggles += 1
            while len(seen) < toggles:  # the live screen keeps up the whole time
                frame = json.loads(await next_message(screen))
                seen += [e["seq"] for e in frame["events"] if e["seq"] > last]
        assert hub.dropped_total >= 1, "the stuck screen was never cut off"
    assert seen == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(seen))), "the live screen missed a delta"
    assert (await client.get("/api/v1/health")).status_code == 200
    stuck.close()


def opcodes(frames: bytes) -> list[int]:
    """The opcodes of the unmasked websocket frames a server sent, in order (RFC 6455, 5.2)."""
    found, at = [], 0
    while at + 2 <= len(frames):
        length, at_payload = frames[at + 1] & 0x7F, at + 2
        if length == 126:
            length, at_payload = int.from_bytes(frames[at + 2:at + 4], "big"), at + 4
        elif length == 127:
            length, at_payload = int.from_bytes(frames[at + 2:at + 10], "big"), at + 10
        found.append(frames[at] & 0x0F)
        at = at_payload + length
    return found


async def test_a_dead_peer_is_dropped_when_it_stops_answering_pings(tmp_path):
    async with served_hall(sqlite_url(tmp_path), ping_interval=0.2, read_timeout=1.0) as (server, http), \
            connect(server.url.replace("http", "ws") + "/ws/display/hall") as live:  # answers pings
        await next_message(live)  # its snapshot
        dead = await stuck_screen(server.url)  # never answers a ping
        sent = b""
        with trio.fail_after(STEPS):  # a hang here is the bug
            while chunk := await dead.recv(65536):
                sent += chunk  # the snapshot and pings, until the server closes the connection
        dead.close()
        assert PING in opcodes(sent), "the server never pinged the dead peer"
        # The peer that answers its pings is still served after the dead one was dropped.
        assert (await http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK)).status_code == 201
        assert json.loads(await next_message(live))["t"] == "delta"


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_hall_serve_gracefully_even_with_a_stuck_screen(tmp_path, sig):
    with ServerProcess.hall(tmp_path) as server:
        sock = socket.create_connection(host_port(server.url), timeout=WAIT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(UPGRADE.format(key=base64.b64encode(os.urandom(16)).decode()).encode())
        with httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            token = http.post("/api/v1/auth/login", json={"username": "quanly", "password": "demo"}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            http.post("/api/v1/cabins/1/open", headers=auth)
            for i in range(600):
                http.post(f"/api/v1/cabins/1/{'pause' if i % 2 == 0 else 'resume'}", headers=auth, json={"reason": "thử"})
        assert server.stop(sig, timeout=90) == 0
        sock.close()
