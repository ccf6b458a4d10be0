"""Retention of personal data: `hall retention` and the server's daily run.

What is due (hall/personal.py `expired`) is deleted from personal_data in one transaction, with
the notifications outbox rows already delivered or failed (they hold phones in their body) that
were created before the `contact_days` cutoff — pending rows stay until delivered or failed, and
go at the next run after that. Then the engine forgets what was deleted (`Engine.forget`: the
phones of recent tickets and bookings in its state) and every snapshot is replaced by one of
that state — an older snapshot may hold the name of a dossier that was still open, or a phone of
a ticket of yesterday — and the store's files are scrubbed (`scrub`: the SQLite write-ahead log
truncated, PostgreSQL vacuumed). After that no byte of the data remains in the journal, the
outbox, the read models (which never held it) or the snapshots, and a replay decodes those
events with the fields empty. Statistics do not change: nothing derived from the journal reads
a name or a phone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from .components import build_engine
from .config import HallConfig
from .journal import Journal
from .outbox import purge
from .personal import cutoff, expired, forget, kind_of, missing, scrub
from .snapshots import capture, replace_all, restore_latest

log = logging.getLogger("hall.retention")


@dataclass(frozen=True)
class RetentionReport:
    as_of: dt.date
    due: dict[str, int]  # kind -> records whose period is over
    deleted: int  # 0 in a dry run
    snapshot_seq: int | None  # the snapshot that replaced the others, if any
    notices_deleted: int = 0  # outbox rows (delivered or failed) holding a phone

    def summary(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.due.items())) or "none"
        notices = f"; {self.notices_deleted} sent notifications deleted" if self.notices_deleted else ""
        return f"personal data due on {self.as_of.isoformat()}: {kinds}; deleted {self.deleted}{notices}"


@dataclass(frozen=True)
class Deleted:
    """What one retention transaction found due and took out."""

    refs: list[str]  # personal_data refs due (deleted unless a dry run)
    deleted: int
    notices: int  # outbox rows

    @property
    def due(self) -> dict[str, int]:
        return count_kinds(self.refs)

    @property
    def changed(self) -> bool:
        return bool(self.deleted or self.notices)


def count_kinds(refs: list[str]) -> dict[str, int]:
    due: dict[str, int] = {}
    for ref in refs:
        due[kind_of(ref)] = due.get(kind_of(ref), 0) + 1
    return due


def delete_expired(journal: Journal, config: HallConfig, as_of: dt.date, dry_run: bool = False) -> Deleted:
    """Delete the personal data whose period is over on `as_of`, and the sent notifications of
    before the contact cutoff."""
    with journal.engine.begin() as conn:
        refs = expired(conn, config, as_of)
        if dry_run:
            return Deleted(refs, 0, 0)
        return Deleted(refs, forget(conn, config.id, refs), purge(conn, config.id, cutoff(config, as_of, "contact_days")))


def no_longer_kept(journal: Journal, config: HallConfig, held: set[str]) -> set[str]:
    """Of the refs an engine's state holds, those retention deleted (now, or by another process
    while this engine ran): the engine forgets them, so no snapshot of it brings them back."""
    with journal.engine.connect() as conn:
        return missing(conn, config.id, held)


def run_retention(journal: Journal, config: HallConfig, as_of: dt.date, *, dry_run: bool = False,
                  vacuum: bool = True) -> RetentionReport:
    """`hall retention`: delete what is due, make the only snapshot one without it, scrub the files."""
    done = delete_expired(journal, config, as_of, dry_run)
    snapshot = None
    if not dry_run:
        engine = build_engine(config)
        restore_latest(engine, journal)
        gone = no_longer_kept(journal, config, engine.personal_refs())
        if done.changed or gone:
            engine.forget(gone)
            snapshot = engine.state.seq
            replace_all(journal.engine, config, snapshot, capture(engine))
            scrub(journal.engine, vacuum)
    report = RetentionReport(as_of, done.due, done.deleted, snapshot, done.notices)
    log.info("%s", report.summary())
    return report
