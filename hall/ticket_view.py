"""A ticket as people and devices see it: one place for every view of a ticket.

* `ticket_view` — the citizen's own ticket (the HTTP answer, the tracking page, the kiosk's
  answer beside its printout): everything about it, with the wait estimate and the tracking
  address. It carries the ticket's id, which is the citizen's secret: only for its holder.
* `public_ticket_view` — a ticket in a view anyone may read (a cabin's queue): the allow-listed
  fields of `ticket_view`, without the id and the tracking address.
* `ticket_brief` — a ticket inside another view (a cabin's current ticket on the officer's
  keypad and console): its number, queue, state and recalls.
* `track_url` — the address printed as the ticket's QR code.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .engine import Engine
from .notices import near_threshold
from .state import Ticket


def ticket_tag(ticket_id: str, kind: str = "t") -> str:
    """A ticket's stable name for those who read the hall but may not act on its tickets (the
    inspector's audit trail, read-only exports): it follows one ticket through the day and
    cannot be turned back into the id (72 random bits), which is what cancels a ticket.
    `kind` "b" names a booking by its code (49 random bits) the same way."""
    return f"{kind}-" + hashlib.sha256(ticket_id.encode()).hexdigest()[:12]


def track_url(engine: Engine, ticket: Ticket) -> str:
    return f"{engine.config.public_url}/track/{ticket.id}"


def ticket_view(engine: Engine, ticket: Ticket) -> dict[str, Any]:
    """The whole ticket for its holder, with people ahead and the wait estimate."""
    config = engine.config
    ahead, estimate = engine.wait_for(ticket)
    service = config.services[ticket.service]
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": service.name,
        "department": service.department,
        "department_name": config.departments[service.department].name,
        "state": ticket.state,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "day": ticket.day,
        "issued_at": config.local(ticket.issued_at).isoformat(timespec="seconds"),
        "ahead": ahead,
        "estimated_wait_minutes": round(estimate.minutes) if estimate else 0,
        "estimate": estimate.as_dict() if estimate else None,
        "cabin": ticket.cabin,
        "recalls": ticket.recalls,
        "track_url": track_url(engine, ticket),
        "near": near_threshold(config, ticket.service),  # the tracking page notifies at this many ahead
    }


PUBLIC_TICKET_FIELDS = ("number", "service", "service_name", "department", "department_name", "state", "priority",
                        "day", "issued_at", "ahead", "estimated_wait_minutes", "estimate", "cabin", "recalls")


def public_ticket_view(engine: Engine, ticket: Ticket) -> dict[str, Any]:
    """A ticket as anyone may see it: by its printed number, never by its id."""
    view = ticket_view(engine, ticket)
    return {name: view[name] for name in PUBLIC_TICKET_FIELDS}


def ticket_brief(ticket: Ticket, *, with_id: bool = True) -> dict[str, Any]:
    """A ticket inside another view; `with_id=False` for views anyone may read."""
    brief = {"number": ticket.number, "service": ticket.service, "state": ticket.state,
             "priority": ticket.priority, "recalls": ticket.recalls}
    return {"id": ticket.id, **brief} if with_id else brief
