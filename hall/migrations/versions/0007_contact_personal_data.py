"""contacts: the phones of web and appointment tickets, and bookings' phones and names, moved out
of the journal's JSON into personal_data (kind `contact`), so retention can delete them.

Online services (web tickets, bookings) first wrote `phone` inline in `ticket_issued` and
`phone`/`name` in `appointment_booked`. This moves them, as 0006 did for dossiers, under the refs
the journal now uses (hall/events.py `CONTACT_TICKET`, `CONTACT_BOOKING`), with the moment each
was closed as the journal would have stamped it (hall/personal.py `CLOSING`): a ticket's finish,
no-show or cancel (a rejoin opens it again) or the close of its day; a booking's check-in,
cancellation or miss. The event's JSON keeps every other field; replay puts the fields back
from personal_data. A store with none of these events is left as it is.

Revision ID: 0007
Revises: 0006
"""

import json  # no "from __future__ import annotations": alembic loads this file outside sys.modules, where dataclasses need real annotations
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TICKET, BOOKING = "contact:ticket:", "contact:booking:"
# event type -> the fields it keeps outside the journal, and the key naming what it is about
PERSONAL = {"ticket_issued": (("phone",), "id", TICKET), "appointment_booked": (("phone", "name"), "code", BOOKING)}
TICKET_ENDS = ("ticket_finished", "ticket_no_show", "ticket_cancelled")
BOOKING_ENDS = ("appointment_checked_in", "appointment_cancelled", "appointment_missed")
SCANNED = (*PERSONAL, *TICKET_ENDS, *BOOKING_ENDS, "ticket_rejoined", "day_closed")


@dataclass
class Moved:
    """One event's personal fields on their way to personal_data."""

    seq: int
    at: float
    ref: str
    fields: dict[str, Any]
    remaining: str  # the event's JSON without them
    closed_at: float | None = None


@dataclass
class HallScan:
    moved: dict[str, Moved] = field(default_factory=dict)  # ref -> its row

    def see(self, seq: int, at: float, kind: str, data: dict[str, Any]) -> None:
        """One event, in journal order: what it moves, or the ref it closes or opens again."""
        if kind in PERSONAL:
            names, key, prefix = PERSONAL[kind]
            if any(data.get(name) is not None for name in names):
                kept = {name: data.pop(name, None) for name in names}
                self.moved[prefix + data[key]] = Moved(seq, at, prefix + data[key], kept,
                                                      json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        elif kind in TICKET_ENDS or kind == "ticket_rejoined":
            self._stamp(TICKET + data["id"], None if kind == "ticket_rejoined" else at)
        elif kind in BOOKING_ENDS:
            self._stamp(BOOKING + data["code"], at)
        elif kind == "day_closed":
            for moved in self.moved.values():
                if moved.ref.startswith(TICKET) and moved.closed_at is None:
                    moved.closed_at = at

    def _stamp(self, ref: str, at: float | None) -> None:
        if ref in self.moved:
            self.moved[ref].closed_at = at


def upgrade() -> None:
    bind = op.get_bind()
    events = sa.table("events", sa.column("hall"), sa.column("seq"), sa.column("at"), sa.column("type"),
                      sa.column("data"), sa.column("personal"))
    personal = sa.table("personal_data", sa.column("hall"), sa.column("ref"), sa.column("kind"), sa.column("data"),
                        sa.column("recorded_at"), sa.column("closed_at"))
    scans: dict[str, HallScan] = {}
    query = (sa.select(events.c.hall, events.c.seq, events.c.at, events.c.type, events.c.data)
             .where(events.c.type.in_(SCANNED), events.c.personal.is_(None)).order_by(events.c.hall, events.c.seq))
    for hall, seq, at, kind, data in bind.execute(query):
        scans.setdefault(hall, HallScan()).see(seq, at, kind, json.loads(data))
    for hall, scan in scans.items():
        for moved in scan.moved.values():
            bind.execute(personal.insert().values(hall=hall, ref=moved.ref, kind="contact", recorded_at=moved.at,
                                                  data=json.dumps(moved.fields, ensure_ascii=False), closed_at=moved.closed_at))
            bind.execute(events.update().where(events.c.hall == hall, events.c.seq == moved.seq)
                         .values(data=moved.remaining, personal=moved.ref))
