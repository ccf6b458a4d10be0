"""Statistics: SQL read models kept in step with the journal, and the questions asked of them.

Theory of operation
-------------------
`StatsProjection.project(conn, hall, events)` runs inside the journal's append transaction
(hall/journal.py), so SQL never holds events without their statistics or the reverse. It keeps
six plain tables, each a direct picture of what happened, and answers every statistic with a
query over them — nothing is pre-aggregated except the frozen day summary:

* `stat_tickets` — one row per ticket: when and where it was issued, when it was *first* called
  (the wait is arrival → first call; a transferred ticket keeps its original arrival), how it
  ended (done, no-show, cancelled, closed at day end).
* `stat_segments` — one row per call of a ticket at a cabin: who served it, service time, and
  how the segment ended (served, no-show, transferred, cancelled, closed). Served / no-show /
  transferred are counted here, at the cabin, officer, service and agency that did the work.
* `stat_cabin_time` — intervals of a cabin open or paused (with the reason), per officer;
  idle time = open time − time busy with a called ticket.
* `stat_ratings` — one row per answered criterion of a rating.
* `stat_dossiers` — one row per dossier: agency, procedure, limit and due date recorded at
  receipt, status, return day and outcome. No personal data: names and phones stay in the
  journal only.
* `stat_day_summary` — the public board's figures per agency (and the hall, agency "") written
  when the `day_closed` event arrives and never changed afterwards.

Within one call the projection works on buffered rows (looked up by primary key, created or
updated in memory, written back with one executemany per table), so a batch of a whole day's
events costs a handful of statements — the year-long history generator relies on that.
A row an event refers to but the store does not have (a store older than the projection) is
skipped rather than failing the transaction, which would stop the hall.

Definitions (docs/statistics.md): satisfaction % = answers "rat_hai_long" or "hai_long" divided
by all answers, each criterion of a rating counting as one answer; p90 is the nearest-rank 90th
percentile; an agency's score for the ranking is the mean of its available percentages among
dossiers returned early or on time, satisfaction, and waits within target.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Float, Index, Integer, String, Text, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from . import events as ev
from .config import HallConfig
from .events import Event
from .schema import Base

SATISFIED = ("rat_hai_long", "hai_long")
LEVELS = ("rat_hai_long", "hai_long", "khong_hai_long")
HALL_KEY = ""  # agency value of the hall-wide row in stat_day_summary


# ---- tables -----------------------------------------------------------------------------------


class StatTicket(Base):
    __tablename__ = "stat_tickets"
    # SQLite would otherwise scan the whole primary key (hall, …) for a range of days
    __table_args__ = (Index("ix_stat_tickets_hall_day", "hall", "day"),)

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(32))  # where it was issued
    department: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[float] = mapped_column(Float)
    hour: Mapped[int] = mapped_column(Integer)  # local hour of arrival
    target_wait_s: Mapped[float] = mapped_column(Float)
    first_called_at: Mapped[float | None] = mapped_column(Float)
    wait_s: Mapped[float | None] = mapped_column(Float)
    first_cabin: Mapped[int | None] = mapped_column(Integer)
    first_officer: Mapped[str | None] = mapped_column(String(64))
    current_service: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # waiting|called|serving|done|no_show|cancelled|closed
    ended_at: Mapped[float | None] = mapped_column(Float)
    transfers: Mapped[int] = mapped_column(Integer)


class StatSegment(Base):
    __tablename__ = "stat_segments"
    # SQLite would otherwise scan the whole primary key (hall, …) for a range of days
    __table_args__ = (Index("ix_stat_segments_hall_day", "hall", "day"),)

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(64), primary_key=True)
    called_at: Mapped[float] = mapped_column(Float, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    cabin: Mapped[int] = mapped_column(Integer)
    officer: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    end_hour: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # open|served|no_show|transferred|cancelled|closed


class StatCabinTime(Base):
    __tablename__ = "stat_cabin_time"
    # SQLite would otherwise scan the whole primary key (hall, …) for a range of days
    __table_args__ = (Index("ix_stat_cabin_time_hall_day", "hall", "day"),)

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    cabin: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[float] = mapped_column(Float, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    officer: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8))  # open | paused
    reason: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[float | None] = mapped_column(Float)


class StatRating(Base):
    __tablename__ = "stat_ratings"
    # SQLite would otherwise scan the whole primary key (hall, …) for a range of days
    __table_args__ = (Index("ix_stat_ratings_hall_day", "hall", "day"),)

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(64), primary_key=True)
    criterion: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    at: Mapped[float] = mapped_column(Float)
    cabin: Mapped[int | None] = mapped_column(Integer)
    officer: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(32))


class StatDossier(Base):
    __tablename__ = "stat_dossiers"
    # SQLite would otherwise scan the whole primary key (hall, …) for a range of days
    __table_args__ = (Index("ix_stat_dossiers_hall_day", "hall", "day"), Index("ix_stat_dossiers_hall_due", "hall", "due"), Index("ix_stat_dossiers_hall_returned_on", "hall", "returned_on"),)

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # received on
    received_at: Mapped[float] = mapped_column(Float)
    department: Mapped[str] = mapped_column(String(32))
    procedure: Mapped[str] = mapped_column(String(40))
    procedure_name: Mapped[str] = mapped_column(String(300))
    limit_days: Mapped[int | None] = mapped_column(Integer)
    limit_hours: Mapped[int | None] = mapped_column(Integer)
    due: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(24))
    cabin: Mapped[int | None] = mapped_column(Integer)
    officer: Mapped[str | None] = mapped_column(String(64))
    returned_at: Mapped[float | None] = mapped_column(Float)
    returned_on: Mapped[str | None] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(8))  # early | on_time | late
    return_cabin: Mapped[int | None] = mapped_column(Integer)
    return_officer: Mapped[str | None] = mapped_column(String(64))
    new_due: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(300))


class StatDaySummary(Base):
    """The public board's figures of a closed day, frozen at `day_closed`."""

    __tablename__ = "stat_day_summary"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    agency: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" = the whole hall
    name: Mapped[str] = mapped_column(String(200))
    tickets_issued: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    no_show: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[int] = mapped_column(Integer)
    transferred: Mapped[int] = mapped_column(Integer)
    avg_wait_minutes: Mapped[float | None] = mapped_column(Float)
    within_target_pct: Mapped[float | None] = mapped_column(Float)
    dossiers_received: Mapped[int] = mapped_column(Integer)
    returned_early: Mapped[int] = mapped_column(Integer)
    returned_on_time: Mapped[int] = mapped_column(Integer)
    returned_late: Mapped[int] = mapped_column(Integer)
    overdue_pending: Mapped[int] = mapped_column(Integer)
    rat_hai_long: Mapped[int] = mapped_column(Integer)
    hai_long: Mapped[int] = mapped_column(Integer)
    khong_hai_long: Mapped[int] = mapped_column(Integer)
    satisfaction_pct: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    hourly: Mapped[str] = mapped_column(Text)  # JSON list, only on the hall row


TABLES = {
    "tickets": StatTicket.__table__,
    "segments": StatSegment.__table__,
    "cabin_time": StatCabinTime.__table__,
    "ratings": StatRating.__table__,
    "dossiers": StatDossier.__table__,
    "day_summary": StatDaySummary.__table__,
}


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
        current = self.interval_of(cabin)
        if current is not None:
            current["ended_at"] = at
            self.cabin_time.touch(current)
        if state is None:
            self.open_interval[cabin] = None
            return
        self.open_interval[cabin] = self.cabin_time.add(
            {"cabin": cabin, "started_at": at, "day": self.local_day(at), "officer": officer, "state": state, "reason": reason, "ended_at": None}
        )

    def ticket_update(self, ticket_id: str, **values: Any) -> dict[str, Any] | None:
        row = self.tickets.get(ticket_id)
        if row is not None:
            row.update(values)
            self.tickets.touch(row)
        return row


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
    b.ticket_update(e.payload.id, outcome="serving")
    segment = b.segment_of(e.payload.id)
    if segment is not None:
        segment["started_at"] = e.at
        b.segments.touch(segment)


def _finished(b: _Batch, e: Event[ev.TicketFinished]) -> None:
    b.ticket_update(e.payload.id, outcome="done", ended_at=e.at)
    b.end_segment(e.payload.id, e.at, "served")


def _no_show(b: _Batch, e: Event[ev.TicketNoShow]) -> None:
    b.ticket_update(e.payload.id, outcome="no_show", ended_at=e.at)
    b.end_segment(e.payload.id, e.at, "no_show")


def _rejoined(b: _Batch, e: Event[ev.TicketRejoined]) -> None:
    b.ticket_update(e.payload.id, outcome="waiting", ended_at=None)


def _transferred(b: _Batch, e: Event[ev.TicketTransferred]) -> None:
    row = b.tickets.get(e.payload.id)
    if row is not None:
        row.update(outcome="waiting", current_service=e.payload.service, transfers=row["transfers"] + 1)
        b.tickets.touch(row)
    b.end_segment(e.payload.id, e.at, "transferred")


def _cancelled(b: _Batch, e: Event[ev.TicketCancelled]) -> None:
    b.ticket_update(e.payload.id, outcome="cancelled", ended_at=e.at)
    b.end_segment(e.payload.id, e.at, "cancelled")


def _cabin_opened(b: _Batch, e: Event[ev.CabinOpened]) -> None:
    b.switch_interval(e.payload.cabin, e.at, "open", e.payload.officer)


def _cabin_paused(b: _Batch, e: Event[ev.CabinPaused]) -> None:
    current = b.interval_of(e.payload.cabin)
    officer = e.payload.officer or (current or {}).get("officer")
    b.switch_interval(e.payload.cabin, e.at, "paused", officer, e.payload.reason)


def _cabin_resumed(b: _Batch, e: Event[ev.CabinResumed]) -> None:
    current = b.interval_of(e.payload.cabin)
    officer = e.payload.officer or (current or {}).get("officer")
    b.switch_interval(e.payload.cabin, e.at, "open", officer)


def _cabin_closed(b: _Batch, e: Event[ev.CabinClosed]) -> None:
    b.switch_interval(e.payload.cabin, e.at, None, None)


def _rating(b: _Batch, e: Event[ev.RatingRecorded]) -> None:
    p = e.payload
    for criterion, level in p.levels.items():
        values = {
            "ticket": p.ticket, "criterion": criterion, "day": b.local_day(e.at), "at": e.at, "cabin": p.cabin,
            "officer": p.officer, "service": p.service, "department": p.department, "level": level,
        }
        existing = b.ratings.get(p.ticket, criterion)
        if existing is None:
            b.ratings.add(values)
        else:  # a corrected rating replaces the earlier answer
            existing.update(values)
            b.ratings.touch(existing)


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
    row = b.dossiers.get(e.payload.code)
    if row is not None:
        row.update(status=e.payload.status, reason=e.payload.reason)
        b.dossiers.touch(row)


def _dossier_returned(b: _Batch, e: Event[ev.DossierReturned]) -> None:
    p = e.payload
    row = b.dossiers.get(p.code)
    if row is not None:
        row.update(status="returned", returned_at=e.at, returned_on=p.returned_on, outcome=p.outcome,
                   return_cabin=p.cabin, return_officer=p.officer)
        b.dossiers.touch(row)


def _dossier_apology(b: _Batch, e: Event[ev.DossierApologyIssued]) -> None:
    row = b.dossiers.get(e.payload.code)
    if row is not None:
        row.update(new_due=e.payload.new_due, reason=e.payload.reason)
        b.dossiers.touch(row)


def _day_closed(b: _Batch, e: Event[ev.DayClosed]) -> None:
    """The engine closes every cabin and every unfinished ticket; then the day is frozen."""
    b.flush()
    day, hall = e.payload.day, b.hall
    t, s, c = StatTicket.__table__, StatSegment.__table__, StatCabinTime.__table__
    b.conn.execute(update(t).where(t.c.hall == hall, t.c.day <= day, t.c.outcome.in_(("waiting", "called", "serving"))).values(outcome="closed", ended_at=e.at))
    b.conn.execute(update(s).where(s.c.hall == hall, s.c.day <= day, s.c.outcome == "open").values(outcome="closed", ended_at=e.at, end_hour=b.config.local_hour(e.at)))
    b.conn.execute(update(c).where(c.c.hall == hall, c.c.ended_at.is_(None)).values(ended_at=e.at))
    freeze_day(b.conn, hall, b.config, day, e.at)


_HANDLERS: dict[type[ev.Payload], Any] = {
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
    ev.DayClosed: _day_closed,
}


# ---- figures ----------------------------------------------------------------------------------

GROUPS = ("agency", "service", "cabin", "officer")


def pct(part: int | float, whole: int | float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 1)


def nearest_rank(sorted_values: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile: the smallest value with at least q of the values at or below."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def wait_summary(waits: Iterable[float], targets_met: int | None = None) -> dict[str, Any]:
    values = sorted(waits)
    if not values:
        return {"waits": 0, "avg_wait_minutes": None, "median_wait_minutes": None, "p90_wait_minutes": None, "max_wait_minutes": None}
    return {
        "waits": len(values),
        "avg_wait_minutes": round(statistics.fmean(values) / 60, 1),
        "median_wait_minutes": round(statistics.median(values) / 60, 1),
        "p90_wait_minutes": round(nearest_rank(values, 0.9) / 60, 1),
        "max_wait_minutes": round(values[-1] / 60, 1),
    }


def _key_columns(by: str | None, table: Any, cabin_col: str = "cabin", officer_col: str = "officer") -> list[Any]:
    if by is None:
        return []
    if by == "agency":
        return [table.c.department]
    if by == "service":
        return [table.c.service]
    if by == "cabin":
        return [table.c[cabin_col]]
    if by == "officer":
        return [table.c[officer_col]]
    raise ValueError(f"group by one of {', '.join(GROUPS)}, not {by!r}")


def _blank() -> dict[str, Any]:
    return {
        "tickets_issued": 0, "served": 0, "no_show": 0, "cancelled": 0, "transferred": 0,
        "within_target": 0, "waits_list": [], "service_seconds": 0.0, "busy_seconds": 0.0,
        "open_seconds": 0.0, "paused_seconds": 0.0, "paused_by_reason": defaultdict(float),
        "ratings": {level: 0 for level in LEVELS},
        "dossiers_received": 0, "returned_early": 0, "returned_on_time": 0, "returned_late": 0, "overdue_pending": 0,
    }


def figures(conn: Connection, hall: str, config: HallConfig, start: str, end: str, by: str | None, now: float) -> dict[Any, dict[str, Any]]:
    """Every statistic for the days start..end (ISO, inclusive), grouped `by` agency, service,
    cabin, officer or — with None — the whole hall (key None). `now` closes intervals still open
    and decides which pending dossiers are overdue."""
    out: dict[Any, dict[str, Any]] = defaultdict(_blank)
    t, s, c, r, d = (x.__table__ for x in (StatTicket, StatSegment, StatCabinTime, StatRating, StatDossier))

    # tickets: issued and cancelled where issued; waits where first called (cabin / officer)
    keys = _key_columns(by, t, "first_cabin", "first_officer")
    in_days = and_(t.c.hall == hall, t.c.day >= start, t.c.day <= end)
    for row in conn.execute(select(*keys, func.count(), func.sum(_case(t.c.outcome == "cancelled"))).where(in_days).group_by(*keys)):
        key = row[0] if keys else None
        out[key]["tickets_issued"] += row[-2]
        out[key]["cancelled"] += row[-1] or 0
    for row in conn.execute(select(*keys, t.c.wait_s, t.c.target_wait_s).where(in_days, t.c.wait_s.is_not(None))):
        key = row[0] if keys else None
        out[key]["waits_list"].append(row[-2])
        out[key]["within_target"] += row[-2] <= row[-1]

    # segments: the work done at cabins
    keys = _key_columns(by, s)
    served_time = s.c.ended_at - func.coalesce(s.c.started_at, s.c.called_at)
    query = select(
        *keys,
        func.sum(_case(s.c.outcome == "served")), func.sum(_case(s.c.outcome == "no_show")),
        func.sum(_case(s.c.outcome == "transferred")),
        func.sum(_case(s.c.outcome == "served", served_time)),
        func.sum(func.coalesce(s.c.ended_at, now) - s.c.called_at),
    ).where(s.c.hall == hall, s.c.day >= start, s.c.day <= end).group_by(*keys)
    for row in conn.execute(query):
        key = row[0] if keys else None
        f = out[key]
        f["served"] += row[-5] or 0
        f["no_show"] += row[-4] or 0
        f["transferred"] += row[-3] or 0
        f["service_seconds"] += row[-2] or 0.0
        f["busy_seconds"] += row[-1] or 0.0

    # cabin time: open and paused (by reason), per cabin / officer; agencies by the cabin's agency
    if by in (None, "agency", "cabin", "officer"):
        length = func.coalesce(c.c.ended_at, now) - c.c.started_at
        query = select(c.c.cabin, c.c.officer, c.c.state, c.c.reason, func.sum(length)).where(
            c.c.hall == hall, c.c.day >= start, c.c.day <= end
        ).group_by(c.c.cabin, c.c.officer, c.c.state, c.c.reason)
        for cabin, officer, state, reason, seconds in conn.execute(query):
            if by == "agency":
                key = config.cabins[cabin].department if cabin in config.cabins else None
            else:
                key = {"cabin": cabin, "officer": officer}.get(by) if by else None
            f = out[key]
            if state == "open":
                f["open_seconds"] += seconds or 0.0
            else:
                f["paused_seconds"] += seconds or 0.0
                f["paused_by_reason"][reason or ""] += seconds or 0.0

    # ratings
    keys = _key_columns(by, r)
    for row in conn.execute(select(*keys, r.c.level, func.count()).where(r.c.hall == hall, r.c.day >= start, r.c.day <= end).group_by(*keys, r.c.level)):
        key = row[0] if keys else None
        out[key]["ratings"][row[-2]] = out[key]["ratings"].get(row[-2], 0) + row[-1]

    # dossiers: received in the period, returned in the period, overdue still pending at its end
    if by != "service":
        keys = _key_columns(by, d)
        for row in conn.execute(select(*keys, func.count()).where(d.c.hall == hall, d.c.day >= start, d.c.day <= end).group_by(*keys)):
            out[row[0] if keys else None]["dossiers_received"] += row[-1]
        rkeys = _key_columns(by, d, "return_cabin", "return_officer") if by in ("cabin", "officer") else keys
        for row in conn.execute(select(*rkeys, d.c.outcome, func.count()).where(
            d.c.hall == hall, d.c.returned_on >= start, d.c.returned_on <= end
        ).group_by(*rkeys, d.c.outcome)):
            out[row[0] if rkeys else None][f"returned_{row[-2]}"] += row[-1]
        today = config.business_day(now).isoformat()
        asof = min(end, today)
        # overdue at the end of the period: due before `asof`, and not returned (or refused) by then
        # (a dossier waiting for the citizen's supplement is not the agency's delay)
        pending = and_(
            d.c.hall == hall, d.c.due < asof, d.c.day <= asof,
            d.c.status.notin_(("refused", "supplement_requested")),
            (d.c.returned_on.is_(None)) | (d.c.returned_on > asof),
        )
        for row in conn.execute(select(*keys, func.count()).where(pending).group_by(*keys)):
            out[row[0] if keys else None]["overdue_pending"] += row[-1]
    return {key: _finish(f) for key, f in out.items()}


def _case(condition: Any, value: Any = 1) -> Any:
    from sqlalchemy import case

    return case((condition, value), else_=0)


def _finish(f: dict[str, Any]) -> dict[str, Any]:
    waits = f.pop("waits_list")
    within = f.pop("within_target")
    f.update(wait_summary(waits))
    f["within_target_pct"] = pct(within, len(waits))
    served = f["served"]
    f["avg_service_minutes"] = round(f.pop("service_seconds") / served / 60, 1) if served else None
    busy, opened, paused = f.pop("busy_seconds"), f.pop("open_seconds"), f.pop("paused_seconds")
    f["open_minutes"] = round(opened / 60, 1)
    f["busy_minutes"] = round(busy / 60, 1)
    f["idle_minutes"] = round(max(0.0, opened - busy) / 60, 1)
    f["paused_minutes"] = round(paused / 60, 1)
    f["paused_by_reason"] = {k: round(v / 60, 1) for k, v in sorted(f["paused_by_reason"].items())}
    answers = sum(f["ratings"].values())
    f["satisfaction_pct"] = pct(sum(f["ratings"].get(level, 0) for level in SATISFIED), answers)
    returned = f["returned_early"] + f["returned_on_time"] + f["returned_late"]
    f["dossiers_returned"] = returned
    f["returned_in_time_pct"] = pct(f["returned_early"] + f["returned_on_time"], returned)
    return f


def score(f: dict[str, Any]) -> float | None:
    """An agency's ranking score: the mean of its available percentages (see module docstring)."""
    parts = [p for p in (f.get("returned_in_time_pct"), f.get("satisfaction_pct"), f.get("within_target_pct")) if p is not None]
    return round(sum(parts) / len(parts), 2) if parts else None


def rank(scores: dict[str, float | None]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4): higher score first; agencies without figures last."""
    ordered = sorted(scores.values(), key=lambda v: -1.0 if v is None else v, reverse=True)
    out = {}
    for code, value in scores.items():
        out[code] = 1 + sum(1 for other in ordered if (other if other is not None else -1.0) > (value if value is not None else -1.0))
    return out


BOARD_FIELDS = (
    "tickets_issued", "served", "no_show", "cancelled", "transferred", "avg_wait_minutes", "within_target_pct",
    "dossiers_received", "returned_early", "returned_on_time", "returned_late", "overdue_pending",
)


def _board_entry(f: dict[str, Any]) -> dict[str, Any]:
    entry = {name: f[name] for name in BOARD_FIELDS}
    entry["ratings"] = {level: f["ratings"].get(level, 0) for level in LEVELS}
    entry["satisfaction_pct"] = f["satisfaction_pct"]
    return entry


def day_board(conn: Connection, hall: str, config: HallConfig, day: str, now: float) -> dict[str, Any]:
    """The public board's figures of one day: frozen ones for a closed day, live otherwise."""
    frozen = _frozen(conn, hall, day)
    if frozen is not None:
        return frozen
    return _live_board(conn, hall, config, day, now)


def _live_board(conn: Connection, hall: str, config: HallConfig, day: str, now: float) -> dict[str, Any]:
    per = figures(conn, hall, config, day, day, "agency", now)
    whole = figures(conn, hall, config, day, day, None, now).get(None) or _finish(_blank())
    agencies = []
    for code, department in config.departments.items():
        f = per.get(code) or _finish(_blank())
        agencies.append({"code": code, "name": department.name, **_board_entry(f), "_score": score(f)})
    ranks = rank({a["code"]: a.pop("_score") for a in agencies})
    for a in agencies:
        a["rank"] = ranks[a["code"]]
    return {"day": day, "frozen": False, "agencies": agencies, "hall": {"code": None, "name": config.name, **_board_entry(whole)}}


def hourly(conn: Connection, hall: str, day: str) -> dict[str, Any]:
    frozen = conn.execute(
        select(StatDaySummary.hourly).where(StatDaySummary.hall == hall, StatDaySummary.day == day, StatDaySummary.agency == HALL_KEY)
    ).scalar_one_or_none()
    if frozen is not None:
        return {"day": day, "hours": json.loads(frozen)}
    return {"day": day, "hours": _live_hourly(conn, hall, day)}


def _live_hourly(conn: Connection, hall: str, day: str) -> list[dict[str, Any]]:
    t, s = StatTicket.__table__, StatSegment.__table__
    hours: dict[int, dict[str, Any]] = {}

    def slot(h: int) -> dict[str, Any]:
        return hours.setdefault(h, {"hour": h, "arrivals": 0, "served": 0, "_waits": []})

    for h, wait in conn.execute(select(t.c.hour, t.c.wait_s).where(t.c.hall == hall, t.c.day == day)):
        slot(h)["arrivals"] += 1
        if wait is not None:
            slot(h)["_waits"].append(wait)
    for h, n in conn.execute(select(s.c.end_hour, func.count()).where(s.c.hall == hall, s.c.day == day, s.c.outcome == "served").group_by(s.c.end_hour)):
        slot(h)["served"] += n
    out = []
    for h in sorted(hours):
        waits = hours[h].pop("_waits")
        hours[h]["avg_wait_minutes"] = round(statistics.fmean(waits) / 60, 1) if waits else None
        out.append(hours[h])
    return out


def freeze_day(conn: Connection, hall: str, config: HallConfig, day: str, now: float) -> None:
    """Write the day's board figures into stat_day_summary; the board shows them from then on."""
    if _frozen(conn, hall, day) is not None:
        return  # a day closed twice (reopened by the manager): the first close is what was published
    board = _live_board(conn, hall, config, day, now)
    hours = _live_hourly(conn, hall, day)
    whole = figures(conn, hall, config, day, day, None, now).get(None) or _finish(_blank())
    per = figures(conn, hall, config, day, day, "agency", now)
    rows = []
    for entry, code, extra in [(a, a["code"], per.get(a["code"])) for a in board["agencies"]] + [(board["hall"], HALL_KEY, whole)]:
        rows.append({
            "hall": hall, "day": day, "agency": code, "name": entry["name"],
            **{name: entry[name] for name in BOARD_FIELDS},
            **{level: entry["ratings"][level] for level in LEVELS},
            "satisfaction_pct": entry["satisfaction_pct"], "rank": entry.get("rank"),
            "hourly": json.dumps(hours) if code == HALL_KEY else "[]",
        })
    conn.execute(insert(StatDaySummary.__table__), rows)


def _frozen(conn: Connection, hall: str, day: str) -> dict[str, Any] | None:
    table = StatDaySummary.__table__
    rows = conn.execute(select(table).where(table.c.hall == hall, table.c.day == day)).mappings().all()
    if not rows:
        return None
    agencies, whole = [], None
    for row in rows:
        entry = {"code": row["agency"] or None, "name": row["name"], **{name: row[name] for name in BOARD_FIELDS}}
        entry["ratings"] = {level: row[level] for level in LEVELS}
        entry["satisfaction_pct"] = row["satisfaction_pct"]
        if row["agency"] == HALL_KEY:
            whole = entry
        else:
            entry["rank"] = row["rank"]
            agencies.append(entry)
    agencies.sort(key=lambda a: a["code"])
    return {"day": day, "frozen": True, "agencies": agencies, "hall": whole}


def export_csv(conn: Connection, hall: str, table_name: str, start: str | None = None, end: str | None = None) -> str:
    """One stat table as CSV (header row first), optionally limited to days start..end."""
    table = TABLES.get(table_name)
    if table is None:
        raise KeyError(table_name)
    query = select(table).where(table.c.hall == hall)
    if start is not None:
        query = query.where(table.c.day >= start)
    if end is not None:
        query = query.where(table.c.day <= end)
    query = query.order_by(*table.primary_key.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in table.columns])
    for row in conn.execute(query):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def dossier_public(conn: Connection, hall: str, config: HallConfig, code: str) -> dict[str, Any] | None:
    """A dossier as anyone holding its code may see it: no name, no phone."""
    table = StatDossier.__table__
    row = conn.execute(select(table).where(table.c.hall == hall, table.c.code == code)).mappings().first()
    if row is None:
        return None
    return {
        "code": row["code"], "department": row["department"], "procedure": row["procedure"],
        "procedure_name": row["procedure_name"], "status": row["status"],
        "received_at": config.local(row["received_at"]).isoformat(timespec="minutes"),
        "due": row["due"], "new_due": row["new_due"], "returned_on": row["returned_on"], "outcome": row["outcome"],
        "limit_days": row["limit_days"], "limit_hours": row["limit_hours"],
    }


def reset(conn: Connection, hall: str) -> None:
    """Forget a hall's statistics (before a rebuild from its journal)."""
    for table in TABLES.values():
        conn.execute(delete(table).where(table.c.hall == hall))
