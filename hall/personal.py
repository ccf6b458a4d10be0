"""Citizens' personal data: kept beside the journal, not in it, and deleted for good when its
retention period ends.

Theory of operation
-------------------
A payload that carries personal data names those fields in `PERSONAL` (hall/events.py; today a
dossier's `citizen_name` and `citizen_phone`). The journal writes the payload's JSON without them
and puts them in the `personal_data` table under the payload's `personal_ref`, in the same
transaction (`record`); reading the journal puts them back (`fields_of`). Deleting the row is
therefore enough to take the data out of every future replay: the event still decodes, with the
fields empty, and nothing derived from it changes — statistics never held names or phones.

Each row has a `kind` (the part of `personal_ref` before the colon) that says which retention
rule applies (`[retention]` of the hall file):

* `dossier`: kept `personal_data_days` (730) after the dossier is returned or refused — the
  journal stamps `closed_at` when that event is written; an unfinished dossier keeps its data;
* `contact`: the phone of a web or appointment ticket, kept `contact_days` (1) after the visit;
* `booking`: a booking's phone and name (hall/appointments.py), kept `contact_days` after it was
  checked in, cancelled or missed — a booking days ahead keeps them until then.

`expired` finds what is due on a day, `forget` deletes it. The bytes must go too: SQLite stores
are opened with `secure_delete` (hall/journal.py: deleted and rewritten content is overwritten
with zeros), and `scrub` truncates the write-ahead log, whose old frames still hold the pages as
they were, and may `VACUUM`; on PostgreSQL `scrub` vacuums the tables so the dead row versions
are reclaimed. Snapshots may hold the personal data of dossiers that were open when they were
taken: retention replaces them (hall/retention.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.engine import Engine as SqlEngine

from . import events as ev
from .config import HallConfig
from .events import Event, Payload
from .schema import PersonalRow

TABLE = PersonalRow.__table__
CHUNK = 500  # refs per statement

# The events after which a kind's retention period starts counting: payload -> the ref it closes.
CLOSING: dict[type[Payload], Callable[[Any], str | None]] = {
    ev.DossierReturned: lambda p: f"dossier:{p.code}",
    ev.DossierStatusChanged: lambda p: f"dossier:{p.code}" if p.status == "refused" else None,
    ev.AppointmentCheckedIn: lambda p: f"booking:{p.code}",
    ev.AppointmentCancelled: lambda p: f"booking:{p.code}",
    ev.AppointmentMissed: lambda p: f"booking:{p.code}",
}
# kind -> the `[retention]` key of its period, and whether it counts from the closing event only
RULES: dict[str, tuple[str, bool]] = {
    "dossier": ("personal_data_days", True),
    "contact": ("contact_days", False),
    "booking": ("contact_days", True),  # a booking's phone and name: from its check-in, cancel or miss
}


@dataclass(frozen=True)
class Personal:
    """One payload's personal fields, as the journal keeps them."""

    ref: str
    fields: Mapping[str, Any]
    at: float


def kind_of(ref: str) -> str:
    return ref.split(":", 1)[0]


def record(conn: Connection, hall: str, kept: Sequence[Personal], events: Iterable[Event]) -> None:
    """Inside the journal's append: store new personal data, stamp what the events close."""
    if kept:
        conn.execute(TABLE.insert(), [
            {"hall": hall, "ref": p.ref, "kind": kind_of(p.ref), "data": json.dumps(dict(p.fields), ensure_ascii=False),
             "recorded_at": p.at, "closed_at": None}
            for p in kept
        ])
    closed = [{"k_ref": ref, "v_at": e.at} for e in events
              if (closer := CLOSING.get(type(e.payload))) is not None and (ref := closer(e.payload)) is not None]
    if closed:
        conn.execute(
            update(TABLE).where(TABLE.c.hall == hall, TABLE.c.ref == bindparam("k_ref")).values(closed_at=bindparam("v_at")),
            closed,
        )


def fields_of(conn: Connection, hall: str, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The personal fields still kept for these refs (a deleted one is simply absent)."""
    found: dict[str, dict[str, Any]] = {}
    wanted = sorted(set(refs))
    for at in range(0, len(wanted), CHUNK):
        query = select(TABLE.c.ref, TABLE.c.data).where(TABLE.c.hall == hall, TABLE.c.ref.in_(wanted[at:at + CHUNK]))
        found.update((ref, json.loads(data)) for ref, data in conn.execute(query))
    return found


def expired(conn: Connection, config: HallConfig, as_of: dt.date) -> list[str]:
    """The refs whose retention period is over on `as_of` (a day of the hall).

    Kept `N` days after the day it closed (or was recorded): on that day + N it is still there,
    the day after it is due. In SQL, "closed before the start of day as_of − N".
    """
    rules = []
    for kind, (key, closing_only) in RULES.items():
        days = getattr(config.retention, key)
        cutoff = config.epoch(as_of - dt.timedelta(days=days), dt.time(0, 0))
        since = TABLE.c.closed_at if closing_only else func.coalesce(TABLE.c.closed_at, TABLE.c.recorded_at)
        rules.append(and_(TABLE.c.kind == kind, since.is_not(None), since < cutoff))
    query = select(TABLE.c.ref).where(TABLE.c.hall == config.id, or_(*rules)).order_by(TABLE.c.ref)
    return list(conn.execute(query).scalars())


def forget(conn: Connection, hall: str, refs: Sequence[str]) -> int:
    deleted = 0
    for at in range(0, len(refs), CHUNK):
        deleted += conn.execute(delete(TABLE).where(TABLE.c.hall == hall, TABLE.c.ref.in_(refs[at:at + CHUNK]))).rowcount
    return deleted


def scrub(store: SqlEngine, vacuum: bool) -> None:
    """Leave no copy of deleted rows in the store's files: the SQLite write-ahead log truncated
    (and the file rebuilt with `vacuum`), or PostgreSQL's dead row versions vacuumed."""
    if store.dialect.name == "sqlite":
        with store.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            if vacuum:
                conn.exec_driver_sql("VACUUM")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with store.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("personal_data", "snapshots", "events"):
            conn.execute(text(f"VACUUM {'FULL ' if vacuum else ''}{table}"))
