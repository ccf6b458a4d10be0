"""Tickets: taking one (web, kiosk page, staff), looking at it, cancelling it, a no-show rejoining.

A ticket's id is unguessable (72 random bits) and printed as its QR code: holding it is what
lets a citizen see or cancel their ticket, so those routes are public and look tickets up by id
only (numbers are guessable); no public view shows an id (displays/hall_view.py).

Who may take a ticket on which channel:
* `web` — anyone, limited per client address (`[limits] web_tickets_per_address`, 429 with
  Retry-After past it), and without a priority: a priority is checked by a person, at a kiosk
  or by staff;
* `kiosk` — a kiosk of the hall file proving itself (`Authorization: Device ID TOKEN`); not
  limited, priorities allowed (the kiosk's citizen is in the hall);
* any other channel (`staff`, …) — signed-in staff, not limited.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from quart import Blueprint, Response
from quart_schema import document_response

from displays.hall_view import booking_summary
from displays.qr import qr_svg
from hall import commands as c
from hall import events as ev
from hall.cabin_actions import serves
from hall.config import User
from hall.engine import Engine
from hall.lifecycle import CommandRefused
from hall.state import Ticket
from hall.ticket_view import track_url, ticket_view

from ..access import OFFICER, STAFF, current_user, optional_device, optional_user, require
from ..answers import TicketView
from ..context import current_hall, incoming
from ..errors import ApiError, json_response
from ..openapi import document_file
from ..request_body import validate_body
from .appointments import svg_response, valid_phone

bp = Blueprint("tickets", __name__)


@dataclass(frozen=True)
class TicketRequest:
    service: str
    priority: str | None = None
    channel: str | None = None  # "kiosk" when a kiosk proves itself (Authorization: Device ID TOKEN), else "web"
    phone: str | None = None  # required for "web": a Vietnamese mobile number


@bp.post("/api/v1/tickets")
@document_response(TicketView, 201)
@validate_body(TicketRequest)
async def issue(data: TicketRequest) -> Response:
    """Take a ticket: web (anyone, limited per address, no priority, a phone), kiosk (a kiosk's device token) or staff
    channels."""
    hall = current_hall()
    kiosk = optional_device("kiosk")
    channel = data.channel or ("kiosk" if kiosk is not None else "web")
    if channel == "kiosk":
        if kiosk is None:
            raise ApiError("unauthorized", "the kiosk channel is for the hall's kiosks: send Authorization: Device ID TOKEN")
    elif channel == "web":
        if data.priority is not None:
            raise ApiError("forbidden", "a web ticket cannot claim a priority: priorities are given at a kiosk or by staff")
        if data.phone is None:
            raise ApiError("invalid_phone", "a web ticket needs \"phone\": the citizen's mobile number, for the call", 422)
        hall.limits.take_web_ticket(incoming(), time.monotonic())
    else:
        require(STAFF, f"channel {channel!r} is for staff")
    phone = valid_phone(data.phone) if data.phone is not None else None
    command = c.IssueTicket(ticket_id=secrets.token_urlsafe(9), service=data.service, priority=data.priority,
                            channel=channel, phone=phone, actor=channel)
    try:
        events = await hall.runtime.execute(command)
    except CommandRefused as refusal:
        if refusal.code == "day_full" and channel == "web" and booking_summary(hall.engine, data.service):
            return day_full_with_booking(refusal)
        raise
    issued = next(e.payload for e in events if isinstance(e.payload, ev.TicketIssued))
    return json_response(ticket_view(hall.engine, hall.engine.state.tickets[issued.id]), 201)


@bp.get("/api/v1/tickets/<ticket_id>")
@document_response(TicketView)
async def one(ticket_id: str) -> Response:
    """One ticket, for the holder of its unguessable id."""
    hall = current_hall()
    return json_response(ticket_view(hall.engine, known_ticket(ticket_id)))


@bp.get("/api/v1/tickets/<ticket_id>/qr.svg")
@document_file("image/svg+xml", "the QR code of the ticket's tracking address")
async def qr_code(ticket_id: str) -> Response:
    """The ticket's tracking address as a QR code (the kiosk shows it when printing failed)."""
    return svg_response(qr_svg(track_url(current_hall().engine, known_ticket(ticket_id))))


def officer_cabins(engine: Engine, user: User) -> list[int]:
    """The cabins an officer works at now: the one they are signed in at, and their own."""
    cabins = [n for n, cabin in engine.state.cabins.items() if cabin.officer == user.username]
    return cabins + [user.cabin] if user.cabin is not None else cabins


@bp.post("/api/v1/tickets/<ticket_id>/cancel")
@document_response(TicketView)
async def cancel(ticket_id: str) -> Response:
    """Cancel a waiting ticket (its holder, or staff)."""
    hall = current_hall()
    known_ticket(ticket_id)
    user = optional_user()
    await hall.runtime.execute(c.CancelTicket(ticket_id, actor=user.username if user else "citizen"))
    return json_response(ticket_view(hall.engine, known_ticket(ticket_id)))


@bp.post("/api/v1/tickets/<ticket_id>/rejoin")
@document_response(TicketView)
async def rejoin(ticket_id: str) -> Response:
    """A no-show rejoins the queue within the window (staff; an officer for tickets their cabin serves)."""
    hall, user = current_hall(), current_user()
    ticket = known_ticket(ticket_id)
    if user.role == OFFICER and not any(serves(hall.engine, n, ticket) for n in officer_cabins(hall.engine, user)):
        raise ApiError("forbidden", f"{user.username}'s cabin does not serve ticket {ticket.number} ({ticket.service})")
    await hall.runtime.execute(c.Rejoin(ticket_id, actor=user.username))
    return json_response(ticket_view(hall.engine, known_ticket(ticket_id)))


def day_full_with_booking(refusal: CommandRefused) -> Response:
    """`409 day_full` for a web ticket of a queue that takes bookings, pointing to /book."""
    book_url = f"{current_hall().config.public_url}/book"
    message = f"{refusal.message}; or book a time on another day: {book_url}"
    return json_response({"error": {"code": refusal.code, "message": message, "book_url": book_url}}, 409)


def known_ticket(ticket_id: str) -> Ticket:
    ticket = current_hall().engine.state.tickets.get(ticket_id)
    if ticket is None:
        raise ApiError("unknown_ticket", f"no ticket {ticket_id!r}")
    return ticket
