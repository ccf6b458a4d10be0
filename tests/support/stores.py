"""Throwaway stores: a SQLite file in the test's folder, or a PostgreSQL schema of its own.

PostgreSQL runs at 127.0.0.1:5432 (trust, user postgres). A test run makes one database and
drops it at the end; each test gets a fresh schema in it, named in the URL through
`?options=-csearch_path%3D<schema>`, which both the in-process server and `hall serve --db` accept.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"
BACKENDS = ["sqlite", "postgresql"]


def postgres_required() -> bool:
    """HALL_REQUIRE_POSTGRES=1 (set by .ci/run) turns a missing PostgreSQL into a failure."""
    return os.environ.get("HALL_REQUIRE_POSTGRES") == "1"


def create_database() -> str:
    """A new empty database; its URL. Skips (or fails, when required) without PostgreSQL."""
    name = f"hall_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means "not here"
        if postgres_required():
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required here but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL reachable at 127.0.0.1:5432 ({type(exc).__name__})")
    finally:
        admin.dispose()
    return f"{PG_BASE}/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def new_schema(database_url: str) -> str:
    """A fresh schema in the run's database; the store URL that works inside it."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    finally:
        engine.dispose()
    return f"{database_url}?options=-csearch_path%3D{schema}"


def sqlite_url(folder: Path, name: str = "hall.db") -> str:
    return f"sqlite:///{folder / name}"
