"""Who a cabin calls next: pure, swappable policies over (waiting tickets, cabin, now).

The default policy (`WeightedWait`) follows DESIGN.md: appointments whose slot has come go
first; priority tickets are interleaved with normal ones (at most `max_priority_in_row` priority
calls in a row while normal tickets wait); otherwise the ticket with the largest weighted wait
`(now − arrival) × weight(service, cabin)` wins. Because the weight multiplies the wait, a
cabin helps a backup queue only once that queue's wait is long enough, and since every waiting
ticket's score grows with time, nobody starves. Ties go to the earlier arrival, then the lower
sequence, so the order is total and golden tests are stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .state import Ticket


@dataclass(frozen=True)
class CabinView:
    """What a policy may know about the calling cabin."""

    number: int
    department: str
    profile: dict[str, float]
    priority_streak: int
    departments_of: dict[str, str]  # service code -> department code


class DispatchPolicy(Protocol):
    name: str

    def choose(self, candidates: Iterable[Ticket], cabin: CabinView, now: float) -> Ticket | None: ...

    def weights(self, profile: dict[str, float], department: str, departments_of: dict[str, str]) -> dict[str, float]:
        """The queues a cabin with this profile calls from, with the weights its calls follow
        (what the wait estimate counts the cabin for)."""
        ...


def _weight(ticket: Ticket, cabin: CabinView) -> float:
    if ticket.target_cabin == cabin.number:
        return max(cabin.profile.values(), default=1.0)
    return cabin.profile.get(ticket.service, 0.0)


def _order_key(ticket: Ticket) -> tuple[float, str]:
    return (ticket.arrival, ticket.number)


@dataclass(frozen=True)
class WeightedWait:
    max_priority_in_row: int = 2
    name: str = "weighted"

    def choose(self, candidates: Iterable[Ticket], cabin: CabinView, now: float) -> Ticket | None:
        eligible = [t for t in candidates if _weight(t, cabin) > 0]
        due = [t for t in eligible if t.appointment_at is not None and t.appointment_at <= now]
        if due:
            return min(due, key=lambda t: (t.appointment_at, *_order_key(t)))
        priority = [t for t in eligible if t.priority]
        normal = [t for t in eligible if not t.priority]
        if priority and (not normal or cabin.priority_streak < self.max_priority_in_row):
            return self._best(priority, cabin, now)
        return self._best(normal, cabin, now) if normal else None

    @staticmethod
    def _best(tickets: list[Ticket], cabin: CabinView, now: float) -> Ticket:
        return min(tickets, key=lambda t: (-(now - t.arrival) * _weight(t, cabin), *_order_key(t)))

    def weights(self, profile: dict[str, float], department: str, departments_of: dict[str, str]) -> dict[str, float]:
        return profile


@dataclass(frozen=True)
class OwnDepartmentFifo:
    """Baseline for comparison: a cabin serves only its own department, first come first served."""

    name: str = "own-department-fifo"

    def choose(self, candidates: Iterable[Ticket], cabin: CabinView, now: float) -> Ticket | None:
        own = [
            t
            for t in candidates
            if t.target_cabin == cabin.number or cabin.departments_of.get(t.service) == cabin.department
        ]
        return min(own, key=_order_key) if own else None

    def weights(self, profile: dict[str, float], department: str, departments_of: dict[str, str]) -> dict[str, float]:
        """Only the department's own queues, alike: oldest first is equal weights."""
        return {code: 1.0 for code in profile if departments_of.get(code) == department}


POLICIES = ("weighted", "own-department-fifo")  # the names `rules.dispatch_policy` may give


def make_policy(name: str, max_priority_in_row: int) -> DispatchPolicy:
    """The policy named in the hall file's `rules.dispatch_policy` (checked when the file loads)."""
    if name == "weighted":
        return WeightedWait(max_priority_in_row)
    if name == "own-department-fifo":
        return OwnDepartmentFifo()
    raise ValueError(f"rules.dispatch_policy: unknown policy {name!r} ({', '.join(POLICIES)})")
