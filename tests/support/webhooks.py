"""A webhook receiver on a loopback port, as a citizen-notification service would run one.

It speaks real HTTP/1.1 (h11) on its own socket, keeps every request it got, checks nothing
itself (the tests check signatures with their own HMAC), and can be told to answer 503 for a
while (`failing`), the way a receiver that is up but broken would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import h11
import trio


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("x-hall-signature", ""))


@dataclass
class Receiver:
    received: list[Received] = field(default_factory=list)  # the requests it accepted (200)
    refused: list[tuple[float, Received]] = field(default_factory=list)  # (trio time, request) answered 503
    failing: bool = False
    arrived: trio.Event = field(default_factory=trio.Event)

    async def serve(self, port: int = 0, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(port, host="127.0.0.1")
        task_status.started(listeners[0].socket.getsockname()[1])
        await trio.serve_listeners(self._handle, listeners)

    def deliveries(self, path: str | None = None) -> dict[str, Received]:
        """Accepted requests (to `path`, or all) by delivery id: what a deduplicating receiver keeps."""
        return {r.headers.get("x-hall-delivery", ""): r for r in self.received if path is None or r.path == path}

    async def wait_for(self, count: int, timeout: float, path: str | None = None) -> None:
        """Until `count` distinct deliveries (to `path`) have arrived; fails the test after `timeout` s."""
        with trio.fail_after(timeout):
            while len(self.deliveries(path)) < count:
                await self.next_request()

    async def next_request(self) -> None:
        self.arrived = trio.Event()
        await self.arrived.wait()

    async def _handle(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        body = b""
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    conn.receive_data(data)
                    if not data and conn.their_state is not h11.DONE:
                        return
                    continue
                if isinstance(event, h11.Request):
                    request, body = event, b""
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage) and request is not None:
                    status = 503 if self.failing else 200
                    headers = {k.decode().lower(): v.decode() for k, v in request.headers}
                    got = Received(request.target.decode(), headers, body)
                    if self.failing:
                        self.refused.append((trio.current_time(), got))
                    else:
                        self.received.append(got)
                    self.arrived.set()
                    await stream.send_all(conn.send(h11.Response(status_code=status, headers=[("content-length", "0")])))
                    await stream.send_all(conn.send(h11.EndOfMessage()))
                    if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                        return
                    conn.start_next_cycle()
                    request = None
                elif isinstance(event, h11.ConnectionClosed):
                    return
        except (trio.BrokenResourceError, h11.RemoteProtocolError):
            return
