"""Backup under load and restore: nothing acknowledged before the backup began is lost, and the
restored store replays to the very state the live hall had at the backup's commit.

On SQLite (`hall backup --data DIR`, SQLite's online backup) and PostgreSQL (`hall backup --db`,
pg_dump), each against `hall serve` running as its own process and taking tickets and calls
from several clients while the backup runs.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from importlib import resources
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hall.backup import BackupError, backup, restore
from hall.components import build_engine
from hall.config import load_hall
from hall.journal import Journal
from hall.schema import metadata
from hall.stats import StatsProjection
from support.halls import state_digest
from simulators.server_process import ServerProcess
from support.stores import create_database, drop_database, sqlite_url
from support.waits import HTTP_TIMEOUT, STEPS
from support.devices import KIOSK

pytestmark = [pytest.mark.slow]
DEFAULT_HALL = resources.files("hall").joinpath("default_hall.toml").read_text("utf-8")


def hall(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=240,
                          cwd=cwd, env={**os.environ, **(env or {})})


def hall_dir(folder: Path) -> Path:
    """A hall directory with the default hall (demo credentials: the tests stay on loopback)."""
    folder.mkdir(parents=True)
    (folder / "hall.toml").write_text(DEFAULT_HALL, "utf-8")
    return folder


class Load:
    """Citizens taking tickets and an officer calling them, on their own threads, until stopped.
    `acknowledged` holds every ticket the server answered 201 for, in the order answered."""

    def __init__(self, url: str) -> None:
        self.url, self.stop = url, threading.Event()
        self.acknowledged: list[dict] = []
        self.threads = [threading.Thread(target=self._citizen, args=(s,)) for s in ("CA-TN", "CT-TN", "BHXH-TN")]
        self.threads.append(threading.Thread(target=self._officer))

    def _citizen(self, service: str) -> None:
        with httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT) as http:
            while not self.stop.is_set():
                answer = http.post("/api/v1/tickets", json={"service": service}, headers=KIOSK)
                if answer.status_code == 201:
                    self.acknowledged.append(answer.json())

    def _officer(self) -> None:
        with httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT) as http:
            token = http.post("/api/v1/auth/login", json={"username": "canbo33", "password": "demo"}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            http.post("/api/v1/cabins/33/open", headers=auth)
            while not self.stop.is_set():
                if http.post("/api/v1/cabins/33/call-next", headers=auth).status_code == 200:
                    http.post("/api/v1/cabins/33/start", headers=auth)
                    http.post("/api/v1/cabins/33/finish", headers=auth)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + STEPS
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.acknowledged) >= count, "the hall did not take tickets under load"

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(HTTP_TIMEOUT)
            assert not thread.is_alive(), "a client never returned"


def back_up_under_load(server: ServerProcess, where: list[str], out: Path, cwd: Path) -> list[dict]:
    """Run `hall backup` while the load goes on; the tickets acknowledged before it started."""
    with Load(server.url) as load:
        load.wait_for(150)
        before = list(load.acknowledged)
        done = hall("backup", *where, str(out), cwd=cwd)
        assert done.returncode == 0, done.stderr
        load.wait_for(len(before) + 50)  # the hall kept taking tickets through the backup
    return before


def check_restored(config_path: Path, source: str, restored: str, scratch: Path) -> int:
    """The restored journal is the source's up to one commit, replays to the same state, and its
    statistics are those the same events give; the last sequence number restored."""
    config = load_hall(config_path)
    copied = Journal(restored)
    events = list(copied.load(config.id))
    last = events[-1].seq
    assert [e.seq for e in events] == list(range(1, last + 1))
    live = Journal(source)
    assert [e for e in live.load(config.id) if e.seq <= last] == events
    replayed_copy, replayed_live = build_engine(config), build_engine(config)
    for event in events:
        replayed_copy.apply(event)
    for event in live.load(config.id):
        if event.seq <= last:
            replayed_live.apply(event)
    assert state_digest(replayed_copy) == state_digest(replayed_live)
    live.close()
    # The read models came in the same snapshot: projecting the same events anew gives them.
    fresh = Journal(sqlite_url(scratch, "reprojected.db"), [StatsProjection(config)])
    fresh.append(config.id, events)
    for table in metadata.sorted_tables:
        if table.name.startswith("stat"):
            with copied.engine.connect() as a, fresh.engine.connect() as b:
                assert sorted(map(tuple, a.execute(select(table)))) == sorted(map(tuple, b.execute(select(table)))), table.name
    copied.close()
    fresh.close()
    return last


def every_ticket_is_there(url: str, tickets: list[dict], replayed: int) -> None:
    with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT) as http:
        assert http.get("/api/v1/health").json()["replayed_events"] == replayed
        for ticket in tickets:
            again = http.get(f"/api/v1/tickets/{ticket['id']}")
            assert again.status_code == 200, f"ticket {ticket['number']}, acknowledged before the backup, is lost"
            assert again.json()["number"] == ticket["number"]


@pytest.mark.timeout(360)
def test_sqlite_backup_under_load_restores_everything_acknowledged_before_it(tmp_path):
    live, copy = hall_dir(tmp_path / "live"), tmp_path / "copy"
    out = tmp_path / "backups" / "hall-backup.db"
    out.parent.mkdir()
    with ServerProcess.hall(tmp_path, "live", data=live) as server:
        before = back_up_under_load(server, ["--data", str(live)], out, tmp_path)
    done = hall("restore", str(out), "--data", str(copy), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE((copy / "hall.db").stat().st_mode) == 0o600  # citizens' data
    shutil.copy(live / "hall.toml", copy / "hall.toml")  # the technician brings the hall file along
    last = check_restored(copy / "hall.toml", sqlite_url(live), sqlite_url(copy), tmp_path)
    with ServerProcess.hall(tmp_path, "copy", data=copy) as restored:
        every_ticket_is_there(restored.url, before, last)

    again = hall("restore", str(out), "--data", str(copy), cwd=tmp_path)
    assert again.returncode == 2 and "not empty" in again.stderr  # never over a hall
    twice = hall("backup", "--data", str(live), str(out), cwd=tmp_path)
    assert twice.returncode == 2 and "already exists" in twice.stderr


@pytest.mark.timeout(360)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not on the PATH")
def test_postgresql_backup_under_load_restores_everything_acknowledged_before_it(tmp_path):
    live, copy = create_database(), create_database()
    try:
        out = tmp_path / "hall.pgdump"
        with ServerProcess.hall(tmp_path, "live", db=live) as server:
            before = back_up_under_load(server, ["--db", live], out, tmp_path)
        assert out.read_bytes().startswith(b"PGDMP")
        done = hall("restore", str(out), "--db", copy, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        (tmp_path / "cfg").mkdir()  # not "hall": `python -m` would import it as the package
        (tmp_path / "cfg" / "hall.toml").write_text(DEFAULT_HALL, "utf-8")
        last = check_restored(tmp_path / "cfg" / "hall.toml", live, copy, tmp_path)
        with ServerProcess.hall(tmp_path, "copy", db=copy) as restored:
            every_ticket_is_there(restored.url, before, last)
    finally:
        drop_database(live)
        drop_database(copy)


@pytest.mark.timeout(240)
def test_without_pg_dump_a_postgresql_hall_is_copied_into_a_portable_file(tmp_path):
    """No pg_dump on the PATH: the tables are copied in one snapshot into a SQLite-format file,
    which restores into SQLite (and back into PostgreSQL: how a hall moves between the two)."""
    live, again = create_database(), create_database()
    try:
        with ServerProcess.hall(tmp_path, "live", db=live) as server, \
                httpx.Client(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
            tickets = [http.post("/api/v1/tickets", json={"service": "CA-TN"}, headers=KIOSK).json() for _ in range(20)]
            out = tmp_path / "portable.db"
            done = hall("backup", "--db", live, str(out), cwd=tmp_path, env={"PATH": str(Path(sys.executable).parent)})
            assert done.returncode == 0 and "pg_dump is not on the PATH" in done.stderr, done.stderr
        assert out.read_bytes().startswith(b"SQLite format 3\x00")
        copy = hall_dir(tmp_path / "copy")
        assert restore(out, sqlite_url(copy)) == restore(out, again) > 20
        (tmp_path / "cfg").mkdir()
        (tmp_path / "cfg" / "hall.toml").write_text(DEFAULT_HALL, "utf-8")
        check_restored(tmp_path / "cfg" / "hall.toml", live, again, tmp_path)
        with ServerProcess.hall(tmp_path, "copy", data=copy) as restored:
            every_ticket_is_there(restored.url, tickets, restored_events(copy))
    finally:
        drop_database(live)
        drop_database(again)


def restored_events(folder: Path) -> int:
    journal = Journal(sqlite_url(folder))
    try:
        return journal.last_seq("qnam")
    finally:
        journal.close()


def test_a_backup_file_must_be_one_and_the_store_must_exist(tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="not a backup made by `hall backup`"):
        restore(not_a_backup, sqlite_url(tmp_path / "x"))
    with pytest.raises(BackupError, match="no store at"):
        backup(sqlite_url(tmp_path / "missing"), tmp_path / "out.db")
    assert not (tmp_path / "missing").exists() and not (tmp_path / "out.db").exists()
