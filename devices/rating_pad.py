"""The rating pad at each cabin: it lights up when its cabin finishes a visit.

On `ticket_finished` at its cabin the pad gets `rating_open` with the ticket, the criteria and the
levels of the hall file (`[ratings]`) and the moment the window closes; the citizen's choice comes
back as `rate`, recorded by `hall.ratings.RecordRating`, which enforces one rating per finished
visit, bound to the ticket, cabin and officer. `rating_closed` tells the pad to go dark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hall.config import HallConfig
from hall.events import Event, RatingRecorded, TicketFinished
from hall.state import Ticket
from hall.ticket_view import ticket_brief


def rating_open(config: HallConfig, ticket: Ticket) -> dict[str, Any]:
    officer = config.users.get(ticket.officer) if ticket.officer else None
    finished = ticket.finished_at or 0.0
    return {
        "t": "rating_open",
        "ticket": {**ticket_brief(ticket), "cabin": ticket.cabin, "officer": ticket.officer,
                   "officer_name": officer.name if officer else None},
        "criteria": list(config.rating_criteria),
        "levels": list(config.rating_levels),
        "until": finished + config.rules.rating_window_minutes * 60,
    }


def rating_answer(rating: RatingRecorded) -> dict[str, Any]:
    """The `rating` of the `rated` answer: the recorded rating as the pad shows it."""
    return {"ticket": rating.ticket, "number": rating.number, "cabin": rating.cabin, "officer": rating.officer,
            "service": rating.service, "department": rating.department, "levels": dict(rating.levels)}


def updates(config: HallConfig, tickets: dict[str, Ticket], events: Sequence[Event], cabin: int) -> list[dict[str, Any]]:
    """The frames a cabin's rating pad gets for a batch of durable events."""
    frames = []
    for event in events:
        p = event.payload
        if isinstance(p, TicketFinished) and p.cabin == cabin and p.id in tickets:
            frames.append(rating_open(config, tickets[p.id]))
        elif isinstance(p, RatingRecorded) and p.cabin == cabin:
            frames.append({"t": "rating_closed", "ticket": p.ticket, "reason": "rated"})
    return frames
