"""Retention of personal data: `hall retention` and the server's daily run.

What is due (hall/personal.py `expired`) is deleted from personal_data in one transaction; then
every snapshot is replaced by one taken after the deletion — an older snapshot may hold the
name of a dossier that was still open when it was taken — and the store's files are scrubbed
(`scrub`: the SQLite write-ahead log truncated, PostgreSQL vacuumed). After that no byte of the
data remains in the journal, the read models (which never held it) or the snapshots, and a
replay decodes those events with the fields empty. Statistics do not change: nothing derived
from the journal reads a name or a phone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from .components import build_engine
from .config import HallConfig
from .journal import Journal
from .personal import expired, forget, kind_of, scrub
from .snapshots import delete_all_but, snapshot_now

log = logging.getLogger("hall.retention")


@dataclass(frozen=True)
class RetentionReport:
    as_of: dt.date
    due: dict[str, int]  # kind -> records whose period is over
    deleted: int  # 0 in a dry run
    snapshot_seq: int | None  # the snapshot that replaced the others, if any

    def summary(self) -> str:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(self.due.items())) or "none"
        return f"personal data due on {self.as_of.isoformat()}: {kinds}; deleted {self.deleted}"


def count_kinds(refs: list[str]) -> dict[str, int]:
    due: dict[str, int] = {}
    for ref in refs:
        due[kind_of(ref)] = due.get(kind_of(ref), 0) + 1
    return due


def delete_expired(journal: Journal, config: HallConfig, as_of: dt.date, dry_run: bool = False) -> tuple[dict[str, int], int]:
    """Delete the personal data whose period is over on `as_of`; (what was due by kind, deleted)."""
    with journal.engine.begin() as conn:
        refs = expired(conn, config, as_of)
        deleted = 0 if dry_run else forget(conn, config.id, refs)
    return count_kinds(refs), deleted


def run_retention(journal: Journal, config: HallConfig, as_of: dt.date, *, dry_run: bool = False,
                  vacuum: bool = True) -> RetentionReport:
    """`hall retention`: delete what is due, replace the snapshots, scrub the files."""
    due, deleted = delete_expired(journal, config, as_of, dry_run)
    snapshot = None
    if deleted:
        _restored, snapshot = snapshot_now(build_engine(config), journal)
        delete_all_but(journal.engine, config.id, snapshot)
        scrub(journal.engine, vacuum)
    report = RetentionReport(as_of, due, deleted, snapshot)
    log.info("%s", report.summary())
    return report
