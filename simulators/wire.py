"""Lean HTTP/1.1 and websocket clients on trio sockets, for load and benchmark drivers.

A benchmark that measures a server must not spend more of its own CPU per request than the
server does, or it measures itself: httpx and websockets parse and validate far more than a
driver needs. These clients speak the real protocols over real TCP sockets with the least work:
keep-alive HTTP/1.1 with Content-Length bodies (what the hall's API answers), and a websocket
client that unmasks nothing (servers never mask), answers pings and hands whole text or binary
messages to the caller.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from typing import Any
from urllib.parse import urlsplit

import trio


class WireError(Exception):
    """The peer closed or sent something this lean client does not speak."""


def split_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


class _Buffered:
    """A TCP stream with a receive buffer (the part both clients share)."""

    stream: trio.SocketStream | None
    buffer: bytearray

    async def _fill(self) -> None:
        assert self.stream is not None
        chunk = await self.stream.receive_some(65536)
        if not chunk:
            raise WireError("the server closed the connection")
        self.buffer += chunk


class RawHttp(_Buffered):
    """One keep-alive HTTP/1.1 connection; requests are sequential on it."""

    def __init__(self, url: str) -> None:
        self.host, self.port = split_url(url)
        self.stream: trio.SocketStream | None = None
        self.buffer = bytearray()
        self.last_used = 0.0
        self.max_idle = 3.0

    async def connect(self) -> "RawHttp":
        self.stream = await trio.open_tcp_stream(self.host, self.port)
        self.last_used = trio.current_time()
        return self

    async def aclose(self) -> None:
        if self.stream is not None:
            await self.stream.aclose()
            self.stream = None

    async def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        # The server closes keep-alive connections idle for 5 s (hypercorn's keep_alive_timeout,
        # virtual seconds under a mock clock): take a fresh one rather than race that close.
        if self.stream is not None and trio.current_time() - self.last_used > self.max_idle:
            await self.aclose()
            self.buffer.clear()
        if self.stream is None:
            await self.connect()
        assert self.stream is not None
        payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if payload:
            lines.append("Content-Type: application/json")
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        await self.stream.send_all(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        try:
            return await self._response()
        finally:
            self.last_used = trio.current_time()

    async def json(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        status, raw = await self.request(method, path, body, headers)
        return status, (json.loads(raw) if raw else None)

    async def _response(self) -> tuple[int, bytes]:
        assert self.stream is not None
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            await self._fill()
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[: end + 4]
        status_line, *header_lines = head.split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length, closing = 0, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "connection":
                closing = value.strip().lower() == "close"  # e.g. hypercorn's keep_alive_max_requests
            elif name == "transfer-encoding":
                raise WireError("chunked responses are not spoken by this lean client")
        while len(self.buffer) < length:
            await self._fill()
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        if closing:
            await self.aclose()
            self.buffer.clear()
        return status, body


class RawWebSocket(_Buffered):
    """A websocket client that yields whole messages and answers pings; no extensions."""

    def __init__(self, url: str, path: str) -> None:
        self.host, self.port = split_url(url)
        self.path = path
        self.stream: trio.SocketStream | None = None
        self.buffer = bytearray()
        self._fragments: list[bytes] = []

    async def connect(self) -> "RawWebSocket":
        self.stream = await trio.open_tcp_stream(self.host, self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await self.stream.send_all(request.encode())
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            await self._fill()
        status = bytes(self.buffer[:end]).split(b" ", 2)[1]
        del self.buffer[: end + 4]
        if status != b"101":
            raise WireError(f"websocket upgrade of {self.path} refused with HTTP {status.decode()}")
        return self

    async def aclose(self) -> None:
        if self.stream is not None:
            try:
                await self.stream.aclose()
            finally:
                self.stream = None

    async def send_text(self, text: str) -> None:
        await self._send_frame(0x1, text.encode())

    async def send_bytes(self, data: bytes) -> None:
        await self._send_frame(0x2, data)

    async def _send_frame(self, opcode: int, payload: bytes) -> None:
        assert self.stream is not None
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload)) if n else b""
        await self.stream.send_all(header + mask + masked)

    async def receive(self) -> bytes:
        """The next whole data message (text as UTF-8 bytes); raises WireError on close."""
        while True:
            frame = self._parse()
            if frame is None:
                await self._fill()
                continue
            fin, opcode, payload = frame
            if opcode == 0x9:  # ping: answer with the same payload
                await self._send_frame(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise WireError(f"the server closed the websocket ({code} {payload[2:].decode(errors='replace')})")
            elif opcode in (0x0, 0x1, 0x2):
                self._fragments.append(payload)
                if fin:
                    message = b"".join(self._fragments)
                    self._fragments.clear()
                    return message

    def _parse(self) -> tuple[bool, int, bytes] | None:
        buf = self.buffer
        if len(buf) < 2:
            return None
        fin, opcode, length = bool(buf[0] & 0x80), buf[0] & 0x0F, buf[1] & 0x7F
        offset = 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, offset = struct.unpack_from("!H", buf, 2)[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, offset = struct.unpack_from("!Q", buf, 2)[0], 10
        if len(buf) < offset + length:
            return None
        payload = bytes(buf[offset: offset + length])
        del buf[: offset + length]
        return fin, opcode, payload
