"""The officer keypad: hardware buttons for the cabin actions, and the number it displays.

A keypad belongs to one cabin (hall file). Its `action` frames are the HTTP cabin actions
(`POST /api/v1/cabins/{n}/{action}`) as frames, and they go through the very same command
construction (`api.app.cabin_command`) and engine rules; this module only maps the frame to the
HTTP body and names who acts. After every change at its cabin the keypad gets `cabin_state`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hall.commands import Event
from hall.config import User
from hall.engine import Engine
from hall.lifecycle import CommandRefused


def http_body(frame: dict[str, Any]) -> dict[str, Any]:
    """The HTTP body the same action takes (transfer target cabin is `to_cabin` on the wire)."""
    body = {k: frame[k] for k in ("ticket", "service", "reason") if frame.get(k) is not None}
    if frame.get("to_cabin") is not None:
        body["cabin"] = frame["to_cabin"]
    return body


def acting_officer(engine: Engine, cabin: int) -> User:
    """Who presses the keypad's buttons: the officer signed in at the cabin, or (to open it) the
    officer seated there (the floor manager's assignment, else the hall file's). Every event
    stays attributable to a person."""
    username = engine.state.cabins[cabin].officer or engine.assigned_officer(cabin)
    user = engine.config.users.get(username) if username else None
    if user is None:
        raise CommandRefused("unknown_officer", f"cabin {cabin} has no officer assigned")
    return user


def cabin_state(engine: Engine, cabin: int) -> dict[str, Any]:
    """What the keypad's display shows: the cabin's state and its current number."""
    state = engine.state.cabins[cabin]
    ticket = engine.state.tickets.get(state.ticket) if state.ticket else None
    return {
        "number": cabin,
        "state": state.state,
        "officer": state.officer,
        "pause_reason": state.pause_reason,
        "ticket": {"id": ticket.id, "number": ticket.number, "service": ticket.service, "state": ticket.state,
                   "recalls": ticket.recalls} if ticket else None,
        "current_number": ticket.number if ticket else None,
        "waiting": len(engine.candidates_for(cabin)),
    }


def touches(events: Sequence[Event], cabin: int) -> bool:
    """Whether a batch of events changed what the cabin's keypad shows."""
    for event in events:
        data = event.data
        if cabin in (data.get("cabin"), data.get("from_cabin"), data.get("to_cabin")):
            return True
        if event.type in ("day_opened", "day_closed"):
            return True
    return False
