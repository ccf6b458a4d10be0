"""The device protocol, written once: frames, their schema, and the per-connection session.

Theory of operation
-------------------
Hall hardware (kiosks, printers, rating pads, keypads) talks msgpack over one WebSocket. Every
frame is a map with ``"t"`` (its type); a request carries ``"id"`` and its answer ``"ref"``. This
module is the protocol with no I/O at all, like h11 or hypercorn's ``protocol/`` folder: the
server's websocket endpoint (``api/device_ws.py``) and the simulators (``simulators/devices.py``)
both use it, so a simulator can never speak a dialect the server does not.

``Session`` is the server side of one connection, a small state machine::

    awaiting_hello --hello accepted--> ready
    awaiting_hello --hello refused---> refused   (every later frame: error "refused")

``Session.receive(bytes, now)`` turns one websocket message into an ``Inbound``: either a valid,
permitted frame for the application to act on, or the error frame to send back, or (for a
request id already answered) the cached answer to send again. Nothing here acts on the hall.

Hostile input is expected: the message size is checked before unpacking, unpacking is bounded
(msgpack's limits set explicitly, never trusting a length from the wire), every field is checked
against ``FRAMES`` and every frame type against the device's kind in ``PERMISSIONS``. A bad frame
gets an ``error`` frame that names the problem and the session stays usable. A token bucket per
device limits floods.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgpack

from hall.credentials import verify_token

PROTO_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
"""Largest frame the protocol accepts; larger ones get error "too_large" (the socket stays open).
The transport's hard limit (1 MiB, api/server.py) closes the socket with 1009."""

KINDS = ("kiosk", "printer", "rating", "keypad")
KEYPAD_ACTIONS = ("open", "call-next", "call", "recall", "start", "finish", "no-show", "transfer", "pause", "resume", "close")
PAPER_STATES = ("ok", "near_end", "out")

# Bounds for msgpack.unpackb (STACK-NOTES.md): without them 10 MB of nulls grew memory by 138 MiB.
_UNPACK_LIMITS = dict(
    max_str_len=MAX_FRAME_BYTES,
    max_bin_len=MAX_FRAME_BYTES,
    max_array_len=256,
    max_map_len=64,
    max_ext_len=0,
)


class ProtocolError(Exception):
    """A frame the protocol refuses; ``code`` is stable, ``message`` names the problem."""

    def __init__(self, code: str, message: str, ref: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.ref = code, message, ref

    def frame(self) -> dict[str, Any]:
        return error_frame(self.code, self.message, self.ref)


# --------------------------------------------------------------------------- encoding


def pack(frame: Mapping[str, Any]) -> bytes:
    """One frame as msgpack bytes (bin for bytes, str for text)."""
    return msgpack.packb(frame, use_bin_type=True)


def unpack(data: bytes | bytearray | str | None) -> dict[str, Any]:
    """Decode one message into a frame map, bounded; raises ProtocolError naming the problem."""
    if isinstance(data, str):
        raise ProtocolError("malformed", "frames are binary msgpack, not text")
    if not data or not isinstance(data, (bytes, bytearray)):
        raise ProtocolError("malformed", "empty frame")
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError("too_large", f"frame of {len(data)} bytes; the limit is {MAX_FRAME_BYTES} bytes")
    try:
        frame = msgpack.unpackb(bytes(data), raw=False, strict_map_key=True, **_UNPACK_LIMITS)
    except (msgpack.UnpackException, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ProtocolError("malformed", f"not a msgpack frame: {type(exc).__name__}: {str(exc)[:100]}") from None
    if not isinstance(frame, dict):
        raise ProtocolError("malformed", f"a frame is a msgpack map, got {type(frame).__name__}")
    return frame


def error_frame(code: str, message: str, ref: Any = None) -> dict[str, Any]:
    return {"t": "error", "ref": ref, "code": code, "message": message}


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Field:
    """One field of a frame: its accepted types, whether it is required, and its bounds."""

    types: tuple[type, ...]
    required: bool = True
    max_len: int | None = None
    choices: tuple[Any, ...] | None = None

    def check(self, frame_type: str, name: str, value: Any) -> None:
        if isinstance(value, bool) and bool not in self.types:
            ok = False  # True is an int in Python, never on the wire
        else:
            ok = isinstance(value, self.types)
        if not ok:
            wanted = " or ".join(_TYPE_NAMES[t] for t in self.types)
            raise ProtocolError("invalid", f"{frame_type}.{name} must be {wanted}, got {_TYPE_NAMES.get(type(value), type(value).__name__)}")
        if self.max_len is not None and isinstance(value, (str, bytes, dict, list)) and len(value) > self.max_len:
            raise ProtocolError("invalid", f"{frame_type}.{name} is too long ({len(value)} > {self.max_len})")
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**53) <= value <= 2**53:
            raise ProtocolError("invalid", f"{frame_type}.{name} is out of range")
        if self.choices is not None and value not in self.choices:
            raise ProtocolError("invalid", f"{frame_type}.{name} must be one of {', '.join(map(str, self.choices))}; got {str(value)[:40]!r}")


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", dict: "a map", list: "an array",
               bytes: "bytes", float: "a number", type(None): "nil"}

ID = Field((str, int), max_len=64)
SHORT = Field((str,), max_len=64)
OPTIONAL_SHORT = Field((str,), required=False, max_len=64)

FRAMES: dict[str, dict[str, Field]] = {
    # any device
    "hello": {"device": SHORT, "token": Field((str,), max_len=256), "kind": Field((str,), choices=KINDS), "proto": Field((int,))},
    "heartbeat": {"status": Field((dict,), required=False, max_len=16)},
    "ping": {"id": ID},
    # kiosk
    "take": {"id": ID, "service": SHORT, "priority": OPTIONAL_SHORT, "lang": Field((str,), required=False, max_len=8)},
    "reprint": {"id": ID, "ticket": SHORT},
    "check_in": {"id": ID, "code": SHORT, "lang": Field((str,), required=False, max_len=8)},  # a booking's code
    # kiosk (for the printer it carries) and network printers
    "printed": {"job": SHORT},
    "print_failed": {"job": SHORT, "reason": Field((str,), max_len=200), "status": Field((dict,), required=False, max_len=16)},
    "printer_status": {
        "printer": OPTIONAL_SHORT,
        "paper": Field((str,), choices=PAPER_STATES),
        "cover_open": Field((bool,), required=False),
        "online": Field((bool,), required=False),
    },
    # rating pad
    "rate": {"id": ID, "ticket": SHORT, "levels": Field((dict,), max_len=16)},
    # officer keypad
    "action": {
        "id": ID,
        "action": Field((str,), choices=KEYPAD_ACTIONS),
        "cabin": Field((int,), required=False),  # the keypad's own cabin, if it says so
        "ticket": OPTIONAL_SHORT,  # call
        "service": OPTIONAL_SHORT,  # transfer to a service ...
        "to_cabin": Field((int,), required=False),  # ... or to a cabin
        "reason": Field((str,), required=False, max_len=200),  # pause
    },
}
"""Device → server frames. Unknown extra fields are ignored (a newer device talking to an older
server); missing, mistyped or out-of-bounds fields are refused."""

PERMISSIONS: dict[str, frozenset[str]] = {
    "kiosk": frozenset({"heartbeat", "ping", "take", "reprint", "check_in", "printed", "print_failed", "printer_status"}),
    "printer": frozenset({"heartbeat", "ping", "printed", "print_failed", "printer_status"}),
    "rating": frozenset({"heartbeat", "ping", "rate"}),
    "keypad": frozenset({"heartbeat", "ping", "action"}),
}

SERVER_FRAMES = ("welcome", "heartbeat", "pong", "error", "ticket", "print", "printed_ack", "rating_open",
                 "rating_closed", "rated", "done", "cabin_state", "print_result")
"""Server → device frame types (documented in docs/device-protocol.md)."""


def validate(frame: dict[str, Any]) -> dict[str, Any]:
    """Check a frame against FRAMES; returns it, or raises ProtocolError with the request's ref."""
    kind = frame.get("t")
    ref = frame.get("id") if isinstance(frame.get("id"), (str, int)) and not isinstance(frame.get("id"), bool) else None
    if not isinstance(kind, str):
        raise ProtocolError("invalid", 'a frame needs "t", a string naming its type', ref)
    fields = FRAMES.get(kind)
    if fields is None:
        raise ProtocolError("unknown_type", f"unknown frame type {kind[:40]!r}", ref)
    try:
        for name, spec in fields.items():
            if name not in frame or frame[name] is None:
                if spec.required:
                    raise ProtocolError("invalid", f"{kind}.{name} is required")
                continue
            spec.check(kind, name, frame[name])
    except ProtocolError as exc:
        exc.ref = ref
        raise
    return frame


# --------------------------------------------------------------------------- per-device memory


@dataclass
class TokenBucket:
    """``rate`` frames a second on average, bursts up to ``burst``."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class AnswerCache:
    """The answers already given to a device's requests, by request id (bounded, oldest out)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._answers: OrderedDict[Any, list[dict[str, Any]]] = OrderedDict()

    @staticmethod
    def _key(request_id: Any) -> tuple[str, Any]:
        return (type(request_id).__name__, request_id)  # 1 and "1" are different requests

    def get(self, request_id: Any) -> list[dict[str, Any]] | None:
        return self._answers.get(self._key(request_id))

    def put(self, request_id: Any, frames: list[dict[str, Any]]) -> None:
        key = self._key(request_id)
        self._answers[key] = frames
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)


@dataclass
class DeviceMemory:
    """What outlives one connection of a device: its answered requests and its flood budget."""

    answers: AnswerCache
    bucket: TokenBucket


@dataclass(frozen=True)
class Limits:
    rate_per_second: float = 50.0
    burst: float = 100.0
    answers_kept: int = 256


# --------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class Identity:
    """A device that said a valid hello."""

    device: str
    kind: str
    cabin: int | None = None
    printer: str | None = None


@dataclass
class Inbound:
    """What one received message means. At most one of ``frame``, ``error``, ``replay`` is set
    (none: a flood frame dropped silently); ``hello`` is True when ``frame`` is the hello that
    made the session ready."""

    frame: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    replay: list[dict[str, Any]] | None = None
    hello: bool = False


Directory = Callable[[str], Any]
"""device id -> the hall file's Device entry (id, kind, token_hash, cabin, printer) or None."""


@dataclass
class Session:
    """The server side of one device connection: hello, permissions, idempotency, flood limit."""

    directory: Directory
    memories: dict[str, DeviceMemory]
    limits: Limits = Limits()
    state: str = "awaiting_hello"
    identity: Identity | None = None
    _pre_hello: TokenBucket = field(default_factory=lambda: TokenBucket(5.0, 10.0))
    _limited_at: float = float("-inf")

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def receive(self, data: bytes | bytearray | str | None, now: float) -> Inbound:
        """Interpret one message. Never raises for anything a device can send."""
        bucket = self._pre_hello if self.identity is None else self.memory.bucket
        if not bucket.take(now):
            # One error a second tells the device; answering every frame would amplify the flood.
            if now - self._limited_at < 1.0:
                return Inbound()
            self._limited_at = now
            return Inbound(error=error_frame("rate_limited", "too many frames; frames are dropped until the rate falls"))
        try:
            frame = unpack(data)
        except ProtocolError as exc:
            return Inbound(error=exc.frame())
        if self.state == "refused":
            return Inbound(error=error_frame("refused", "this connection's hello was refused; reconnect with a valid one", _ref(frame)))
        try:
            frame = validate(frame)
            if self.state == "awaiting_hello":
                return self._hello(frame)
            if frame["t"] == "hello":
                raise ProtocolError("invalid", f"already said hello as {self.identity.device}")
            assert self.identity is not None
            if frame["t"] not in PERMISSIONS[self.identity.kind]:
                raise ProtocolError("not_allowed", f"a {self.identity.kind} may not send {frame['t']!r}", _ref(frame))
        except ProtocolError as exc:
            return Inbound(error=exc.frame())
        if "id" in frame and frame["t"] != "ping":
            cached = self.memory.answers.get(frame["id"])
            if cached is not None:
                return Inbound(replay=cached, frame=None)
        return Inbound(frame=frame)

    def answered(self, request_id: Any, frames: list[dict[str, Any]]) -> None:
        """Remember the answer to a request, so a retry with the same id gets it again."""
        self.memory.answers.put(request_id, frames)

    @property
    def memory(self) -> DeviceMemory:
        assert self.identity is not None, "no device before hello"
        memory = self.memories.get(self.identity.device)
        if memory is None:
            memory = self.memories[self.identity.device] = DeviceMemory(
                AnswerCache(self.limits.answers_kept), TokenBucket(self.limits.rate_per_second, self.limits.burst)
            )
        return memory

    def _hello(self, frame: dict[str, Any]) -> Inbound:
        if frame["t"] != "hello":
            raise ProtocolError("hello_first", f"say hello first; got {frame['t']!r}", _ref(frame))
        if frame["proto"] != PROTO_VERSION:
            self.state = "refused"
            raise ProtocolError("unsupported_version", f"protocol version {frame['proto']} is not spoken here; this server speaks {PROTO_VERSION}")
        entry = self.directory(frame["device"])
        if entry is None or not verify_token(frame["token"], entry.token_hash):
            self.state = "refused"
            raise ProtocolError("unauthorized", f"unknown device {frame['device'][:64]!r} or wrong token")
        if entry.kind != frame["kind"]:
            self.state = "refused"
            raise ProtocolError("unauthorized", f"{entry.id} is a {entry.kind}, not a {frame['kind']}")
        self.identity = Identity(entry.id, entry.kind, entry.cabin, entry.printer)
        self.state = "ready"
        return Inbound(frame=frame, hello=True)


def _ref(frame: dict[str, Any]) -> Any:
    ref = frame.get("id")
    return ref if isinstance(ref, (str, int)) and not isinstance(ref, bool) else None


def hello(device: str, token: str, kind: str) -> dict[str, Any]:
    """The first frame a device sends."""
    return {"t": "hello", "device": device, "token": token, "kind": kind, "proto": PROTO_VERSION}
