"""Appointments: a service's slots of a day, booking one, cancelling it, checking in.

The booking code is the citizen's key, like a ticket id: unguessable, shown as a QR code on the
confirmation page (`check_in_url`) and typed or scanned at the kiosk. Every change goes through
the engine (hall/appointments.py), so it is atomic, durable before it is answered, and replayed.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass

from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from displays.qr import qr_svg
from hall.appointments import Appointment, AppointmentBook, BookAppointment, CancelAppointment, CheckIn
from hall.phones import InvalidPhone, mobile_number
from hall.ticket_view import ticket_view

from ..access import optional_user
from ..answers import AppointmentView, BookingDays, Slots, TicketView
from ..context import HallContext, current_hall, incoming
from ..errors import ApiError, json_response
from ..notify import masked
from ..openapi import document_file
from ..request_body import validate_body

bp = Blueprint("appointments", __name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed at a kiosk
CODE_LENGTH = 10  # about 49 bits: not guessable within any rate limit


@dataclass(frozen=True)
class BookingRequest:
    service: str
    date: dt.date
    start: str
    phone: str
    name: str


@dataclass(frozen=True)
class SlotsQuery:
    date: str  # the day, like 2027-03-15


@dataclass(frozen=True)
class PhoneProof:
    phone: str


@bp.get("/api/v1/services/<code>/booking-days")
@document_response(BookingDays)
async def booking_days(code: str) -> Response:
    """The days a service can be booked on, from today, with their free places."""
    hall = known_service(code)
    days = hall.engine.component(AppointmentBook).open_days(code, hall.runtime.clock.now())
    return json_response({"service": code, "days": [{"date": day.isoformat(), "free": free} for day, free in days]})


@bp.get("/api/v1/services/<code>/slots")
@validate_querystring(SlotsQuery)
@document_response(Slots)
async def slots(code: str, query_args: SlotsQuery) -> Response:
    """A bookable service's slots of a day, with free places."""
    hall = known_service(code)
    text = query_args.date
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ApiError("invalid", f"date must be a date like 2027-03-15, got {text[:20]!r}") from None
    book = hall.engine.component(AppointmentBook)
    found = book.slots(code, day, hall.runtime.clock.now())
    return json_response({"service": code, "date": day.isoformat(), "slots": [s.as_dict() for s in found]})


@bp.post("/api/v1/appointments")
@document_response(AppointmentView, 201)
@validate_body(BookingRequest)
async def book(data: BookingRequest) -> Response:
    """Book a slot (anyone, limited per address); 201 with the booking once it is durable."""
    hall = current_hall()
    hall.limits.take_booking(incoming(), time.monotonic())
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    await hall.runtime.execute(BookAppointment(code=code, service=data.service, day=data.date, start=data.start,
                                               phone=valid_phone(data.phone), name=data.name, actor="web"))
    return json_response(appointment_view(hall.engine.component(AppointmentBook).get(code)), 201)


@bp.get("/api/v1/appointments/<code>")
@document_response(AppointmentView)
async def one(code: str) -> Response:
    """A booking, for the holder of its code."""
    return json_response(appointment_view(known_appointment(code)))


@bp.get("/api/v1/appointments/<code>/qr.svg")
@document_file("image/svg+xml", "the QR code of the check-in address")
async def qr_code(code: str) -> Response:
    """The confirmation's QR code: the check-in address, scanned at the kiosk."""
    return svg_response(qr_svg(check_in_url(known_appointment(code).code)))


@bp.post("/api/v1/appointments/<code>/cancel")
@document_response(AppointmentView)
@validate_body(PhoneProof)
async def cancel(code: str, data: PhoneProof) -> Response:
    """Cancel a booking with the phone it was made with."""
    hall = current_hall()
    appointment = known_appointment(code)
    await hall.runtime.execute(CancelAppointment(code=appointment.code, phone=valid_phone(data.phone), actor="citizen"))
    return json_response(appointment_view(appointment))


@bp.post("/api/v1/appointments/<code>/check-in")
@document_response(TicketView, 201)
async def check_in(code: str) -> Response:
    """Check in inside the booking's window: the appointment ticket."""
    hall = current_hall()
    appointment = known_appointment(code)
    user = optional_user()
    ticket_id = secrets.token_urlsafe(9)
    await hall.runtime.execute(CheckIn(code=appointment.code, ticket_id=ticket_id, actor=user.username if user else "citizen"))
    return json_response(ticket_view(hall.engine, hall.engine.state.tickets[ticket_id]), 201)


def known_service(code: str) -> HallContext:
    hall = current_hall()
    if code not in hall.config.services:
        raise ApiError("unknown_service", f"no service {code[:40]!r}")
    return hall


def svg_response(svg: bytes) -> Response:
    return Response(svg, content_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


def valid_phone(text: str) -> str:
    try:
        return mobile_number(text)
    except InvalidPhone as exc:
        raise ApiError("invalid_phone", str(exc), 422) from None


def known_appointment(code: str) -> Appointment:
    book = current_hall().engine.component(AppointmentBook)
    found = book.appointments.get(code.strip().upper())
    if found is None:
        raise ApiError("unknown_appointment", f"no appointment {code[:20]!r}", 404)
    return found


def appointment_view(appointment: Appointment) -> dict[str, object]:
    """The booking for its holder; the phone shown only by its last three digits."""
    hall = current_hall()
    service = hall.config.services[appointment.service]
    return {
        "code": appointment.code,
        "service": appointment.service,
        "service_name": service.name,
        "department_name": hall.config.departments[service.department].name,
        "date": appointment.day,
        "start": appointment.start,
        "end": appointment.end,
        "state": appointment.state,
        "phone": masked(appointment.phone),  # "" once retention deleted it
        "ticket": appointment.ticket,
        "check_in_url": check_in_url(appointment.code),
    }


def check_in_url(code: str) -> str:
    """The address the confirmation's QR code holds: the booking's page, from which the kiosk's
    scanner (or the citizen, at the hall) checks in."""
    return f"{current_hall().config.public_url}/book/{code}"
