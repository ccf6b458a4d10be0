"""Schema versions: the migrations build exactly the tables the code declares, on SQLite and
PostgreSQL; `hall serve` upgrades an older store at start, logging each step, and refuses a store
written by a newer release."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from hall import snapshots as _snapshots  # noqa: F401 - every table on `metadata`
from hall import stats as _stats  # noqa: F401
from hall.journal import Journal, open_store
from hall.schema import metadata
from hall.upgrades import BASELINE, StoreTooNew, head, revisions, store_version, upgrade_store
from simulators.server_process import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
RELEASE1 = ROOT / "tests" / "fixtures" / "release1.db"


def test_the_migrations_build_exactly_the_tables_of_the_code(store_url):
    store = open_store(store_url)
    try:
        assert upgrade_store(store) == revisions()
        with store.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        assert store_version(store) == head() and upgrade_store(store) == []
    finally:
        store.dispose()


def test_the_history_is_one_line_from_the_first_release(store_url):
    assert revisions()[0] == BASELINE and len(set(revisions())) == len(revisions())
    store = open_store(store_url)
    try:
        assert upgrade_store(store, to=revisions()[1]) == revisions()[:2]
        assert upgrade_store(store) == revisions()[2:]  # from the middle, each step once
    finally:
        store.dispose()


def newer_store(url: str) -> None:
    Journal(url).close()
    store = open_store(url)
    with store.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f999'"))
    store.dispose()


def test_a_store_of_a_newer_release_is_refused(store_url):
    newer_store(store_url)
    with pytest.raises(StoreTooNew, match="schema version f999, which this release does not know"):
        Journal(store_url)


def test_hall_serve_refuses_a_store_of_a_newer_release(tmp_path):
    db = f"sqlite:///{tmp_path / 'newer.db'}"
    newer_store(db)
    done = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--db", db, "--port", "0"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "hall: the store is at schema version f999" in done.stderr and "written by a newer release" in done.stderr


def test_hall_serve_upgrades_the_first_release_store_at_start_logging_each_step(tmp_path):
    copy = tmp_path / "release1.db"
    shutil.copy(RELEASE1, copy)
    with ServerProcess.hall(tmp_path, "upgrade", db=copy):
        pass
    log = (tmp_path / "upgrade.log").read_text()
    assert f"store without a schema version (the first release's): taken as {BASELINE} (" in log
    for revision in revisions()[1:]:
        assert f"store upgraded to schema {revision} (" in log
    assert log.index("store upgraded") < log.index("serving on")
    store = open_store(f"sqlite:///{copy}")
    assert store_version(store) == head()
    store.dispose()
