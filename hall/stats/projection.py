"""The statistics projection: keeps the stat_* tables in step with the journal.

Theory of operation
-------------------
`StatsProjection.project(conn, hall, events)` runs inside the journal's append transaction
(hall/journal.py), so SQL never holds events without their statistics or the reverse. Each event
is dispatched on its payload class (hall/events.py) to one handler; events the statistics do not
follow have none.

Within one call the projection works on buffered rows (looked up by primary key, created or
updated in memory, written back with one executemany per table), so a batch of a whole day's
events costs a handful of statements — the year-long history generator relies on that.
A row an event refers to but the store does not have (a store older than the projection) is
skipped rather than failing the transaction, which would stop the hall.

Days and hours are the hall's, from the hall file's time zone (`config.business_day`,
`config.local_hour`). `day_closed` closes what is still open and freezes the day's board
(hall/stats/queries.py `freeze_day`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from .. import events as ev
from ..config import HallConfig
from ..events import Event
from .queries import MISSED_APPOINTMENT, freeze_day
from .tables import StatCabinTime, StatDaySummary, StatDossier, StatRating, StatSegment, StatTicket


# ---- the projection ---------------------------------------------------------------------------


class StatsProjection:
    """Keeps the stat_* tables in step with the journal (see the module docstring)."""

    def __init__(self, config: HallConfig) -> None:
        self.config = config

    def project(self, conn: Connection, hall: str, events: Sequence[Event]) -> None:
        batch = _Batch(conn, hall, self.config)
        for event in events:
            handler = _HANDLERS.get(type(event.payload))
            if handler is not None:
                handler(batch, event)
        batch.flush()


# ---- buffered rows ----------------------------------------------------------------------------


class _Rows:
    """Rows of one table touched by one batch: read once by key, changed in memory, written once."""

    def __init__(self, conn: Connection, table: Any, hall: str) -> None:
        self.conn, self.table, self.hall = conn, table, hall
        self.keys = [c.name for c in table.primary_key.columns if c.name != "hall"]
        self.rows: dict[tuple, dict[str, Any]] = {}
        self.new: set[tuple] = set()
        self.dirty: set[tuple] = set()

    def get(self, *key: Any) -> dict[str, Any] | None:
        row = self.rows.get(key)
        if row is None and key not in self.rows:
            conds = [self.table.c.hall == self.hall] + [self.table.c[k] == v for k, v in zip(self.keys, key)]
            found = self.conn.execute(select(self.table).where(and_(*conds))).mappings().first()
            row = dict(found) if found is not None else None
            self.rows[key] = row  # type: ignore[assignment]
        return row

    def adopt(self, row: dict[str, Any]) -> dict[str, Any]:
        """Take a row found by another query into the buffer (or return the buffered one)."""
        key = tuple(row[k] for k in self.keys)
        return self.rows.get(key) or self.rows.setdefault(key, dict(row))

    def add(self, row: dict[str, Any]) -> dict[str, Any]:
        row["hall"] = self.hall
        key = tuple(row[k] for k in self.keys)
        if self.rows.get(key) is not None:  # an event seen twice: keep the newest values
            self.rows[key].update(row)
            self.dirty.add(key)
            return self.rows[key]
        self.rows[key] = row
        self.new.add(key)
        return row

    def touch(self, row: dict[str, Any]) -> None:
        self.dirty.add(tuple(row[k] for k in self.keys))

    def change(self, *key: Any, **values: Any) -> dict[str, Any] | None:
        """Update the row of a key; None (and nothing written) when the store does not have it."""
        row = self.get(*key)
        if row is not None:
            row.update(values)
            self.touch(row)
        return row

    def flush(self) -> None:
        inserts = [self.rows[k] for k in self.new]
        updates = [self.rows[k] for k in self.dirty - self.new if self.rows.get(k) is not None]
        if inserts:
            self.conn.execute(insert(self.table), inserts)
        if updates:
            pk = {"hall", *self.keys}
            cols = [c.name for c in self.table.columns if c.name not in pk]
            stmt = (
                update(self.table)
                .where(and_(*[self.table.c[k] == bindparam(f"k_{k}") for k in pk]))
                .values({c: bindparam(f"v_{c}") for c in cols})
            )
            params = [{**{f"k_{k}": r[k] for k in pk}, **{f"v_{c}": r.get(c) for c in cols}} for r in updates]
            self.conn.execute(stmt, params)
        self.rows.clear()
        self.new.clear()
        self.dirty.clear()


class _Batch:
    def __init__(self, conn: Connection, hall: str, config: HallConfig) -> None:
        self.conn, self.hall, self.config = conn, hall, config
        self.tickets = _Rows(conn, StatTicket.__table__, hall)
        self.segments = _Rows(conn, StatSegment.__table__, hall)
        self.cabin_time = _Rows(conn, StatCabinTime.__table__, hall)
        self.ratings = _Rows(conn, StatRating.__table__, hall)
        self.dossiers = _Rows(conn, StatDossier.__table__, hall)
        self.open_segment: dict[str, dict[str, Any] | None] = {}
        self.open_interval: dict[int, dict[str, Any] | None] = {}

    def flush(self) -> None:
        for rows in (self.tickets, self.segments, self.cabin_time, self.ratings, self.dossiers):
            rows.flush()
        self.open_segment.clear()
        self.open_interval.clear()

    def segment_of(self, ticket: str) -> dict[str, Any] | None:
        if ticket not in self.open_segment:
            t = StatSegment.__table__
            found = self.conn.execute(
                select(t).where(t.c.hall == self.hall, t.c.ticket == ticket, t.c.outcome == "open")
            ).mappings().first()
            self.open_segment[ticket] = self.segments.adopt(found) if found is not None else None
        return self.open_segment[ticket]

    def local_day(self, epoch: float) -> str:
        return self.config.business_day(epoch).isoformat()

    def end_segment(self, ticket: str, at: float, outcome: str) -> dict[str, Any] | None:
        segment = self.segment_of(ticket)
        if segment is not None:
            segment.update(ended_at=at, end_hour=self.config.local_hour(at), outcome=outcome)
            self.segments.touch(segment)
            self.open_segment[ticket] = None
        return segment

    def interval_of(self, cabin: int) -> dict[str, Any] | None:
        if cabin not in self.open_interval:
            t = StatCabinTime.__table__
            found = self.conn.execute(
                select(t).where(t.c.hall == self.hall, t.c.cabin == cabin, t.c.ended_at.is_(None))
            ).mappings().first()
            self.open_interval[cabin] = self.cabin_time.adopt(found) if found is not None else None
        return self.open_interval[cabin]

    def switch_interval(self, cabin: int, at: float, state: str | None, officer: str | None, reason: str | None = None) -> None:
        """End the cabin's current interval and start one in `state` (none for closed); without
        an officer named (a pause or resume may name none) the new interval keeps the current one's."""
        current = self.interval_of(cabin)
        officer = officer or (current or {}).get("officer")
        if current is not None:
            current["ended_at"] = at
            self.cabin_time.touch(current)
        if state is None:
            self.open_interval[cabin] = None
            return
        self.open_interval[cabin] = self.cabin_time.add(
            {"cabin": cabin, "started_at": at, "day": self.local_day(at), "officer": officer, "state": state, "reason": reason, "ended_at": None}
        )


def _issued(b: _Batch, e: Event[ev.TicketIssued]) -> None:
    p = e.payload
    service = b.config.services.get(p.service)
    b.tickets.add({
        "id": p.id, "day": p.day, "number": p.number, "service": p.service,
        "department": service.department if service else "", "priority": p.priority,
        "channel": p.channel or "kiosk", "issued_at": e.at, "hour": b.config.local_hour(e.at),
        "target_wait_s": (service.target_wait_minutes if service else 20) * 60.0,
        "first_called_at": None, "wait_s": None, "first_cabin": None, "first_officer": None,
        "current_service": p.service, "outcome": "waiting", "ended_at": None, "transfers": 0,
    })


def _called(b: _Batch, e: Event[ev.TicketCalled]) -> None:
    p = e.payload
    row = b.tickets.get(p.id)
    if row is None:
        return
    if row["first_called_at"] is None:
        row.update(first_called_at=e.at, wait_s=e.at - row["issued_at"], first_cabin=p.cabin, first_officer=p.officer)
    row["outcome"] = "called"
    b.tickets.touch(row)
    service = b.config.services.get(row["current_service"])
    b.open_segment[p.id] = b.segments.add({
        "ticket": p.id, "called_at": e.at, "day": row["day"], "cabin": p.cabin, "officer": p.officer,
        "service": row["current_service"], "department": service.department if service else row["department"],
        "started_at": None, "ended_at": None, "end_hour": None, "outcome": "open",
    })


def _started(b: _Batch, e: Event[ev.TicketStarted]) -> None:
    b.tickets.change(e.payload.id, outcome="serving")
    segment = b.segment_of(e.payload.id)
    if segment is not None:
        segment["started_at"] = e.at
        b.segments.touch(segment)


def _finished(b: _Batch, e: Event[ev.TicketFinished]) -> None:
    b.tickets.change(e.payload.id, outcome="done", ended_at=e.at)
    b.end_segment(e.payload.id, e.at, "served")


def _no_show(b: _Batch, e: Event[ev.TicketNoShow]) -> None:
    b.tickets.change(e.payload.id, outcome="no_show", ended_at=e.at)
    b.end_segment(e.payload.id, e.at, "no_show")


def _appointment_missed(b: _Batch, e: Event[ev.AppointmentMissed]) -> None:
    """A booking nobody checked in for: a ticket row of its own that no cabin ever called,
    counted as a no-show (hall/stats/queries.py) and not as a ticket issued."""
    p = e.payload
    service = b.config.services.get(p.service)
    b.tickets.add({
        "id": f"appointment:{p.code}", "day": p.day, "number": p.code[:16], "service": p.service,
        "department": service.department if service else "", "priority": None,
        "channel": MISSED_APPOINTMENT, "issued_at": e.at, "hour": int(p.start[:2]),
        "target_wait_s": (service.target_wait_minutes if service else 20) * 60.0,
        "first_called_at": None, "wait_s": None, "first_cabin": None, "first_officer": None,
        "current_service": p.service, "outcome": "no_show", "ended_at": e.at, "transfers": 0,
    })


def _rejoined(b: _Batch, e: Event[ev.TicketRejoined]) -> None:
    b.tickets.change(e.payload.id, outcome="waiting", ended_at=None)


def _transferred(b: _Batch, e: Event[ev.TicketTransferred]) -> None:
    row = b.tickets.get(e.payload.id)
    if row is not None:
        row.update(outcome="waiting", current_service=e.payload.service, transfers=row["transfers"] + 1)
        b.tickets.touch(row)
    b.end_segment(e.payload.id, e.at, "transferred")


def _cancelled(b: _Batch, e: Event[ev.TicketCancelled]) -> None:
    b.tickets.change(e.payload.id, outcome="cancelled", ended_at=e.at)
    b.end_segment(e.payload.id, e.at, "cancelled")


def _cabin_opened(b: _Batch, e: Event[ev.CabinOpened]) -> None:
    b.switch_interval(e.payload.cabin, e.at, "open", e.payload.officer)


def _cabin_paused(b: _Batch, e: Event[ev.CabinPaused]) -> None:
    b.switch_interval(e.payload.cabin, e.at, "paused", e.payload.officer, e.payload.reason)


def _cabin_resumed(b: _Batch, e: Event[ev.CabinResumed]) -> None:
    b.switch_interval(e.payload.cabin, e.at, "open", e.payload.officer)


def _cabin_closed(b: _Batch, e: Event[ev.CabinClosed]) -> None:
    b.switch_interval(e.payload.cabin, e.at, None, None)


def _rating(b: _Batch, e: Event[ev.RatingRecorded]) -> None:
    p = e.payload
    for criterion, level in p.levels.items():
        values = {
            "ticket": p.ticket, "criterion": criterion, "day": b.local_day(e.at), "at": e.at, "cabin": p.cabin,
            "officer": p.officer, "service": p.service, "department": p.department, "level": level,
        }
        if b.ratings.change(p.ticket, criterion, **values) is None:  # a corrected rating replaces the earlier answer
            b.ratings.add(values)


def _dossier_received(b: _Batch, e: Event[ev.DossierReceived]) -> None:
    p = e.payload
    b.dossiers.add({
        "code": p.code, "day": p.received_on or b.local_day(e.at), "received_at": e.at, "department": p.department,
        "procedure": p.procedure, "procedure_name": p.procedure_name, "limit_days": p.limit_days,
        "limit_hours": p.limit_hours, "due": p.due, "status": "received", "cabin": p.cabin,
        "officer": p.officer, "returned_at": None, "returned_on": None, "outcome": None,
        "return_cabin": None, "return_officer": None, "new_due": None, "reason": None,
    })


def _dossier_status(b: _Batch, e: Event[ev.DossierStatusChanged]) -> None:
    b.dossiers.change(e.payload.code, status=e.payload.status, reason=e.payload.reason)


def _dossier_returned(b: _Batch, e: Event[ev.DossierReturned]) -> None:
    p = e.payload
    b.dossiers.change(p.code, status="returned", returned_at=e.at, returned_on=p.returned_on, outcome=p.outcome,
                      return_cabin=p.cabin, return_officer=p.officer)


def _dossier_apology(b: _Batch, e: Event[ev.DossierApologyIssued]) -> None:
    b.dossiers.change(e.payload.code, new_due=e.payload.new_due, reason=e.payload.reason)


def _day_closed(b: _Batch, e: Event[ev.DayClosed]) -> None:
    """The engine closes every cabin and every unfinished ticket; then the day is frozen."""
    b.flush()
    day, hall = e.payload.day, b.hall
    t, s, c = StatTicket.__table__, StatSegment.__table__, StatCabinTime.__table__
    # Every close closes all that is open, so what is open now began on or after the day of the
    # previous close: looking there only keeps the nightly close from growing with the years.
    since = _previous_close(b.conn, hall, day)
    b.conn.execute(update(t).where(t.c.hall == hall, t.c.day <= day, t.c.day >= since, t.c.outcome.in_(("waiting", "called", "serving"))).values(outcome="closed", ended_at=e.at))
    b.conn.execute(update(s).where(s.c.hall == hall, s.c.day <= day, s.c.day >= since, s.c.outcome == "open").values(outcome="closed", ended_at=e.at, end_hour=b.config.local_hour(e.at)))
    b.conn.execute(update(c).where(c.c.hall == hall, c.c.day >= since, c.c.ended_at.is_(None)).values(ended_at=e.at))
    freeze_day(b.conn, hall, b.config, day, e.at)


def _previous_close(conn: Connection, hall: str, day: str) -> str:
    """The last day closed (frozen) before `day`, or "" when there was none."""
    d = StatDaySummary.__table__
    return conn.execute(select(func.max(d.c.day)).where(d.c.hall == hall, d.c.day < day)).scalar() or ""


_HANDLERS: dict[type[ev.Payload], Callable[[_Batch, Any], None]] = {
    ev.TicketIssued: _issued,
    ev.TicketCalled: _called,
    ev.TicketStarted: _started,
    ev.TicketFinished: _finished,
    ev.TicketNoShow: _no_show,
    ev.TicketRejoined: _rejoined,
    ev.TicketTransferred: _transferred,
    ev.TicketCancelled: _cancelled,
    ev.CabinOpened: _cabin_opened,
    ev.CabinPaused: _cabin_paused,
    ev.CabinResumed: _cabin_resumed,
    ev.CabinClosed: _cabin_closed,
    ev.RatingRecorded: _rating,
    ev.DossierReceived: _dossier_received,
    ev.DossierStatusChanged: _dossier_status,
    ev.DossierReturned: _dossier_returned,
    ev.DossierApologyIssued: _dossier_apology,
    ev.AppointmentMissed: _appointment_missed,
    ev.DayClosed: _day_closed,
}
