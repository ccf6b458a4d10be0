"""The notifications outbox: one row per notice and sink, written with the events that caused it.

Theory of operation
-------------------
`rows_for(notices)` makes the rows the journal inserts in the very transaction that appends the
batch's events (`Journal.append(…, also=…)`): a notice exists exactly when its cause is
durable. Delivery happens afterwards and elsewhere (api/notify.py): it reads the rows that are
due (`due`), and records each attempt (`record_attempt`) in a transaction of its own. A row is
``pending`` until a sink accepts it (``delivered``), or until `max_attempts` attempts failed
(``failed``); `next_at` spaces the attempts out (exponential backoff, wall-clock seconds, so a
restart keeps the schedule). The row's `id` is the delivery id sent to the receiver, the same on
every attempt, so a receiver deduplicates what at-least-once delivery repeats.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Float, Index, Integer, String, Text, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .notices import Notice, NotifySettings
from .schema import Base

STATES = ("pending", "delivered", "failed")


class OutboxRow(Base):
    __tablename__ = "notify_outbox"
    __table_args__ = (Index("ix_notify_outbox_due", "hall", "status", "next_at"),)

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the delivery id
    key: Mapped[str] = mapped_column(String(120))  # the notice's once-only key
    sink: Mapped[str] = mapped_column(String(128))  # webhook:URL | sms | log
    event: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[float] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[float | None] = mapped_column(Float)


@dataclass(frozen=True)
class Delivery:
    """One row to deliver (or shown to the floor manager)."""

    id: str
    sink: str
    event: str
    body: dict[str, Any]
    created_at: float
    status: str
    attempts: int
    next_at: float
    last_error: str | None
    delivered_at: float | None


TABLE = OutboxRow.__table__


def rows_for(hall: str, notices: Sequence[Notice], settings: NotifySettings, now: float) -> list[dict[str, Any]]:
    """The outbox rows of a batch's notices, one per sink that takes the notice's event."""
    rows = []
    for notice in notices:
        text = json.dumps(notice.body, ensure_ascii=False, separators=(",", ":"))
        for sink in settings.sinks_for(notice.event):
            rows.append({"hall": hall, "id": uuid.uuid4().hex, "key": notice.key[:120], "sink": sink, "event": notice.event,
                         "body": text, "created_at": now, "status": "pending", "attempts": 0, "next_at": now,
                         "last_error": None, "delivered_at": None})
    return rows


def sent_keys(conn: Connection, hall: str, since: float) -> set[str]:
    """The once-only keys already in the outbox since `since` (the watch's memory after a restart)."""
    query = select(TABLE.c.key).where(TABLE.c.hall == hall, TABLE.c.created_at >= since).distinct()
    return {key for (key,) in conn.execute(query)}


def due(conn: Connection, hall: str, now: float, limit: int = 50) -> list[Delivery]:
    query = (select(TABLE).where(TABLE.c.hall == hall, TABLE.c.status == "pending", TABLE.c.next_at <= now)
             .order_by(TABLE.c.next_at).limit(limit))
    return [_delivery(row) for row in conn.execute(query).mappings()]


def next_due(conn: Connection, hall: str) -> float | None:
    query = select(func.min(TABLE.c.next_at)).where(TABLE.c.hall == hall, TABLE.c.status == "pending")
    return conn.execute(query).scalar_one_or_none()


def record_attempt(conn: Connection, hall: str, delivery: Delivery, error: str | None, now: float, settings: NotifySettings) -> None:
    """Delivered (no error), or the next attempt scheduled with a doubled wait, or failed for good."""
    attempts = delivery.attempts + 1
    if error is None:
        values: dict[str, Any] = {"status": "delivered", "attempts": attempts, "delivered_at": now, "last_error": None}
    else:
        wait = min(settings.retry_base_seconds * 2 ** (attempts - 1), settings.retry_max_seconds)
        status = "failed" if attempts >= settings.max_attempts else "pending"
        values = {"status": status, "attempts": attempts, "next_at": now + wait, "last_error": error[:300]}
    conn.execute(update(TABLE).where(TABLE.c.hall == hall, TABLE.c.id == delivery.id).values(values))


def purge(conn: Connection, hall: str, before: float) -> int:
    """Forget the rows that are done (delivered or failed) and older than `before`: they hold
    citizens' phone numbers, which the hall keeps no longer than it needs. Pending rows stay."""
    done = TABLE.c.status.in_(("delivered", "failed"))
    return conn.execute(delete(TABLE).where(TABLE.c.hall == hall, done, TABLE.c.created_at < before)).rowcount


def listing(conn: Connection, hall: str, statuses: Iterable[str], limit: int = 200) -> tuple[dict[str, int], list[Delivery]]:
    """How many rows are in each state, and the newest rows of `statuses`."""
    counts = {state: 0 for state in STATES}
    for status, n in conn.execute(select(TABLE.c.status, func.count()).where(TABLE.c.hall == hall).group_by(TABLE.c.status)):
        counts[status] = n
    query = (select(TABLE).where(TABLE.c.hall == hall, TABLE.c.status.in_(list(statuses)))
             .order_by(TABLE.c.created_at.desc()).limit(limit))
    return counts, [_delivery(row) for row in conn.execute(query).mappings()]


def _delivery(row: Any) -> Delivery:
    return Delivery(row["id"], row["sink"], row["event"], json.loads(row["body"]), row["created_at"], row["status"],
                    row["attempts"], row["next_at"], row["last_error"], row["delivered_at"])
