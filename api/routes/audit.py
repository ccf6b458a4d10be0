"""The audit trail for inspectors: every event of a day, with who did it, filterable.

Every officer action is an event carrying its actor, so the journal already is the audit
trail; this only reads it back (off the trio thread: it is I/O) for the floor manager and
inspectors, by day, officer or cabin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from hall.events import Payload, to_wire
from hall.ticket_view import ticket_tag

from ..access import FLOOR, current_user
from ..answers import AuditTrail
from ..context import current_hall
from ..errors import ApiError, json_response

bp = Blueprint("audit", __name__)
HIDDEN = ("request",)  # a kiosk's idempotency key: not an action anyone took
TICKET_KEYS = ("id", "ticket", "ticket_id")  # the fields that hold a ticket's id


def shown(payload: Payload, ticket_ids: bool = True) -> dict[str, Any]:
    """An event's fields for the trail: never a citizen's personal data (the payload's own
    `PERSONAL` list: names and phones reach only the agency's staff), nor idempotency keys.
    Without `ticket_ids` a ticket is named by `ticket_tag`, and so is a booking's code (the
    payload's `KEYS`): an id cancels a ticket, a code checks a booking in, and the inspector
    only reads."""
    private = (*HIDDEN, *payload.PERSONAL)
    fields = {k: v for k, v in to_wire(payload).items() if k not in private}
    if not ticket_ids:
        fields.update({k: ticket_tag(v) for k, v in fields.items() if k in TICKET_KEYS and isinstance(v, str)})
        fields.update({k: ticket_tag(v, "b") for k, v in fields.items() if k in payload.KEYS and isinstance(v, str)})
    return fields


@dataclass(frozen=True)
class AuditQuery:
    day: str | None = None  # like 2027-03-01; the business day today when absent
    officer: str | None = None  # only what this officer did
    cabin: int | None = None  # only what happened at this cabin


@bp.get("/api/v1/audit")
@validate_querystring(AuditQuery)
@document_response(AuditTrail)
async def trail(query_args: AuditQuery) -> Response:
    """The audit trail: a day's events with who did them (the floor manager, inspectors)."""
    hall = current_hall()
    config = hall.config
    try:
        day = dt.date.fromisoformat(query_args.day or config.business_day(hall.runtime.clock.now()).isoformat())
    except ValueError:
        raise ApiError("invalid", "day must look like 2027-03-01") from None
    start = dt.datetime.combine(day, dt.time(0), config.tz).timestamp()
    events = await hall.runtime.offload(hall.runtime.journal.load_between, config.id, start, start + 86400)
    officer, cabin = query_args.officer, query_args.cabin
    ticket_ids = current_user().role in FLOOR  # the floor cancels any ticket anyway
    rows = [
        {"seq": e.seq, "at": config.local(e.at).isoformat(timespec="seconds"), "type": e.type, "actor": e.actor,
         "data": shown(e.payload, ticket_ids)}
        for e in events
        if (officer is None or e.actor == officer or getattr(e.payload, "officer", None) == officer)
        and (cabin is None or cabin in e.payload.cabins)
    ]
    return json_response({"day": day.isoformat(), "events": rows})
