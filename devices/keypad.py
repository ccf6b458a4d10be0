"""The officer keypad: hardware buttons for the cabin actions, and the number it displays.

A keypad belongs to one cabin (hall file). Its `action` frames are the HTTP cabin actions
(`POST /api/v1/cabins/{n}/{action}`) as frames, and they go through the very same command
construction (`hall.cabin_actions.cabin_command`) and engine rules; this module only reads the
press from the frame and names who acts. After every change at its cabin the keypad gets
`cabin_state`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hall.cabin_actions import CabinAction
from hall.config import User
from hall.engine import Engine
from hall.events import Event
from hall.lifecycle import CommandRefused
from hall.ticket_view import ticket_brief


def press(frame: dict[str, Any]) -> CabinAction:
    """The button press an `action` frame stands for (the protocol checked its fields)."""
    return CabinAction(frame["action"], ticket=frame.get("ticket"), service=frame.get("service"),
                       to_cabin=frame.get("to_cabin"), reason=frame.get("reason"))


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
        "ticket": ticket_brief(ticket) if ticket else None,
        "current_number": ticket.number if ticket else None,
        "waiting": engine.waiting_for(cabin),
    }


def touches(events: Sequence[Event], cabin: int) -> bool:
    """Whether a batch of events changed what the cabin's devices show."""
    return any(event.payload.WHOLE_HALL or cabin in event.payload.cabins for event in events)
