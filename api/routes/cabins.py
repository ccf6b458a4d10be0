"""Cabins: every cabin's state, one cabin with the queue it serves, and the officer's buttons.

A button press becomes a command through `hall.cabin_actions.cabin_command`, the same function
the hardware keypads go through (api/device_ws.py), so the console and a keypad can do the same
things only. Who may press is the access table's `own_cabin` rule (api/access.py).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response

from displays import hall_view
from hall import events as ev
from hall.cabin_actions import CABIN_ACTIONS, CabinAction, cabin_command
from hall.events import Event
from hall.ticket_view import public_ticket_view, ticket_view

from ..access import current_user
from ..answers import CabinDetail, CabinPress, Cabins
from ..context import current_hall
from ..errors import ApiError, json_response
from ..openapi import document_file
from ..request_body import validate_body

bp = Blueprint("cabins", __name__)
QUEUE_SHOWN = 50
# The actions in the route itself: an unknown one is 404 before anyone is asked to sign in, and
# /openapi.json lists them (quart-schema reads the `any` converter).
ACTIONS = ", ".join(repr(name) for name in CABIN_ACTIONS)


@dataclass(frozen=True)
class Press:
    """What a button press may carry (see `hall.cabin_actions.CabinAction`)."""

    officer: str | None = None
    ticket: str | None = None
    service: str | None = None
    cabin: int | None = None  # where `transfer` sends the citizen
    reason: str | None = None


@bp.get("/api/v1/cabins")
@document_response(Cabins)
async def listing() -> Response:
    """Every cabin's state."""
    hall = current_hall()
    return json_response({"cabins": [hall_view.cabin_summary(hall.engine, n) for n in hall.config.cabins]})


@bp.get("/api/v1/cabins/<int:number>")
@document_response(CabinDetail)
async def one(number: int) -> Response:
    """One cabin with the queue it serves (printed numbers, no ticket ids)."""
    hall = current_hall()
    if number not in hall.config.cabins:
        raise ApiError("unknown_cabin", f"no cabin {number}")
    engine = hall.engine
    body = hall_view.cabin_summary(engine, number)
    body["profile"] = hall.config.cabins[number].profile
    # Cut to the first few before building views: a view costs a search of its queue.
    waiting = heapq.nsmallest(QUEUE_SHOWN, engine.candidates_for(number), key=lambda t: (t.arrival, t.issued_seq))
    body["queue"] = [public_ticket_view(engine, t) for t in waiting]  # anyone may read it: numbers, no ids
    return json_response(body)


@bp.post(f"/api/v1/cabins/<int:number>/<any({ACTIONS}):action>")
@document_response(CabinPress)
@document_file("text/plain", "call-next: nothing waits for this cabin", 204)
@validate_body(Press, required=False)
async def action(number: int, action: str, data: Press) -> Response:
    """A button press at a cabin by its officer (or the floor manager); `call-next` answers 204 when nothing waits."""
    hall, user = current_hall(), current_user()
    pressed = CabinAction(action, data.officer, data.ticket, data.service, data.cabin, data.reason)
    command = cabin_command(hall.engine, user, number, pressed)
    events = await hall.runtime.execute(command)
    if action == "call-next" and not any(isinstance(e.payload, ev.TicketCalled) for e in events):
        return Response(b"", status=204)
    return json_response(action_answer(number, events))


def action_answer(number: int, events: list[Event]) -> dict[str, Any]:
    """The touched ticket's fields at the top level (call-next answers "with the ticket"), and
    the cabin's new state beside them."""
    engine = current_hall().engine
    touched = next((e.payload.ticket_id for e in events if e.payload.ticket_id), None)
    ticket = engine.state.tickets.get(touched) if touched else None
    body = ticket_view(engine, ticket) if ticket else {"cabin": number}
    body["ticket"] = ticket_view(engine, ticket) if ticket else None
    body["cabin_state"] = hall_view.cabin_summary(engine, number)
    return body
