"""Simulated hall devices that speak the real protocol (devices/protocol.py) over /ws/device.

`DeviceClient` is one device's connection: it says hello, keeps the welcome, sends heartbeats,
matches answers to requests by id and hands everything else (print jobs, rating_open,
cabin_state) to the device. On top of it:

- `SimulatedKiosk` takes tickets and drives a `SimulatedPrinter` (simulators/escpos_printer.py)
  over TCP 9100 the way a kiosk PC drives its receipt printer: each `print` frame from the
  server is sent to the printer with the status queries after it, and the kiosk answers
  `printed` or `print_failed` with the reason (paper_out, cover_open, offline).
- `SimulatedRatingPad` answers `rating_open` (automatically with `auto_levels`, or on request).
- `SimulatedKeypad` presses cabin actions and keeps the cabin state the server pushes.

A device reconnects by itself when its socket closes for any reason but its own `close()` (a lost
connection, a server restart, 1012/1013 from a node that stepped down or a standby): capped
exponential backoff with jitter (`Backoff`), hello again, the welcome's snapshot taken again
(`on_welcome`), and every request still waiting sent again with its id, so a retried `take` gets
the ticket already issued. It gives up only when another connection of the same device replaced
it (4001) or the server refuses its hello; requests still waiting then raise `DeviceError`
`offline`.

Usage (tests)::

    async with open_kiosk(server.url, "kiosk-01", printer_address=("127.0.0.1", port)) as kiosk:
        ticket = await kiosk.take("CA-TN")
"""

from __future__ import annotations

import contextlib
import itertools
import random
import sys
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import trio
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.trio.client import connect

from devices.kiosk import failure_reason, print_and_check, status_report
from devices.printer_transport import PrinterUnavailable, query_status
from devices.protocol import MAX_FRAME_BYTES, hello, pack, unpack

log = logging.getLogger("hall.simulators.devices")


def device_url(base_url: str) -> str:
    """http://host:port → ws://host:port/ws/device"""
    return base_url.replace("https://", "wss://").replace("http://", "ws://").rstrip("/") + "/ws/device"


class DeviceError(Exception):
    """The server answered a request with an error frame."""

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code, self.message, self.frame = frame.get("code"), frame.get("message"), frame


REPLACED = 4001  # the same device connected again elsewhere: reconnecting would fight it
CONNECT_FAILED = (OSError, ConnectionClosed, InvalidHandshake, trio.TooSlowError)


@dataclass(frozen=True)
class Backoff:
    """Seconds before reconnect attempt `n` (0, 1, …): doubling from `first` up to `cap`, each
    spread by ±`jitter` so a hall's devices do not all knock at the same instant."""

    first: float = 0.1
    cap: float = 5.0
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.first * 2 ** attempt) * random.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass
class Pending:
    """A request waiting for its answer; `sent_on` is the connection it was last sent on."""

    frame: dict[str, Any]
    answer: trio.MemorySendChannel[dict[str, Any]]
    sent_on: int = -1


class DeviceClient:
    """One device's connection to the hall (see the module doc)."""

    kind = "device"
    ws_options: ClassVar[dict[str, Any]] = {}  # e.g. {"ping_interval": None}: a virtual day needs no keepalive pings
    backoff: ClassVar[Backoff] = Backoff()
    hello_timeout: ClassVar[float] = 10.0  # a server that accepts but never welcomes is tried again

    def __init__(self, device: str, token: str | None = None, *, heartbeats: bool = True) -> None:
        self.device = device
        self.token = token if token is not None else f"demo-{device}"
        self.heartbeats = heartbeats
        self.ws: Any = None
        self.welcome: dict[str, Any] = {}
        self.received: list[dict[str, Any]] = []  # every unsolicited frame, in order
        self.errors: list[dict[str, Any]] = []  # error frames without a pending request
        self._pending: dict[Any, Pending] = {}
        self._ids = itertools.count(1)
        self._changed = trio.Event()
        self.connections = 0  # how many times it was welcomed (1 + reconnections)
        self._closing = False
        self._given_up = False

    async def start(self, url: str | Sequence[str], nursery: trio.Nursery) -> None:
        """Connect, say hello, wait for the welcome, then serve in `nursery` (reconnecting) until
        closed. The first connection's failure is raised: a wrong URL or token is the caller's.
        Several URLs (the nodes of a hall, without a load balancer in front) are tried in turn on
        reconnection, starting from the one that answered last."""
        self.urls, self._at, self._nursery = [url] if isinstance(url, str) else list(url), 0, nursery
        await self._connect()
        nursery.start_soon(self._serve)

    @property
    def url(self) -> str:
        """The server it is (or was last) connected to."""
        return self.urls[self._at]

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            await self.ws.aclose()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(pack(frame))

    async def request(self, frame: dict[str, Any], request_id: Any = None) -> dict[str, Any]:
        """Send a request and return its answer; an error answer raises DeviceError. A request
        cut off by a lost connection is sent again, same id, once the device is welcomed back."""
        rid = request_id if request_id is not None else f"{self.device}-{next(self._ids)}"
        send, receive = trio.open_memory_channel[dict[str, Any]](1)
        self._pending[rid] = Pending({**frame, "id": rid}, send)
        try:
            if self._given_up:
                raise DeviceError({"t": "error", "code": "offline", "message": "no longer connected"})
            await self._send_pending(rid)
            answer = await receive.receive()
        finally:
            self._pending.pop(rid, None)
        if answer.get("t") == "error":
            raise DeviceError(answer)
        return answer

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first unsolicited frame (already received or to come) that matches."""
        seen = 0
        while True:
            for frame in self.received[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.received)
            await self._changed.wait()

    # ---- the device's behaviour (overridden) ---------------------------------------------

    def on_welcome(self, welcome: dict[str, Any]) -> None:
        pass

    async def on_frame(self, frame: dict[str, Any]) -> None:
        pass

    # ---- connecting and reconnecting ---------------------------------------------------------

    async def _connect(self) -> None:
        """One connection: hello, welcome, then the requests still waiting are sent on it."""
        ws = await connect(device_url(self.urls[self._at]), max_size=4 * MAX_FRAME_BYTES, compression=None, **self.ws_options).connect(self._nursery)
        try:
            with trio.fail_after(self.hello_timeout):
                await ws.send(pack(hello(self.device, self.token, self.kind)))
                first = unpack(await ws.recv())
        except BaseException:
            await ws.aclose()
            raise
        if first.get("t") != "welcome":
            await ws.aclose()
            raise DeviceError(first)
        self.ws, self.welcome = ws, first
        self.connections += 1
        self.on_welcome(first)
        for rid in list(self._pending):
            await self._send_pending(rid)

    async def _send_pending(self, rid: Any) -> None:
        """Send a waiting request on the current connection unless it was sent on it already; a
        closed socket is left to the reconnection, which sends it again."""
        pending = self._pending.get(rid)
        if pending is None or pending.sent_on == self.connections:
            return
        pending.sent_on = self.connections
        with contextlib.suppress(ConnectionClosed):
            await self.send(pending.frame)

    async def _serve(self) -> None:
        """Receive (and heartbeat) on each connection in turn until the device closes itself."""
        while True:
            async with trio.open_nursery() as connection:
                if self.heartbeats:
                    connection.start_soon(self._heartbeat)
                await self._receive()
                connection.cancel_scope.cancel()
            code = self.ws.close_code
            if self._closing or code == REPLACED:
                break
            log.info("%s: connection closed (%s); reconnecting", self.device, code)
            if not await self._reconnect():
                break
        self._give_up()

    async def _reconnect(self) -> bool:
        """Try again with backoff until welcomed (True), or refused or closed (False)."""
        last = self._at
        for attempt in itertools.count():
            await trio.sleep(self.backoff.delay(attempt))
            if self._closing:
                return False
            self._at = (last + attempt) % len(self.urls)
            try:
                await self._connect()
                return True
            except CONNECT_FAILED as exc:
                log.info("%s: reconnect attempt %d failed: %s", self.device, attempt + 1, exc)
            except DeviceError as exc:
                log.warning("%s: hello refused on reconnect: %s", self.device, exc)
                return False
        raise AssertionError("unreachable")

    def _give_up(self) -> None:
        self._given_up = True
        for rid in list(self._pending):
            self._pending.pop(rid).answer.send_nowait({"t": "error", "ref": rid, "code": "offline", "message": "no longer connected"})

    # ---- tasks -----------------------------------------------------------------------------

    async def _receive(self) -> None:
        try:
            async for message in self.ws:
                frame = unpack(message)
                ref = frame.get("ref")
                if ref is not None and ref in self._pending:
                    self._pending.pop(ref).answer.send_nowait(frame)
                    continue
                if frame.get("t") == "error":
                    self.errors.append(frame)
                elif frame.get("t") != "heartbeat":
                    await self.on_frame(frame)
                self.received.append(frame)
                self._changed.set()
                self._changed = trio.Event()
        except ConnectionClosed:
            pass

    async def _heartbeat(self) -> None:
        every = float(self.welcome.get("heartbeat_seconds", 15))
        try:
            while True:
                await trio.sleep(every)
                await self.send({"t": "heartbeat"})
        except ConnectionClosed:
            pass


class SimulatedKiosk(DeviceClient):
    """A ticket kiosk with a receipt printer on TCP (a SimulatedPrinter, usually)."""

    kind = "kiosk"

    def __init__(self, device: str, token: str | None = None, *, printer_address: tuple[str, int] | None = None,
                 heartbeats: bool = True) -> None:
        super().__init__(device, token, heartbeats=heartbeats)
        self.printer_address = printer_address
        self.jobs: dict[str, str] = {}  # job id -> "printed" | failure reason
        self.job_done = trio.Event()

    async def take(self, service: str, priority: str | None = None, request_id: Any = None) -> dict[str, Any]:
        frame = {"t": "take", "service": service}
        if priority is not None:
            frame["priority"] = priority
        return (await self.request(frame, request_id))["ticket"]

    async def reprint(self, ticket_id: str) -> str:
        return (await self.request({"t": "reprint", "ticket": ticket_id}))["job"]

    async def wait_job(self, job_id: str) -> str:
        """"printed" or the failure reason, once the kiosk has answered the job."""
        while job_id not in self.jobs:
            await self.job_done.wait()
        return self.jobs[job_id]

    async def report_printer(self) -> dict[str, Any]:
        """Read the printer's real-time status and report it (as the kiosk does after a refill)."""
        host, port = self.printer_address
        try:
            report = status_report(await query_status(host, port, timeout=2.0))
        except PrinterUnavailable:
            report = {"paper": "ok", "cover_open": False, "online": False}
        await self.send({"t": "printer_status", **report})
        return report

    async def on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("t") == "print":
            await self._print(frame)

    async def _print(self, frame: dict[str, Any]) -> None:
        job = frame["job"]
        if self.printer_address is None:
            result, answer = "offline", {"t": "print_failed", "job": job, "reason": "offline"}
        else:
            try:
                status = await print_and_check(*self.printer_address, frame["data"], timeout=5.0)
                reason = failure_reason(status)
                report = status_report(status)
            except PrinterUnavailable:
                reason, report = "offline", {"paper": "ok", "cover_open": False, "online": False}
            result = reason or "printed"
            answer = {"t": "printed", "job": job} if reason is None else {"t": "print_failed", "job": job, "reason": reason, "status": report}
        await self.send(answer)
        self.jobs[job] = result
        self.job_done.set()
        self.job_done = trio.Event()


class SimulatedRatingPad(DeviceClient):
    """A cabin's rating pad; with `auto_levels` it rates every visit it is offered."""

    kind = "rating"

    def __init__(self, device: str, token: str | None = None, *, auto_levels: dict[str, str] | None = None,
                 heartbeats: bool = True) -> None:
        super().__init__(device, token, heartbeats=heartbeats)
        self.auto_levels = auto_levels
        self.offered: dict[str, Any] | None = None
        self.rated: list[dict[str, Any]] = []

    def on_welcome(self, welcome: dict[str, Any]) -> None:
        self.offered = welcome["snapshot"].get("rating")

    async def rate(self, ticket_id: str, levels: dict[str, str]) -> dict[str, Any]:
        rating = (await self.request({"t": "rate", "ticket": ticket_id, "levels": levels}))["rating"]
        self.rated.append(rating)
        return rating

    async def on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("t") == "rating_open":
            self.offered = frame
            if self.auto_levels is not None:
                # Rate from a task of its own: the answer comes through this receive loop.
                self._nursery_rate(frame["ticket"]["id"])
        elif frame.get("t") == "rating_closed":
            self.offered = None

    def _nursery_rate(self, ticket_id: str) -> None:
        nursery = getattr(self, "nursery", None)
        if nursery is not None:
            nursery.start_soon(self._rate_quietly, ticket_id)

    async def _rate_quietly(self, ticket_id: str) -> None:
        try:
            await self.rate(ticket_id, dict(self.auto_levels or {}))
        except DeviceError as exc:
            log.info("%s: rating refused: %s", self.device, exc)


class SimulatedKeypad(DeviceClient):
    """An officer's keypad: actions as frames, the cabin state pushed back."""

    kind = "keypad"

    def __init__(self, device: str, token: str | None = None, *, heartbeats: bool = True) -> None:
        super().__init__(device, token, heartbeats=heartbeats)
        self.cabin: dict[str, Any] = {}

    def on_welcome(self, welcome: dict[str, Any]) -> None:
        self.cabin = welcome["snapshot"]["cabin"]

    async def press(self, action: str, **fields: Any) -> dict[str, Any]:
        answer = await self.request({"t": "action", "action": action, **fields})
        self.cabin = answer["cabin"]
        return answer

    async def on_frame(self, frame: dict[str, Any]) -> None:
        if frame.get("t") == "cabin_state":
            self.cabin = frame["cabin"]


KINDS = {"kiosk": SimulatedKiosk, "rating": SimulatedRatingPad, "keypad": SimulatedKeypad}


@asynccontextmanager
async def open_device(url: str | Sequence[str], device: DeviceClient) -> AsyncIterator[DeviceClient]:
    """Run a simulated device against a server for the duration of the block."""
    async with trio.open_nursery() as nursery:
        device.nursery = nursery  # type: ignore[attr-defined]
        await device.start(url, nursery)
        try:
            yield device
        finally:
            await device.close()
            nursery.cancel_scope.cancel()


def open_kiosk(url: str, device: str = "kiosk-01", **options: Any) -> Any:
    return open_device(url, SimulatedKiosk(device, **options))


# ---- `hall simulate devices` ------------------------------------------------------------------


def _cabins(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        out += list(range(int(low), int(high or low) + 1))
    return out


async def run_devices(url: str, *, kiosks: int, cabins: list[int], paper_dir: str, printer_port: int,
                      take_every: float, serve_seconds: float, duration: float | None, services: list[str] | None,
                      seed: int | None = None) -> dict[str, int]:
    """Kiosks with simulated printers take tickets; each cabin's keypad serves and its rating pad
    rates. Returns counts; runs until `duration` (None: until cancelled)."""
    import random

    from simulators.escpos_printer import SimulatedPrinter

    rng = random.Random(seed)
    counts = {"tickets": 0, "printed": 0, "print_failed": 0, "served": 0, "rated": 0, "refused": 0}
    good = None
    with trio.move_on_after(duration if duration is not None else float("inf")):
        async with trio.open_nursery() as nursery:
            stands = []
            for i in range(1, kiosks + 1):
                printer = SimulatedPrinter(f"{paper_dir}/printer-{i:02d}")
                port = await nursery.start(printer.serve, printer_port + i - 1 if printer_port else 0)
                kiosk = SimulatedKiosk(f"kiosk-{i:02d}", printer_address=("127.0.0.1", port))
                kiosk.nursery = nursery  # type: ignore[attr-defined]
                await kiosk.start(url, nursery)
                stands.append((kiosk, printer))
                log.info("kiosk-%02d online; its printer listens on 127.0.0.1:%d and saves to %s", i, port, printer.directory)
            codes = services or (
                [s["code"] for s in stands[0][0].welcome["snapshot"]["services"]] if stands else [])

            async def kiosk_loop(kiosk: SimulatedKiosk) -> None:
                while True:
                    await trio.sleep(rng.expovariate(1 / take_every))
                    try:
                        await kiosk.take(rng.choice(codes))
                        counts["tickets"] += 1
                    except DeviceError as exc:
                        counts["refused"] += 1
                        log.info("%s: %s", kiosk.device, exc)

            async def cabin_loop(number: int) -> None:
                nonlocal good
                keypad = SimulatedKeypad(f"keypad-{number:02d}")
                keypad.nursery = nursery  # type: ignore[attr-defined]
                await keypad.start(url, nursery)
                pad = SimulatedRatingPad(f"rating-{number:02d}")
                pad.nursery = nursery  # type: ignore[attr-defined]
                await pad.start(url, nursery)
                criteria, levels = pad.welcome["snapshot"]["criteria"], pad.welcome["snapshot"]["levels"]
                if keypad.cabin["state"] == "closed":
                    await keypad.press("open")
                while True:
                    try:
                        called = await keypad.press("call-next")
                    except DeviceError as exc:
                        counts["refused"] += 1
                        log.info("keypad-%02d: %s", number, exc)
                        with contextlib.suppress(DeviceError):
                            await keypad.press("finish")  # a visit left open by a previous run
                        await trio.sleep(1.0)
                        continue
                    if called["ticket"] is None:
                        await trio.sleep(1.0)
                        continue
                    await keypad.press("start")
                    await trio.sleep(rng.expovariate(1 / serve_seconds))
                    await keypad.press("finish")
                    counts["served"] += 1
                    try:
                        await pad.rate(called["ticket"]["id"], {c: rng.choice(levels[:2] if rng.random() < 0.9 else levels) for c in criteria})
                        counts["rated"] += 1
                    except DeviceError as exc:
                        log.info("rating-%02d: %s", number, exc)

            for kiosk, _ in stands:
                nursery.start_soon(kiosk_loop, kiosk)
            for number in cabins:
                nursery.start_soon(cabin_loop, number)
            try:
                await trio.sleep_forever()
            finally:
                for kiosk, printer in stands:
                    counts["printed"] += len(printer.receipts)
                    counts["print_failed"] += printer.failed_jobs
    return counts


def main(argv: Any = None) -> int:
    """`hall simulate devices`: kiosks with printers, keypads and rating pads against a server."""
    import argparse

    parser = argparse.ArgumentParser(prog="hall simulate devices", description=main.__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the running hall server")
    parser.add_argument("--kiosks", type=int, default=2, help="kiosks kiosk-01… (each with a simulated printer)")
    parser.add_argument("--cabins", default="33-36", help="cabins whose keypad and rating pad run, e.g. 1-4,33")
    parser.add_argument("--paper-dir", default="var/paper", help="where the printers save receipts (PNG and text)")
    parser.add_argument("--printer-port", type=int, default=0, help="first printer's TCP port (0: any free port)")
    parser.add_argument("--take-every", type=float, default=5.0, help="mean seconds between tickets per kiosk")
    parser.add_argument("--serve-seconds", type=float, default=8.0, help="mean seconds of service per visit")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    parser.add_argument("--services", default=None, help="comma-separated service codes (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a different run each time)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        counts = trio.run(lambda: run_devices(
            args.url, kiosks=args.kiosks, cabins=_cabins(args.cabins), paper_dir=args.paper_dir,
            printer_port=args.printer_port, take_every=args.take_every, serve_seconds=args.serve_seconds,
            duration=args.duration, services=args.services.split(",") if args.services else None, seed=args.seed,
        ))
    except KeyboardInterrupt:
        return 0
    except (OSError, DeviceError) as exc:
        print(f"hall simulate devices: {exc}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0
