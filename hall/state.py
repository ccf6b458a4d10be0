"""The in-memory state of one hall: tickets, cabins and the day, as plain dataclasses.

Only `Engine.apply` mutates it, one event at a time, so the live state and the state rebuilt
by replaying the journal are the same object graph.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from dataclasses import dataclass, field

from .estimate import ServiceRates
from .lifecycle import CabinStatus, TicketState

QueueKey = tuple[int, float, int]  # (0 for a priority ticket else 1, arrival, seq of its issue)


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
    estimate_calibration: float = 0.0  # the calibration in force then (hall/estimate.py): told − it is the model's prediction
    issued_seq: int = 0  # the journal seq of its issue: breaks ties of arrival for good
    phone: str | None = None  # web and appointment tickets: where notifications go

    @property
    def waiting_since(self) -> float:
        return self.arrival

    @property
    def queue_key(self) -> QueueKey:
        """Where it stands in its queue: priority tickets first, then by arrival."""
        return (0 if self.priority else 1, self.arrival, self.issued_seq)


@dataclass
class Queue:
    """The waiting tickets of one queue (a service, or the tickets sent to one cabin).

    `ids` keeps the order tickets joined (dispatch policies see candidates in that order);
    `order` keeps their keys sorted the way they will be served, so how many stand ahead of a
    ticket, how many priority tickets wait and the longest wait cost a binary search, not a
    walk over the queue — a queue of 10,000 costs what a queue of 10 does.
    """

    ids: dict[str, QueueKey] = field(default_factory=dict)
    order: list[tuple[QueueKey, str]] = field(default_factory=list)

    def add(self, ticket: Ticket) -> None:
        key = ticket.queue_key
        self.ids[ticket.id] = key
        insort(self.order, (key, ticket.id))

    def discard(self, ticket_id: str) -> None:
        key = self.ids.pop(ticket_id, None)
        if key is not None:
            del self.order[bisect_left(self.order, (key, ticket_id))]

    def ahead_of(self, key: QueueKey) -> int:
        """Tickets of this queue that will be served before one standing at `key`."""
        return bisect_left(self.order, (key, ""))

    def priority_count(self) -> int:
        return bisect_left(self.order, ((1, float("-inf"), 0), ""))

    def oldest_arrival(self) -> float | None:
        """The earliest arrival among the waiting (priority tickets come first in `order`)."""
        return self.oldest_after(0) if self.order else None

    def oldest_after(self, called: int) -> float:
        """The earliest arrival among the waiting once the first `called` of them (in `order`:
        priority tickets first, each group by arrival) have been called: that ticket's or the first
        one without priority's after it. The dispatch calls at most `rules.max_priority_in_row`
        priority tickets in a row, so where many wait with priority the oldest without it is
        called a little sooner than this order says."""
        first_normal = max(self.priority_count(), called)
        arrival = self.order[called][0][1]
        return min(arrival, self.order[first_normal][0][1]) if first_normal < len(self.order) else arrival

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self.ids


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
    waiting: dict[str, Queue] = field(default_factory=dict)  # service -> its queue
    targeted: dict[int, Queue] = field(default_factory=dict)  # cabin -> tickets sent to it
    cabins: dict[int, CabinState] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)  # idempotency key -> ticket id
    rates: ServiceRates = field(default_factory=ServiceRates)  # officers' pace, learned from the day
    latest_at: float = 0.0  # the latest instant of an applied event: a visit's length is measured to it
    assignments: dict[int, str] = field(default_factory=dict)  # cabin -> officer, overriding the hall file
