"""The in-memory state of one hall: tickets, cabins and the day, as plain dataclasses.

Only `Engine.apply` mutates it, one event at a time, so the live state and the state rebuilt
by replaying the journal are the same object graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .lifecycle import CabinStatus, TicketState


@dataclass
class Ticket:
    id: str
    number: str
    service: str
    priority: str | None
    channel: str
    day: str  # ISO business day in the hall's time zone
    issued_at: float
    arrival: float  # kept across transfers: dispatch ranks by it
    state: TicketState = TicketState.WAITING
    cabin: int | None = None
    officer: str | None = None
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    recalls: int = 0
    transfers: int = 0
    target_cabin: int | None = None
    appointment_at: float | None = None
    request: str | None = None
    ended_at: float | None = None  # no-show, cancel or day close
    closed_from: TicketState | None = None
    estimate_minutes: float | None = None  # what the citizen was told at issue

    @property
    def waiting_since(self) -> float:
        return self.arrival


@dataclass
class CabinState:
    number: int
    state: CabinStatus = CabinStatus.CLOSED
    officer: str | None = None
    ticket: str | None = None  # the ticket called or being served here
    pause_reason: str | None = None
    priority_streak: int = 0
    since: float = 0.0  # when the cabin entered its current state


@dataclass
class HallState:
    day: str | None = None
    day_open: bool = False
    seq: int = 0
    tickets: dict[str, Ticket] = field(default_factory=dict)
    by_number: dict[str, str] = field(default_factory=dict)  # today's number -> ticket id
    counters: dict[str, int] = field(default_factory=dict)  # service -> last sequence today
    waiting: dict[str, dict[str, None]] = field(default_factory=dict)  # service -> ordered ids
    targeted: dict[int, dict[str, None]] = field(default_factory=dict)  # cabin -> ordered ids
    cabins: dict[int, CabinState] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)  # idempotency key -> ticket id
    service_minutes: dict[str, float] = field(default_factory=dict)  # smoothed, per service
    assignments: dict[int, str] = field(default_factory=dict)  # cabin -> officer, overriding the hall file
