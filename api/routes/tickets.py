"""Tickets: taking one (web, kiosk page, staff), looking at it, cancelling it, a no-show rejoining.

A ticket's id is unguessable and printed as its QR code: holding it is what lets a citizen see
or cancel their ticket, so those routes are public and look tickets up by id only (numbers are
guessable).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from quart import Blueprint, Response

from hall import commands as c
from hall import events as ev
from hall.state import Ticket
from hall.ticket_view import ticket_view

from ..access import STAFF, current_user, optional_user, require
from ..context import current_hall
from ..errors import ApiError, json_response
from ..request_body import parse_body
from .appointments import valid_phone

bp = Blueprint("tickets", __name__)

CHANNELS_OPEN_TO_ALL = ("kiosk", "web")


@dataclass(frozen=True)
class TicketRequest:
    service: str
    priority: str | None = None
    channel: str | None = None  # "web" when a phone is given, else "kiosk" (the kiosk page of release one)
    phone: str | None = None  # required for "web": a Vietnamese mobile number


@bp.post("/api/v1/tickets")
async def issue() -> Response:
    hall = current_hall()
    asked = await parse_body(TicketRequest)
    channel = asked.channel or ("web" if asked.phone is not None else "kiosk")
    if channel not in CHANNELS_OPEN_TO_ALL:
        require(STAFF, f"channel {channel!r} is for staff")
    if channel == "web" and asked.phone is None:
        raise ApiError("invalid_phone", "a web ticket needs \"phone\": the citizen's mobile number, for the call", 422)
    phone = valid_phone(asked.phone) if asked.phone is not None else None
    command = c.IssueTicket(ticket_id=secrets.token_urlsafe(9), service=asked.service, priority=asked.priority,
                            channel=channel, phone=phone, actor=channel)
    events = await hall.runtime.execute(command)
    issued = next(e.payload for e in events if isinstance(e.payload, ev.TicketIssued))
    return json_response(ticket_view(hall.engine, hall.engine.state.tickets[issued.id]), 201)


@bp.get("/api/v1/tickets/<ticket_id>")
async def one(ticket_id: str) -> Response:
    hall = current_hall()
    return json_response(ticket_view(hall.engine, known_ticket(ticket_id)))


@bp.post("/api/v1/tickets/<ticket_id>/cancel")
async def cancel(ticket_id: str) -> Response:
    hall = current_hall()
    known_ticket(ticket_id)
    user = optional_user()
    await hall.runtime.execute(c.CancelTicket(ticket_id, actor=user.username if user else "citizen"))
    return json_response(ticket_view(hall.engine, known_ticket(ticket_id)))


@bp.post("/api/v1/tickets/<ticket_id>/rejoin")
async def rejoin(ticket_id: str) -> Response:
    hall, user = current_hall(), current_user()
    known_ticket(ticket_id)
    await hall.runtime.execute(c.Rejoin(ticket_id, actor=user.username))
    return json_response(ticket_view(hall.engine, known_ticket(ticket_id)))


def known_ticket(ticket_id: str) -> Ticket:
    ticket = current_hall().engine.state.tickets.get(ticket_id)
    if ticket is None:
        raise ApiError("unknown_ticket", f"no ticket {ticket_id!r}")
    return ticket
