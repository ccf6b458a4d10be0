"""The statistics tables: plain pictures of what happened, one row per ticket, call, interval,
answer, dossier; and the frozen figures of closed days.

Every table is keyed by `hall` and registers on the store's one `metadata` (hall/schema.py), so
`create_all` builds them — including a table added after a store was first written — on SQLite
and PostgreSQL alike. There are no migrations yet: a column is never changed here, only tables
added (see `StatDayRating`).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Float, Index, Integer, String, Table, Text, delete
from sqlalchemy.orm import Mapped, mapped_column

from ..schema import Base

HALL_KEY = ""  # agency value of the hall-wide rows in stat_day_summary and stat_day_ratings

# The rating levels the first release froze as columns of stat_day_summary. Read only for days
# frozen before stat_day_ratings existed; still written (the columns are NOT NULL in stores of
# the first release) with the counts of the levels of these names, 0 where the hall has none.
LEGACY_LEVEL_COLUMNS = ("rat_hai_long", "hai_long", "khong_hai_long")


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
    # LEGACY_LEVEL_COLUMNS: the first release's per-level counts (see above); the counts of a day
    # frozen now are in stat_day_ratings. A migration may move old days there and drop these.
    rat_hai_long: Mapped[int] = mapped_column(Integer)
    hai_long: Mapped[int] = mapped_column(Integer)
    khong_hai_long: Mapped[int] = mapped_column(Integer)
    satisfaction_pct: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    hourly: Mapped[str] = mapped_column(Text)  # JSON list, only on the hall row


class StatDayRating(Base):
    """Answers per rating level of a closed day, per agency (and the hall, agency ""): one row for
    every level of the hall file's `[ratings] levels`, frozen beside the day's stat_day_summary."""

    __tablename__ = "stat_day_ratings"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # the level's place in the hall file when frozen
    answers: Mapped[int] = mapped_column(Integer)


_MODELS = (
    ("tickets", StatTicket), ("segments", StatSegment), ("cabin_time", StatCabinTime), ("ratings", StatRating),
    ("dossiers", StatDossier), ("day_summary", StatDaySummary), ("day_ratings", StatDayRating),
)
TABLES: dict[str, Table] = {name: cast(Table, model.__table__) for name, model in _MODELS}


def reset(conn: Connection, hall: str) -> None:
    """Forget a hall's statistics (before a rebuild from its journal)."""
    for table in TABLES.values():
        conn.execute(delete(table).where(table.c.hall == hall))
