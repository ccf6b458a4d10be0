"""The pytest fixtures every test can use (registered by tests/conftest.py).

- `hall_server` / `client`: the default hall served for real on an ephemeral port, and an HTTP
  client on it. The store is `hall_db`: SQLite unless a test asks for both backends with
  `@pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)`.
- `store_url`: a fresh, empty store on each backend (every test that takes it runs twice).
- `postgres_url`: the run's throwaway PostgreSQL database.
- `printer`: a simulated ESC/POS network printer on an ephemeral port.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
import trio

from api.server import HallServer
from hall.config import HallConfig, load_hall
from simulators.escpos_printer import SimulatedPrinter
from support.servers import served_hall
from support.stores import create_database, drop_database, new_schema, sqlite_url
from support.waits import WAIT


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
    url = create_database()
    yield url
    drop_database(url)


def _store(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    if backend == "sqlite":
        return sqlite_url(folder)
    return new_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each backend."""
    return _store(request.param, request, tmp_path)


@pytest.fixture
def hall_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store of `hall_server`: SQLite, or the backend a test parametrises it with (indirect)."""
    return _store(getattr(request, "param", "sqlite"), request, tmp_path)


@pytest.fixture
async def served(hall_db: str) -> AsyncIterator[tuple[HallServer, httpx.AsyncClient]]:
    async with served_hall(hall_db) as pair:
        yield pair


@pytest.fixture
def hall_server(served: tuple[HallServer, httpx.AsyncClient]) -> HallServer:
    """The default hall served for real on an ephemeral loopback port."""
    return served[0]


@pytest.fixture
def client(served: tuple[HallServer, httpx.AsyncClient]) -> httpx.AsyncClient:
    """An HTTP client on `hall_server` (every request bounded by a timeout)."""
    return served[1]


class ServedPrinter(NamedTuple):
    sim: SimulatedPrinter
    port: int

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


@pytest.fixture
async def printer(nursery: trio.Nursery, tmp_path: Path) -> ServedPrinter:
    """A simulated ESC/POS printer listening on 127.0.0.1; its receipts go to tmp_path/paper."""
    sim = SimulatedPrinter(tmp_path / "paper")
    with trio.fail_after(WAIT):
        port = await nursery.start(sim.serve, 0)
    return ServedPrinter(sim, port)
