"""What the routes answer, as records: /openapi.json shows them as the routes' response schemas
(quart-schema's `document_response`, beside each handler).

The views themselves are built as dictionaries by the functions named below (hall/ticket_view.py
…); tests/test_openapi.py checks that real answers fit these records, so the document and the
views cannot drift apart silently. A route whose answer is a larger report (statistics, the
devices listing, …) declares `JsonObject`: a JSON object, described in docs/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

TicketState = Literal["waiting", "called", "serving", "done", "no_show", "cancelled", "closed"]


@dataclass(frozen=True)
class JsonObject:
    """A JSON object (its fields are described in docs/ for each route)."""


@dataclass(frozen=True)
class TicketView:
    """The whole ticket, for the holder of its id (hall/ticket_view.py `ticket_view`)."""

    id: str  # unguessable, printed as the ticket's QR code
    number: str  # printed number: the service's prefix and a daily sequence
    service: str
    service_name: str
    department: str
    department_name: str
    state: TicketState
    priority: str | None
    channel: str
    day: str
    issued_at: str
    ahead: int
    estimated_wait_minutes: int
    estimate: dict[str, Any] | None
    cabin: int | None
    recalls: int
    track_url: str
    near: int | None


@dataclass(frozen=True)
class AppointmentView:
    """A booking, for the holder of its code (api/routes/appointments.py `appointment_view`)."""

    code: str  # the booking's key, shown as a QR code and typed at the kiosk
    service: str
    service_name: str
    department_name: str
    date: str
    start: str
    end: str
    state: Literal["booked", "cancelled", "checked_in", "missed"]
    phone: str  # masked: the last three digits
    ticket: str | None
    check_in_url: str


@dataclass(frozen=True)
class SignedIn:
    """A bearer token and who it signs in."""

    token: str
    user: dict[str, Any]


@dataclass(frozen=True)
class SignedOut:
    signed_out: bool


@dataclass(frozen=True)
class DayState:
    day: str | None
    open: bool


@dataclass(frozen=True)
class Slot:
    start: str
    end: str
    capacity: int
    free: int


@dataclass(frozen=True)
class Slots:
    """A bookable service's slots of a day, with free places."""

    service: str
    date: str
    slots: list[Slot]
