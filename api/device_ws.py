"""WebSocket /ws/device: hall hardware speaking the msgpack device protocol.

The protocol itself (frames, validation, hello, permissions, idempotency, flood limit) is
`devices.protocol.Session`; this module is the I/O around it and the translation of valid frames
into engine commands, like api/routes/ is for HTTP (the socket's route: api/routes/devices.py).

One connection is four tasks in one nursery, owned by the handler:
- the reader: receive → `Session.receive` → act → answers into the outbox;
- the writer: the only task that awaits `websocket.send`;
- the watchdog: sends heartbeats and closes the socket (code 4000) when the device fell silent
  for `offline_after_seconds`, so it reconnects and takes a fresh snapshot;
- the pusher (rating pads and keypads): the frames of their cabin's hub topic, rendered from
  the state right after each durable batch (api/broadcast.py).
Nothing outside the connection ever awaits it: broadcasts and print jobs use `send_nowait` into
its bounded outbox, and a device that stops reading is cut off (STACK-NOTES.md, hazard 2).

Close codes: 1008 no valid hello within `hello_timeout_seconds`; 1009 a message past the
transport's hard limit (hypercorn, api/server.py); 1013 the device fell behind; 4000 heartbeats
stopped; 4001 the same device connected again elsewhere; 1013 also from a standby node (the
reason names the owner), and 1012 when this node stops owning the hall: the device reconnects
through the load balancer to the owner (api/ownership.py).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import trio
from quart import websocket

from devices import keypad, kiosk, rating_pad
from devices.escpos_render import TicketLabels
from displays import messages
from devices.protocol import MAX_FRAME_BYTES, PROTO_VERSION, Identity, Session, pack
from devices.registry import Link
from hall import commands as c
from hall.appointments import AppointmentBook, CheckIn
from hall.cabin_actions import cabin_command
from hall.engine import Engine
from hall.events import Event, RatingRecorded
from hall.lifecycle import CommandRefused
from hall.ratings import RatingBook, RecordRating
from hall.ticket_view import ticket_view

from .broadcast import Hub
from .context import HallContext
from .errors import STORE_FAILED_MESSAGE, ApiError
from .runtime import OWNER, StoreFailed


log = logging.getLogger("hall.devices")

OUTBOX = 128  # frames waiting for a device; past that it is not reading and is cut off
PUSH_KINDS = ("rating", "keypad")


class DeviceConnection:
    """One device's websocket, from hello to close (run it from the `/ws/device` handler)."""

    def __init__(self, hall: HallContext) -> None:
        self.hall = hall
        self.runtime = hall.runtime
        self.engine = hall.runtime.engine
        self.registry = registry = hall.devices
        self.settings = registry.settings
        self.session = Session(registry.directory, registry.memories, registry.settings.limits)
        self.outbox, self._outbox_receive = trio.open_memory_channel[dict[str, Any]](OUTBOX)
        self.close: tuple[int, str] | None = None
        self.cancel_scope: trio.CancelScope | None = None
        self._after: Any = None  # work that follows an answer (the print job after "ticket")
        self.nursery: trio.Nursery | None = None

    @property
    def identity(self) -> Identity:
        assert self.session.identity is not None
        return self.session.identity

    # ---- the connection's life -----------------------------------------------------------

    async def run(self) -> None:
        await websocket.accept()
        if not await self._await_hello():
            await websocket.close(1008, f"no valid hello within {self.settings.hello_timeout_seconds:g} s")
            return
        if self.runtime.role != OWNER:
            await websocket.close(1013, str(self.runtime.not_owner())[:120])
            return
        hub = self.runtime.hub
        topic = cabin_topic(self.identity.cabin) if self.identity.kind in PUSH_KINDS else None
        subscriber = hub.subscribe(topic) if topic is not None else None
        link = Link(self.identity.device, self.outbox, self._replaced)
        try:
            welcome = self._welcome()
            await self.runtime.wait_durable(welcome["snapshot"]["seq"])
            self.outbox.send_nowait(welcome)
            self.registry.connect(link)  # after the welcome: queued print jobs follow it
            log.info("device %s (%s) connected", self.identity.device, self.identity.kind)
            async with trio.open_nursery() as nursery:
                self.cancel_scope, self.nursery = nursery.cancel_scope, nursery
                nursery.start_soon(self._writer)
                nursery.start_soon(self._reader)
                nursery.start_soon(self._watchdog)
                nursery.start_soon(self._leave_on_step_down)
                if subscriber is not None:
                    nursery.start_soon(self._pusher, subscriber, welcome["snapshot"]["seq"])
        finally:
            self.registry.disconnect(link)
            self._requeue_unanswered()
            if topic is not None and subscriber is not None:
                hub.unsubscribe(topic, subscriber)
        if self.close is not None:
            await websocket.close(*self.close)

    async def _leave_on_step_down(self) -> None:
        await self.runtime.stepped_down.wait()
        self._end(1012, "this node no longer owns the hall; reconnect")

    async def _await_hello(self) -> bool:
        with trio.move_on_after(self.settings.hello_timeout_seconds):
            while not self.session.ready:
                inbound = self.session.receive(await websocket.receive(), self.runtime.clock.now())
                if inbound.error is not None:
                    await websocket.send(pack(inbound.error))
            return True
        return False

    def _end(self, code: int, reason: str) -> None:
        if self.close is None:
            self.close = (code, reason)
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()

    def _replaced(self) -> None:
        self._end(4001, "the same device connected again")

    def emit(self, frame: dict[str, Any]) -> None:
        try:
            self.outbox.send_nowait(frame)
        except trio.WouldBlock:
            self._end(1013, "not reading its frames; reconnect")
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    def _requeue_unanswered(self) -> None:
        """Jobs sent on this connection and never answered go out again on the next one."""
        for job in self.registry.jobs.values():
            if job.state == "sent" and self.registry.carries(self.identity.device, job.printer):
                job.state = "queued"

    # ---- the tasks -----------------------------------------------------------------------

    async def _writer(self) -> None:
        async for frame in self._outbox_receive:
            await websocket.send(pack(frame))

    async def _watchdog(self) -> None:
        device = self.identity.device
        next_beat = trio.current_time() + self.settings.heartbeat_seconds
        while True:
            silent = self.registry.silent_for(device)
            if silent > self.settings.offline_after_seconds:
                log.info("device %s missed its heartbeats (%.0f s silent); closing", device, silent)
                self._end(4000, f"no heartbeat for {self.settings.offline_after_seconds:g} s")
                return
            now = trio.current_time()
            if now >= next_beat:
                self.emit({"t": "heartbeat", "at": self.runtime.clock.now()})
                next_beat = now + self.settings.heartbeat_seconds
            wake = min(next_beat - now, self.settings.offline_after_seconds - silent)
            await trio.sleep(max(wake, 0.0) + 0.01)

    async def _pusher(self, subscriber: Any, snapshot_seq: int) -> None:
        async for last_seq, push in subscriber.receive:
            if last_seq <= snapshot_seq:
                continue
            for frame in push.keypad if self.identity.kind == "keypad" else push.rating:
                self.emit(frame)
        self._end(1013, "fell behind; reconnect for a fresh snapshot")

    async def _reader(self) -> None:
        device = self.identity.device
        while True:
            message = await websocket.receive()
            self.registry.seen(device)
            inbound = self.session.receive(message, self.runtime.clock.now())
            if inbound.error is not None:
                self.emit(inbound.error)
            elif inbound.replay is not None:
                for frame in inbound.replay:
                    self.emit(frame)
            elif inbound.frame is not None:
                await self._act(inbound.frame)

    # ---- acting on valid frames ------------------------------------------------------------

    async def _act(self, frame: dict[str, Any]) -> None:
        ref = frame.get("id")
        try:
            answers = await self._handlers[frame["t"]](self, frame)
        except CommandRefused as refusal:
            self.emit({"t": "error", "ref": ref, "code": refusal.code, "message": refusal.message})
            return
        except ApiError as exc:
            self.emit({"t": "error", "ref": ref, "code": exc.code, "message": exc.message})
            return
        except StoreFailed:  # the cause is in the server's log, never on the wire (api/errors.py)
            self.emit({"t": "error", "ref": ref, "code": "store_failed", "message": STORE_FAILED_MESSAGE})
            return
        except Exception:  # noqa: BLE001 - one device's frame must never take the connection down
            log.exception("device %s: frame %r failed", self.identity.device, frame.get("t"))
            self.emit({"t": "error", "ref": ref, "code": "internal", "message": "the server could not handle this frame"})
            return
        for answer in answers:
            self.emit(answer)
        if ref is not None and frame["t"] != "ping" and answers:
            self.session.answered(ref, answers)
        after = getattr(self, "_after", None)
        if after is not None:
            self._after = None
            await after()

    async def _on_heartbeat(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        status = frame.get("status")
        if isinstance(status, dict) and self.identity.kind in ("kiosk", "printer"):
            printer = self.identity.printer if self.identity.kind == "kiosk" else self.identity.device
            if printer:
                self.registry.printer_status(printer, status.get("paper"), status.get("cover_open"), status.get("online"))
        return []

    async def _on_ping(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"t": "pong", "ref": frame["id"], "at": self.runtime.clock.now()}]

    async def _on_take(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        key = kiosk.request_key(self.identity.device, frame["id"])
        ticket_id = self.engine.state.requests.get(key)
        if ticket_id is None:
            command = c.IssueTicket(
                ticket_id=secrets.token_urlsafe(9), service=frame["service"], priority=frame.get("priority"),
                channel="kiosk", request=key, actor=self.identity.device,
            )
            await self.runtime.execute(command)
            ticket_id = self.engine.state.requests[key]
        else:
            await self.runtime.wait_durable(self.engine.state.seq)  # the first attempt may still be in flight
        ticket = self.engine.state.tickets[ticket_id]
        self._print_after(ticket_id, frame.get("lang"))
        return [{"t": "ticket", "ref": frame["id"], "ticket": ticket_view(self.engine, ticket)}]

    async def _on_check_in(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        """A booked appointment's code at the kiosk: its ticket, printed like a taken one."""
        book = self.engine.component(AppointmentBook)
        code = frame["code"].strip().upper()
        book.get(code)  # unknown_appointment
        ticket_id = secrets.token_urlsafe(9)
        await self.runtime.execute(CheckIn(code=code, ticket_id=ticket_id, actor=self.identity.device))
        self._print_after(ticket_id, frame.get("lang"))
        return [{"t": "ticket", "ref": frame["id"], "ticket": ticket_view(self.engine, self.engine.state.tickets[ticket_id])}]

    def _print_after(self, ticket_id: str, lang: str | None) -> None:
        """The answer first, then the print job, laid out from the state at print time, in the
        language the kiosk showed (`lang` of the request; Vietnamese when absent or unknown)."""
        printer = self.identity.printer
        if printer and self.registry.last_job_for_ticket(ticket_id) is None:
            self._after = partial(self._print_ticket, printer, ticket_id, ticket_labels(lang))

    async def _print_ticket(self, printer: str, ticket_id: str, labels: TicketLabels) -> None:
        job = await self.hall.printing.ticket(printer, self.engine, self.engine.state.tickets[ticket_id], labels)
        if self.hall.config.devices[printer].address and self.nursery is not None:
            self.nursery.start_soon(self._report_print, job, ticket_id)

    async def _report_print(self, job_id: str, ticket_id: str) -> None:
        """The server printed on the kiosk's network printer: tell the kiosk how it went (a
        browser kiosk shows the number and the QR code when it failed)."""
        job = await self.registry.wait_job(job_id)
        self.emit({"t": "print_result", "job": job.id, "ticket": ticket_id, "printed": job.state == "printed", "reason": job.reason})

    async def _on_reprint(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        ticket = self.engine.state.tickets.get(frame["ticket"])
        if ticket is None:
            raise CommandRefused("unknown_ticket", f"no ticket {frame['ticket']!r}")
        if not self.identity.printer:
            raise CommandRefused("no_printer", f"{self.identity.device} has no printer")
        job = await self.hall.printing.ticket_again(self.identity.printer, self.engine, ticket)
        return [{"t": "done", "ref": frame["id"], "job": job, "ticket": ticket_view(self.engine, ticket)}]

    def _own_job(self, frame: dict[str, Any]) -> Any:
        job = self.registry.job(frame["job"])
        if job is None:
            raise CommandRefused("unknown_job", f"no print job {frame['job'][:64]!r}")
        if not self.registry.carries(self.identity.device, job.printer):
            raise CommandRefused("not_allowed", f"job {job.id} is for {job.printer}, which {self.identity.device} does not carry")
        return job

    async def _on_printed(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        self.registry.job_result(self._own_job(frame).id, True)
        return []

    async def _on_print_failed(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        job = self._own_job(frame)
        self.registry.job_result(job.id, False, frame["reason"], frame.get("status"))
        log.warning("print job %s on %s failed: %s", job.id, job.printer, frame["reason"])
        return []

    async def _on_printer_status(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        own = self.identity.printer if self.identity.kind == "kiosk" else self.identity.device
        printer = frame.get("printer") or own
        if printer is None or not self.registry.carries(self.identity.device, printer):
            raise CommandRefused("not_allowed", f"{self.identity.device} does not carry printer {str(printer)[:64]!r}")
        self.registry.printer_status(printer, frame["paper"], frame.get("cover_open"), frame.get("online"))
        return []

    async def _on_rate(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        command = RecordRating(ticket=frame["ticket"], cabin=self.identity.cabin, levels=dict(frame["levels"]), actor=self.identity.device)
        events = await self.runtime.execute(command)
        rating = next(e.payload for e in events if isinstance(e.payload, RatingRecorded))
        return [{"t": "rated", "ref": frame["id"], "rating": rating_pad.rating_answer(rating)}]

    async def _on_action(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        cabin = self.identity.cabin
        if frame.get("cabin") is not None and frame["cabin"] != cabin:
            raise CommandRefused("not_your_cabin", f"{self.identity.device} belongs to cabin {cabin}, not cabin {frame['cabin']}")
        user = keypad.acting_officer(self.engine, cabin)
        events = await self.runtime.execute(cabin_command(self.engine, user, cabin, keypad.press(frame)))
        touched = next((e.payload.ticket_id for e in events if e.payload.ticket_id), None)
        ticket = self.engine.state.tickets.get(touched) if touched else None
        return [{
            "t": "done", "ref": frame["id"], "action": frame["action"],
            "ticket": ticket_view(self.engine, ticket) if ticket else None,
            "cabin": keypad.cabin_state(self.engine, cabin),
        }]

    # ---- the welcome ----------------------------------------------------------------------

    def _welcome(self) -> dict[str, Any]:
        identity, config = self.identity, self.hall.config
        snapshot: dict[str, Any] = {"seq": self.engine.state.seq}
        if identity.kind == "kiosk":
            snapshot = kiosk.kiosk_snapshot(self.engine, self.runtime.clock.now())
        elif identity.kind == "keypad":
            snapshot["cabin"] = keypad.cabin_state(self.engine, identity.cabin)
        elif identity.kind == "rating":
            ticket = self.engine.component(RatingBook).open_for(identity.cabin, self.runtime.clock.now())
            snapshot["rating"] = rating_pad.rating_open(config, ticket) if ticket else None
            snapshot["criteria"], snapshot["levels"] = list(config.rating_criteria), list(config.rating_levels)
        return {
            "t": "welcome",
            "proto": PROTO_VERSION,
            "device": identity.device,
            "kind": identity.kind,
            "cabin": identity.cabin,
            "printer": identity.printer,
            "centre": config.name,
            "heartbeat_seconds": self.settings.heartbeat_seconds,
            "offline_after_seconds": self.settings.offline_after_seconds,
            "max_frame_bytes": MAX_FRAME_BYTES,
            "server_time": self.runtime.clock.now(),
            "snapshot": snapshot,
        }


    # Every frame type the protocol lets a device send (devices/protocol.py FRAMES), and who acts on it.
    _handlers: ClassVar[dict[str, Callable[[DeviceConnection, dict[str, Any]], Awaitable[list[dict[str, Any]]]]]] = {
        "heartbeat": _on_heartbeat,
        "ping": _on_ping,
        "take": _on_take,
        "reprint": _on_reprint,
        "check_in": _on_check_in,
        "printed": _on_printed,
        "print_failed": _on_print_failed,
        "printer_status": _on_printer_status,
        "rate": _on_rate,
        "action": _on_action,
    }


def ticket_labels(lang: str | None) -> TicketLabels:
    """A printed ticket's words in `lang` from the message catalogues (Vietnamese if the hall has
    no catalogue for it)."""
    chosen = lang if lang in messages.LANGUAGES else messages.DEFAULT
    words = messages.catalogue(chosen)
    return TicketLabels(ahead=words["citizen.ahead_line"], wait=words["print.wait"], wait_unknown=words["print.wait_unknown"])


def cabin_topic(cabin: int | None) -> str:
    return f"cabin-devices:{cabin}"


def add_cabin_topics(hub: Hub, engine: Engine) -> None:
    """One topic per cabin: a batch reaches only the keypad and rating pad of the cabins it
    touches, instead of waking all 122 cabin devices for every event of the hall."""
    for number in engine.config.cabins:
        hub.add_topic(cabin_topic(number), partial(_cabin_push, engine, number))


@dataclass(frozen=True)
class CabinPush:
    """What a batch means for one cabin's keypad and rating pad, rendered at the batch's state."""

    keypad: list[dict[str, Any]]
    rating: list[dict[str, Any]]


def _cabin_push(engine: Engine, cabin: int, events: Sequence[Event]) -> list[CabinPush]:
    """The batch for the cabin's devices, or nothing when it does not touch them."""
    if not keypad.touches(events, cabin):
        return []
    return [CabinPush(
        keypad=[{"t": "cabin_state", "cabin": keypad.cabin_state(engine, cabin)}],
        rating=rating_pad.updates(engine.config, engine.state.tickets, events, cabin),
    )]
