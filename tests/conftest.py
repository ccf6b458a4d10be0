"""Shared fixtures: a real hall server on an ephemeral port, real stores, real clients.

`hall_server` starts the real application (hypercorn, quart-trio, the journal writer thread)
inside the test's trio run on 127.0.0.1:0 with a fresh SQLite file. `store_url` gives a
throwaway store on SQLite and on PostgreSQL (127.0.0.1:5432, a database per test run); set
HALL_REQUIRE_POSTGRES=1 (as .ci/run does) to make an unreachable PostgreSQL a failure
instead of a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from functools import partial

import httpx
import pytest
import trio

from api.server import HallServer, ServeOptions, run_hall
from hall.config import HallConfig, load_hall

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session", autouse=True)
def voice_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Announcement audio made by tests goes to a temporary folder, not the checkout's var/."""
    os.environ.setdefault("HALL_VOICE_DIR", str(tmp_path_factory.mktemp("voice")))


@pytest.fixture(scope="session")
def default_hall() -> HallConfig:
    return load_hall()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test run, dropped at the end."""
    from sqlalchemy import create_engine, text

    name = f"hall_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means "not here"
        if os.environ.get("HALL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required here but unreachable: {exc}")
        pytest.skip(f"no PostgreSQL reachable at 127.0.0.1:5432 ({type(exc).__name__})")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty store on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    from sqlalchemy import create_engine, text

    base = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    yield f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture
async def hall_server(nursery: trio.Nursery, tmp_path) -> AsyncIterator[HallServer]:
    """The default hall served for real on an ephemeral loopback port."""
    options = ServeOptions(db=f"sqlite:///{tmp_path / 'hall.db'}", port=0)
    server = await nursery.start(partial(run_hall, options, shutdown_trigger=trio.sleep_forever))
    yield server


@pytest.fixture
async def client(hall_server: HallServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hall_server.url, timeout=30) as http:
        yield http


async def login(http: httpx.AsyncClient, username: str, password: str = "demo") -> dict[str, str]:
    """Sign in and return the Authorization header."""
    answer = await http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}
