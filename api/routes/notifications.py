"""The notifications outbox for the floor manager: what is pending, what failed, what went out.

Phones are shown by their last three digits only: the manager needs to see that a citizen was
(or was not) told, not their number.
"""

from __future__ import annotations

from dataclasses import dataclass

from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from hall import outbox

from ..answers import Notifications
from ..context import current_hall
from ..errors import ApiError, json_response
from ..notify import masked

bp = Blueprint("notifications", __name__)

DEFAULT_STATES = ("pending", "failed")


@dataclass(frozen=True)
class NotificationsQuery:
    status: str | None = None  # pending, delivered, failed or all; pending and failed when absent


@bp.get("/api/v1/notifications")
@validate_querystring(NotificationsQuery)
@document_response(Notifications)
async def listing(query_args: NotificationsQuery) -> Response:
    """The notifications outbox: pending and failed deliveries (the floor manager)."""
    hall = current_hall()
    asked = query_args.status
    states = DEFAULT_STATES if asked is None else outbox.STATES if asked == "all" else (asked,)
    if any(state not in outbox.STATES for state in states):
        raise ApiError("invalid", f"status={asked[:20]!r}: one of {', '.join(outbox.STATES)}, all")
    counts, rows = await hall.runtime.read(outbox.listing, hall.config.id, states)
    config = hall.config
    return json_response({
        "counts": counts,
        "notifications": [{
            "delivery": row.id, "sink": row.sink, "event": row.event, "status": row.status, "attempts": row.attempts,
            "number": row.body.get("number"), "service": row.body.get("service"), "cabin": row.body.get("cabin"),
            "phone": masked(row.body.get("phone")), "last_error": row.last_error,
            "created_at": config.local(row.created_at).isoformat(timespec="seconds"),
            "next_attempt_at": config.local(row.next_at).isoformat(timespec="seconds") if row.status == "pending" else None,
            "delivered_at": config.local(row.delivered_at).isoformat(timespec="seconds") if row.delivered_at else None,
        } for row in rows],
    })
