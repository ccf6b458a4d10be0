"""Backing up a hall's store while it serves, and restoring a backup into an empty store.

A plain copy of a live SQLite file is not a backup: in WAL mode the newest commits live in the
`-wal` file, and a copy taken mid-checkpoint is torn. So:

* SQLite: SQLite's online backup API copies every page in one read transaction — a snapshot of
  the store as of one commit, taken while the writer goes on (WAL readers do not block it). The
  copy is switched out of WAL mode, checked (`PRAGMA quick_check`) and renamed into place.
* PostgreSQL: `pg_dump --format=custom`, which reads one repeatable-read snapshot. Without
  `pg_dump` on the PATH, every table is copied into a SQLite file inside one repeatable-read,
  read-only transaction — the same snapshot guarantee, in the portable format.

Because events and read models are written in one transaction (hall/journal.py), a snapshot
holds whole batches only: the restored hall replays to exactly the state the live hall had at
that commit, and its statistics agree with its events.

`restore` takes a SQLite-format backup into a SQLite file (the backup API again) or into
PostgreSQL (table by table, in one transaction) — which is also how a hall moves from SQLite to
PostgreSQL — and a `pg_dump` backup into PostgreSQL with `pg_restore`. The target must be empty:
a restore never mixes two halls' histories.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.engine import URL, make_url

from . import outbox as _outbox  # noqa: F401 - registers the notifications outbox on `metadata`
from . import stats as _stats  # noqa: F401 - registers the read-model tables on `metadata`
from .journal import create_private_file, open_store
from .schema import EventRow, metadata
from .upgrades import BASELINE, revisions, store_version, upgrade_store

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
CHUNK = 5000  # rows per INSERT when copying tables


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backup(store_url: str, out: Path) -> str:
    """Write a consistent copy of the store to `out` (never overwritten); how it was taken."""
    if out.exists():
        raise BackupError(f"{out} already exists; a backup never overwrites a file")
    url = make_url(store_url)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url, must_exist=True), partial)
            how = "SQLite online backup"
        elif shutil.which("pg_dump"):
            create_private_file(partial)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), _libpq(url)], url)
            how = "pg_dump"
        else:
            create_private_file(partial)
            _copy_tables(url, make_url(f"sqlite:///{partial}"))
            _finish_sqlite(partial)
            how = "table copy in one snapshot (pg_dump is not on the PATH)"
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return how


def restore(backup_file: Path, store_url: str) -> int:
    """Restore a backup into an empty store; the number of events it holds."""
    try:
        with backup_file.open("rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {backup_file}: {exc.strerror}") from None
    url = make_url(store_url)
    _require_empty(url)
    if magic.startswith(PG_DUMP_MAGIC):
        if url.get_backend_name() != "postgresql":
            raise BackupError(f"{backup_file} is a pg_dump backup: restore it into PostgreSQL (--db postgresql+psycopg://…)")
        if not shutil.which("pg_restore"):
            raise BackupError("pg_restore is not on the PATH (Debian: apt install postgresql-client)")
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--dbname", _libpq(url), str(backup_file)], url)
    elif magic == SQLITE_MAGIC:
        if url.get_backend_name() == "sqlite":
            target = _sqlite_file(url, must_exist=False)
            target.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
            _sqlite_backup(backup_file, target)
        else:
            _copy_tables(make_url(f"sqlite:///{backup_file}"), url)
    else:
        raise BackupError(f"{backup_file} is not a backup made by `hall backup` (neither SQLite nor pg_dump)")
    return _count_events(url)


# ---- SQLite -----------------------------------------------------------------------------------


def _sqlite_file(url: URL, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite store has nothing to back up or restore into")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"no store at {path}")
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy `source` into `target` in one read transaction (pages=-1: all at once)."""
    create_private_file(target)
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, timeout=30)  # never creates a store
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    _finish_sqlite(target)


def _finish_sqlite(path: Path) -> None:
    """One self-contained file (no -wal beside it), checked."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        problem = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if problem != "ok":
        raise BackupError(f"the copy in {path} failed SQLite's check: {problem}")


# ---- PostgreSQL and portable copies ---------------------------------------------------------


def _libpq(url: URL) -> str:
    """The URL as libpq reads it (pg_dump, pg_restore); the password goes in PGPASSWORD."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], url: URL) -> None:
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _copy_tables(source: URL, target: URL) -> None:
    """Every hall table from `source` to `target`, read in one repeatable-read snapshot and
    written in one transaction."""
    src, dst = _engine(source), _engine(target)
    try:
        # The target gets the source's schema version, the rows as they are, then the upgrades
        # after it — so a backup of an older release is moved by its data migrations too.
        version = store_version(src) or BASELINE
        if version not in revisions():
            raise BackupError(f"the backup is at schema version {version}, written by a newer release: restore it with that release")
        upgrade_store(dst, to=version)
        options = {"isolation_level": "REPEATABLE READ"} if source.get_backend_name() == "postgresql" else {}
        with src.connect().execution_options(**options) as reading, dst.begin() as writing:
            inspector = inspect(reading)
            present = set(inspector.get_table_names())
            for table in metadata.sorted_tables:
                if table.name not in present:
                    continue
                columns = {c["name"] for c in inspector.get_columns(table.name)}
                rows = reading.execute(select(*[c for c in table.c if c.name in columns])).mappings()
                while chunk := [dict(row) for row in rows.fetchmany(CHUNK)]:
                    writing.execute(insert(table), chunk)
        upgrade_store(dst)
    finally:
        src.dispose()
        dst.dispose()


def _require_empty(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and not _sqlite_file(url, must_exist=False).exists():
        return
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            ours = sorted(set(inspect(conn).get_table_names()) & set(metadata.tables))
    finally:
        engine.dispose()
    if ours:
        raise BackupError(f"the target store is not empty (it has the table {ours[0]!r}); "
                          "restore into a new database or a new hall directory")


def _count_events(url: URL) -> int:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(EventRow)).scalar_one()
    finally:
        engine.dispose()


def _engine(url: URL) -> Engine:
    return open_store(url.render_as_string(hide_password=False))
