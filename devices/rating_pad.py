"""The rating pad at each cabin: it lights up when its cabin finishes a visit.

On `ticket_finished` at its cabin the pad gets `rating_open` with the ticket, the criteria and the
levels of the hall file (`[ratings]`) and the moment the window closes; the citizen's choice comes
back as `rate`, recorded by `hall.ratings.RecordRating`, which enforces one rating per finished
visit, bound to the ticket, cabin and officer. `rating_closed` tells the pad to go dark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hall.commands import Event
from hall.config import HallConfig
from hall.state import Ticket


def rating_open(config: HallConfig, ticket: Ticket) -> dict[str, Any]:
    officer = config.users.get(ticket.officer) if ticket.officer else None
    finished = ticket.finished_at or 0.0
    return {
        "t": "rating_open",
        "ticket": {"id": ticket.id, "number": ticket.number, "service": ticket.service, "cabin": ticket.cabin,
                   "officer": ticket.officer, "officer_name": officer.name if officer else None},
        "criteria": list(config.rating_criteria),
        "levels": list(config.rating_levels),
        "until": finished + config.rules.rating_window_minutes * 60,
    }


def updates(config: HallConfig, tickets: dict[str, Ticket], events: Sequence[Event], cabin: int) -> list[dict[str, Any]]:
    """The frames a cabin's rating pad gets for a batch of durable events."""
    frames = []
    for event in events:
        data = event.data
        if event.type == "ticket_finished" and data.get("cabin") == cabin and data["id"] in tickets:
            frames.append(rating_open(config, tickets[data["id"]]))
        elif event.type == "rating_recorded" and data.get("cabin") == cabin:
            frames.append({"t": "rating_closed", "ticket": data["ticket"], "reason": "rated"})
    return frames
