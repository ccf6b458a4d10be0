"""Every legal state transition of tickets, cabins, dossiers and print jobs lives in this file.

Theory of operation: a ticket, a cabin, a dossier and a print job are each a small state
machine. The engine asks `ticket_next(number, state, action)` (or `cabin_next`, `dossier_next`,
`job_next`) before it emits an event; anything not in the tables below is refused with a
`CommandRefused` that names the thing, its state and the action, so an officer (or an inspector
reading the audit trail) sees why. Applying an event re-uses the same tables, so replaying the
journal can never reach a state the live engine could not.

States are `StrEnum`s: they compare equal to their journal spelling ("waiting"), so JSON views
and stored rows keep the words they always had.

Ticket: waiting → called → serving → done, with the side branches below. A transfer puts the
ticket back to waiting in another queue (it keeps its number and original arrival time), a
no-show may rejoin within a window, closing the day closes whatever is left.

Dossier: received → processing → ready → returned, with a request to supplement and a refusal
on the way; "returned" only through the return-of-results command (hall/dossiers.py).

Print job: queued → sent → printed | failed; a job whose carrier disconnects before answering
goes back to queued, and a queued job may fail without being sent (too old to deliver).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class CabinStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class DossierStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    READY = "ready"
    RETURNED = "returned"
    REFUSED = "refused"


class PrintJobState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    PRINTED = "printed"
    FAILED = "failed"


T = TicketState
TICKET_TRANSITIONS: dict[TicketState, dict[str, TicketState]] = {
    T.WAITING: {"call": T.CALLED, "cancel": T.CANCELLED, "close_day": T.CLOSED},
    T.CALLED: {
        "recall": T.CALLED,
        "start": T.SERVING,
        "finish": T.DONE,  # an officer who forgot "start": service is counted from the call
        "no_show": T.NO_SHOW,
        "transfer": T.WAITING,
        "cancel": T.CANCELLED,
        "close_day": T.CLOSED,
    },
    T.SERVING: {"finish": T.DONE, "transfer": T.WAITING, "close_day": T.CLOSED},
    T.NO_SHOW: {"rejoin": T.WAITING, "close_day": T.NO_SHOW},
    T.DONE: {},
    T.CANCELLED: {},
    T.CLOSED: {},
}

C = CabinStatus
CABIN_TRANSITIONS: dict[CabinStatus, dict[str, CabinStatus]] = {
    C.CLOSED: {"open": C.OPEN},
    C.OPEN: {"call": C.OPEN, "pause": C.PAUSED, "close": C.CLOSED},
    C.PAUSED: {"resume": C.OPEN, "close": C.CLOSED},
}

D = DossierStatus
# The action names are the statuses they lead to (the HTTP body says {"status": "ready"}).
DOSSIER_TRANSITIONS: dict[DossierStatus, dict[str, DossierStatus]] = {
    D.RECEIVED: {"processing": D.PROCESSING, "supplement_requested": D.SUPPLEMENT_REQUESTED, "refused": D.REFUSED},
    D.PROCESSING: {"ready": D.READY, "supplement_requested": D.SUPPLEMENT_REQUESTED, "refused": D.REFUSED},
    D.SUPPLEMENT_REQUESTED: {"processing": D.PROCESSING, "refused": D.REFUSED},
    D.READY: {"returned": D.RETURNED},
    D.RETURNED: {},
    D.REFUSED: {},
}

J = PrintJobState
PRINT_JOB_TRANSITIONS: dict[PrintJobState, dict[str, PrintJobState]] = {
    J.QUEUED: {"send": J.SENT, "fail": J.FAILED},
    J.SENT: {"printed": J.PRINTED, "fail": J.FAILED, "requeue": J.QUEUED},
    J.PRINTED: {},
    J.FAILED: {},
}

FINAL_TICKET_STATES = frozenset(state for state, moves in TICKET_TRANSITIONS.items() if not moves)
FINISHED_DOSSIER_STATUSES = frozenset(s for s, moves in DOSSIER_TRANSITIONS.items() if not moves)
FINISHED_JOB_STATES = frozenset(s for s, moves in PRINT_JOB_TRANSITIONS.items() if not moves)


@dataclass
class CommandRefused(Exception):
    """A command the hall cannot carry out; `code` is stable, `message` is for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _words(name: str) -> str:
    return name.replace("_", "-")


def ticket_next(number: str, state: TicketState, action: str) -> TicketState:
    try:
        return TICKET_TRANSITIONS[state][action]
    except KeyError:
        raise CommandRefused("illegal_transition", f"ticket {number} is {_words(state)}; cannot {_words(action)}") from None


def cabin_next(cabin: int, state: CabinStatus, action: str) -> CabinStatus:
    try:
        return CABIN_TRANSITIONS[state][action]
    except KeyError:
        raise CommandRefused("illegal_transition", f"cabin {cabin} is {state}; cannot {action}") from None


def dossier_next(code: str, status: DossierStatus, action: str) -> DossierStatus:
    try:
        return DOSSIER_TRANSITIONS[status][action]
    except KeyError:
        raise CommandRefused(
            "illegal_transition", f"dossier {code} is {status.replace('_', ' ')}; cannot move it to {action.replace('_', ' ')}"
        ) from None


def job_next(job: str, state: PrintJobState, action: str) -> PrintJobState:
    try:
        return PRINT_JOB_TRANSITIONS[state][action]
    except KeyError:
        raise CommandRefused("illegal_transition", f"print job {job} is {state}; cannot {action}") from None
