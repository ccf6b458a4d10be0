"""The first release's store (git 936c4c0) as a test's store, on SQLite or PostgreSQL.

tests/fixtures/release1.db was written by the first release's own code running a scripted day
(tests/fixtures/make_release1_store.py); release1.json is what that release said about it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, text

from hall.journal import open_store
from hall.upgrades import BASELINE, upgrade_store
from support.stores import new_schema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "release1.json").read_text("utf-8"))


def release1_store(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A copy of the first release's store: the fixture file itself on SQLite; on PostgreSQL,
    the same rows loaded into the first release's tables (the baseline migration, with no
    version recorded, as the first release left its stores). Its URL."""
    copy = folder / "release1.db"
    shutil.copy(FIXTURES / "release1.db", copy)
    if backend == "sqlite":
        return f"sqlite:///{copy}"
    url = new_schema(request.getfixturevalue("postgres_url"))
    load_into_release1_tables(f"sqlite:///{copy}", url)
    return url


def load_into_release1_tables(source_url: str, target_url: str) -> None:
    source, target = open_store(source_url), open_store(target_url)
    try:
        upgrade_store(target, to=BASELINE)
        with target.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        tables = MetaData()
        tables.reflect(source)
        with source.connect() as reading, target.begin() as writing:
            for table in tables.sorted_tables:
                rows = [dict(row) for row in reading.execute(table.select()).mappings()]
                if rows:
                    writing.execute(Table(table.name, MetaData(), autoload_with=writing).insert(), rows)
    finally:
        source.dispose()
        target.dispose()
