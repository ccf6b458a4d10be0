"""The event journal on SQL: append batches durably, read them back in order.

Synchronous on purpose: SQLAlchemy's asyncio layer does not run under trio, so the server calls
`append` from one writer thread and batches many commands' events into one transaction (group
commit). Read models registered as projections are updated in that same transaction, so SQL
never sees events without their statistics or the reverse. SQLite runs in WAL mode with
`synchronous=FULL`: a returned `append` survives a power cut, not only a process kill; and with
`secure_delete`, so a row deleted (citizens' data whose retention ended, hall/personal.py) is
overwritten with zeros in the file, not merely marked free.

Citizens' personal fields of a payload (`Payload.PERSONAL`) are written to the personal_data
table, not into the event's JSON, in the same transaction, and put back when the journal is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Table, create_engine, event, func, insert, select
from sqlalchemy.engine import Engine as SqlEngine

from .events import Event, decode, journal_text
from .ownership import Fence
from .personal import Personal, fields_of, record
from .schema import EventRow
from .upgrades import upgrade_store


SideRows = tuple[Table, list[dict[str, Any]]]  # a table and rows to insert into it


class Projection(Protocol):
    """A read model kept in step with the journal inside the append transaction."""

    def project(self, conn: Connection, hall: str, events: Sequence[Event]) -> None: ...


def create_private_file(path: Path) -> None:
    """Create an empty file only its owner may read, if there is none: a SQLite store (or a
    backup of one) holds citizens' names and phones, and SQLite gives the store's -wal and -shm
    files the store's own mode."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def open_store(url: str, *, idle_in_transaction_seconds: float | None = None) -> SqlEngine:
    """A SQLAlchemy engine for a store URL, with SQLite made durable and concurrent-safe.

    `hide_parameters`: a failed statement's message goes to the log and to 503 answers; it must
    not carry the values (citizens' phone numbers and names) of the events it was writing.
    `idle_in_transaction_seconds` (PostgreSQL): the server ends a session left inside a
    transaction that long — a node stopped in the middle of an append (SIGSTOP, a frozen VM)
    must not hold the hall's lease row locked until it wakes up (hall/ownership.py).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if idle_in_transaction_seconds is not None:
        setting = f"SET idle_in_transaction_session_timeout = {int(idle_in_transaction_seconds * 1000)}"

        @event.listens_for(engine, "connect")
        def _idle_limit(dbapi_conn: Any, _record: Any) -> None:
            with dbapi_conn.cursor() as cursor:
                cursor.execute(setting)
            dbapi_conn.commit()

    return engine


class Journal:
    def __init__(self, url: str, projections: Sequence[Projection] = (), *, idle_in_transaction_seconds: float | None = None) -> None:
        self.url = url
        self.engine = open_store(url, idle_in_transaction_seconds=idle_in_transaction_seconds)
        self.projections = list(projections)
        try:
            self.upgrades = upgrade_store(self.engine)  # the schema versions applied (hall/upgrades.py)
        except BaseException:
            self.engine.dispose()
            raise

    def append(self, hall: str, events: Sequence[Event], also: Sequence[SideRows] = (), fence: Fence | None = None) -> None:
        """Write events (and their read models) in one transaction; returns once durable.

        `also`: rows of other tables that must exist exactly when these events do (the
        notifications outbox, hall/outbox.py), inserted in the same transaction.
        With a `fence` (a node owning the hall among several), the transaction first proves the
        node still owns the hall — `Fenced` otherwise, and nothing is written — and announces the
        append to the standbys on commit (hall/ownership.py)."""
        if not events:
            return
        rows, personal = [], []
        for e in events:
            data, fields = journal_text(e.payload)
            ref = e.payload.personal_ref if fields else None
            rows.append({"hall": hall, "seq": e.seq, "at": e.at, "type": e.type, "actor": e.actor, "data": data, "personal": ref})
            if fields and ref:
                personal.append(Personal(ref, fields, e.at))
        with self.engine.begin() as conn:
            if fence is not None:
                fence.check(conn)
            conn.execute(insert(EventRow), rows)
            record(conn, hall, personal, events)
            for projection in self.projections:
                projection.project(conn, hall, events)
            for table, side in also:
                if side:
                    conn.execute(insert(table), side)
            if fence is not None:
                fence.notify(conn)

    def load(self, hall: str, after: int = 0) -> Iterator[Event]:
        """Every event of a hall after `after`, in sequence order."""
        query = (
            select(EventRow.seq, EventRow.at, EventRow.type, EventRow.data, EventRow.actor, EventRow.personal)
            .where(EventRow.hall == hall, EventRow.seq > after)
            .order_by(EventRow.seq)
        )
        with self.engine.connect() as conn, self.engine.connect() as side:
            for rows in conn.execution_options(yield_per=5000).execute(query).partitions():
                yield from self._decoded(side, hall, rows)

    def load_between(self, hall: str, start_at: float, end_at: float, limit: int = 5000) -> list[Event]:
        """Events of a time window, oldest first (the audit trail for inspectors)."""
        query = (
            select(EventRow.seq, EventRow.at, EventRow.type, EventRow.data, EventRow.actor, EventRow.personal)
            .where(EventRow.hall == hall, EventRow.at >= start_at, EventRow.at < end_at)
            .order_by(EventRow.seq)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(self._decoded(conn, hall, list(conn.execute(query))))

    @staticmethod
    def _decoded(conn: Connection, hall: str, rows: Sequence[Any]) -> Iterator[Event]:
        """Journal rows as events, with the personal data still kept put back."""
        refs = [row[5] for row in rows if row[5] is not None]
        personal = fields_of(conn, hall, refs) if refs else {}
        for seq, at, kind, data, actor, ref in rows:
            yield Event(seq, at, decode(kind, data, personal.get(ref) if ref else None), actor)

    def last_seq(self, hall: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(EventRow.seq), 0)).where(EventRow.hall == hall)).scalar_one()

    def close(self) -> None:
        self.engine.dispose()
