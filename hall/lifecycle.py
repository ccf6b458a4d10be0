"""Every legal state transition of tickets and cabins lives in this file.

Theory of operation: a ticket and a cabin are each a small state machine. The engine asks
`ticket_next(state, action)` / `cabin_next(state, action)` before it emits an event; anything not
in the tables below is refused with a `CommandRefused` that names the thing, its state and the
action, so an officer (or an inspector reading the audit trail) sees why. Applying an event
re-uses the same tables, so replaying the journal can never reach a state the live engine could
not.

Ticket: waiting → called → serving → done, with the side branches below. A transfer puts the
ticket back to waiting in another queue (it keeps its number and original arrival time), a
no-show may rejoin within a window, closing the day closes whatever is left.
"""

from __future__ import annotations

from dataclasses import dataclass

TICKET_TRANSITIONS: dict[str, dict[str, str]] = {
    "waiting": {"call": "called", "cancel": "cancelled", "close_day": "closed"},
    "called": {
        "recall": "called",
        "start": "serving",
        "finish": "done",  # an officer who forgot "start": service is counted from the call
        "no_show": "no_show",
        "transfer": "waiting",
        "cancel": "cancelled",
        "close_day": "closed",
    },
    "serving": {"finish": "done", "transfer": "waiting", "close_day": "closed"},
    "no_show": {"rejoin": "waiting", "close_day": "no_show"},
    "done": {},
    "cancelled": {},
    "closed": {},
}

CABIN_TRANSITIONS: dict[str, dict[str, str]] = {
    "closed": {"open": "open"},
    "open": {"call": "open", "pause": "paused", "close": "closed"},
    "paused": {"resume": "open", "close": "closed"},
}

FINAL_TICKET_STATES = frozenset(state for state, moves in TICKET_TRANSITIONS.items() if not moves)


@dataclass
class CommandRefused(Exception):
    """A command the hall cannot carry out; `code` is stable, `message` is for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def ticket_next(number: str, state: str, action: str) -> str:
    try:
        return TICKET_TRANSITIONS[state][action]
    except KeyError:
        raise CommandRefused(
            "illegal_transition", f"ticket {number} is {state.replace('_', '-')}; cannot {action.replace('_', '-')}"
        ) from None


def cabin_next(cabin: int, state: str, action: str) -> str:
    try:
        return CABIN_TRANSITIONS[state][action]
    except KeyError:
        raise CommandRefused("illegal_transition", f"cabin {cabin} is {state}; cannot {action}") from None
