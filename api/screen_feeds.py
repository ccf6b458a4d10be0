"""What the `/ws/display/…` sockets send: a snapshot, then the durable deltas (routes: api/routes/screens.py).

Every screen follows one protocol (DESIGN.md principle 4): on connect it gets a snapshot tagged
with the sequence number it reflects — sent only once everything up to that number is durable —
then the hub's "display" deltas in order. The hub never awaits a screen; a screen that falls
behind is cut off by the hub, and this socket then closes with 1013 so the page reconnects and
takes a fresh snapshot.

Kinds of socket:
* `hall`, `cabin/{n}`, `board`, `dashboard`, `officer`, `kiosk` — the hall's public view
  (`displays.hall_view`), the same bytes to every screen. `hall` also carries the voice:
  `announce` frames from `api.announcer`, and the page answers `{"t": "played", "id": …}`.
* `track/{ticket id}` — one ticket only (the id is the unguessable one printed as the QR code):
  its own view, re-sent when it changes; nothing about other tickets.

Who may listen: every kind but `officer` is anonymous, and what they send is built from
allow-lists (displays/hall_view.py). The officer console's socket needs a signed-in staff
token, as `?token=` (a browser cannot set headers on a websocket); without one it closes with
4401. Anonymous sockets are capped per client address (`[limits] websockets_per_address`, api/limits.py):
one more closes with 4429 at once.
"""

from __future__ import annotations

import json
from typing import Any

import trio
from quart import websocket

from displays import board_view, dashboard_view, hall_view
from hall.ticket_view import ticket_view

from .access import STAFF, token_user
from .announcer import Announcer
from .context import HallContext, incoming
from .limits import unlimited_client
from .runtime import HallRuntime

PUBLIC_KINDS = ("hall", "board", "dashboard", "officer", "kiosk")
CLOSE_FELL_BEHIND = 1013
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_MANY = 4429
CLOSE_UNKNOWN = 4404
STAFF_ONLY_KINDS = ("officer",)


def add_display_topic(runtime: HallRuntime) -> None:
    """The screens' hub topic: each durable batch as one JSON delta, the same bytes for every screen."""
    runtime.hub.add_topic("display", lambda events: [json.dumps(hall_view.delta(runtime.engine, events), ensure_ascii=False)])


async def display_feed(hall: HallContext, kind: str) -> None:
    """Serve the display socket of `kind` until it closes (see the module doc for the kinds)."""
    if kind in STAFF_ONLY_KINDS and not _staff_token(hall):
        await websocket.accept()
        await websocket.close(CLOSE_UNAUTHORIZED, "sign in first: the officer console's socket needs ?token=")
        return
    asked = incoming()
    if unlimited_client(asked) or kind in STAFF_ONLY_KINDS:
        await _serve_kind(hall, kind)
        return
    with hall.limits.websockets.held(hall.limits.key(asked)) as admitted:
        if not admitted:
            await websocket.accept()
            await websocket.close(CLOSE_TOO_MANY, f"at most {hall.limits.settings.websockets_per_address} screens per address")
            return
        await _serve_kind(hall, kind)


def _staff_token(hall: HallContext) -> bool:
    signed = token_user(hall, websocket.args.get("token", ""))
    return signed is not None and signed[0].role in STAFF


async def _serve_kind(hall: HallContext, kind: str) -> None:
    if kind.startswith("track/"):
        await _track_socket(hall, kind[len("track/"):])
    elif kind in PUBLIC_KINDS or _cabin_kind(hall, kind):
        # Only a hall display that plays sound takes announcements (?audio=1): the calls
        # themselves reach every screen in the deltas, and one speaker per hall is enough.
        plays = kind == "hall" and websocket.args.get("audio") == "1"
        await _public_socket(hall, hall.announcer if plays else None, kind)
    else:
        await websocket.accept()
        await websocket.close(CLOSE_UNKNOWN, f"unknown display {kind!r}")


def _cabin_kind(hall: HallContext, kind: str) -> bool:
    head, _, number = kind.partition("/")
    return head == "cabin" and number.isdigit() and int(number) in hall.config.cabins


def public_snapshot(hall: HallContext, kind: str) -> dict[str, Any]:
    """The hall's public snapshot, plus the server's clock (screens correct their own with it)
    and, for the dashboard, the hall-now figures."""
    snap = hall_view.snapshot(hall.engine)
    snap["now"] = hall.runtime.clock.now()
    snap["kind"] = kind
    if kind == "dashboard":
        snap["hall_now"] = dashboard_view.hall_now(hall.engine, snap["now"])
    if kind in ("board", "dashboard"):
        snap["agencies_now"] = board_view.agencies_now(hall.engine)
    return snap


async def _public_socket(hall: HallContext, announcer: Announcer | None, kind: str) -> None:
    runtime = hall.runtime
    subscriber = runtime.hub.subscribe("display")
    listener = announcer.listen() if announcer is not None else None
    send_lock = trio.Lock()

    async def locked_send(text: str) -> None:
        async with send_lock:
            await websocket.send(text)

    # Only a sound-playing display has a second writer (its announcements); every other screen
    # sends from this task alone and skips the lock on the hot fan-out path. (The reader of what
    # the screen sends writes nothing.)
    send = locked_send if listener is not None else websocket.send

    try:
        snap = public_snapshot(hall, kind)
        await runtime.wait_durable(snap["seq"])
        await send(json.dumps(snap, ensure_ascii=False))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_read_screen, announcer)
            if listener is not None and announcer is not None:
                nursery.start_soon(_forward_announcements, listener[1], send)
            async for last_seq, frame in subscriber.receive:
                if last_seq > snap["seq"]:
                    await send(frame)
            nursery.cancel_scope.cancel()
        # The hub cut us off (too slow): the screen reconnects and takes a fresh snapshot.
        await websocket.close(CLOSE_FELL_BEHIND, "fell behind; reconnect for a fresh snapshot")
    finally:
        runtime.hub.unsubscribe("display", subscriber)
        if listener is not None and announcer is not None:
            announcer.unlisten(listener[0])


async def _forward_announcements(listener: trio.MemoryReceiveChannel[str], send: Any) -> None:
    async for frame in listener:
        await send(frame)


async def _read_screen(announcer: Announcer | None) -> None:
    """Read everything a screen sends, as it comes: the sound-playing hall display reports
    `{"t": "played", "id": n}` when an announcement has finished (to `announcer`); anything else
    is dropped. Left unread, a stranger's frames piled up in the server (about 20 MiB a socket)."""
    while True:
        raw = await websocket.receive()
        if announcer is None:
            continue
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if isinstance(message, dict) and message.get("t") == "played" and isinstance(message.get("id"), int):
            announcer.played(message["id"])


async def _track_socket(hall: HallContext, ticket_id: str) -> None:
    runtime = hall.runtime
    ticket = hall.engine.state.tickets.get(ticket_id)
    if ticket is None:
        await websocket.accept()
        await websocket.close(CLOSE_UNKNOWN, "no such ticket")
        return
    subscriber = runtime.hub.subscribe("display")
    try:
        seq = hall.engine.state.seq
        last = ticket_view(hall.engine, ticket)
        await runtime.wait_durable(seq)
        await websocket.send(json.dumps({"t": "snapshot", "seq": seq, "now": runtime.clock.now(), "ticket": last}, ensure_ascii=False))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_read_screen, None)
            async for last_seq, _frame in subscriber.receive:
                # Anything may change this ticket's view (people ahead, estimate), so the view is
                # recomputed and sent when it differs; other tickets are never named.
                current = hall.engine.state.tickets.get(ticket_id)
                if current is None:
                    break
                view, at = ticket_view(hall.engine, current), hall.engine.state.seq
                if view != last and last_seq > seq:
                    last = view
                    await runtime.wait_durable(at)  # the view may include newer events: send it once they are kept
                    await websocket.send(json.dumps({"t": "ticket", "seq": last_seq, "ticket": view}, ensure_ascii=False))
            nursery.cancel_scope.cancel()
        await websocket.close(CLOSE_FELL_BEHIND, "fell behind; reconnect for a fresh snapshot")
    finally:
        runtime.hub.unsubscribe("display", subscriber)
