"""Retention: when a citizen's name and phone have been kept long enough, no byte of them remains
in the store — journal, read models, snapshots; the SQLite file and its write-ahead log, or a
`pg_dump` — while every statistic stays the same and replay never brings them back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import trio
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from api.runtime import HallRuntime
from hall import commands as c
from hall.components import build_engine
from hall.config import Retention, load_hall
from hall.dossiers import ChangeDossierStatus, DossierBook, ReceiveDossier, ReturnDossier
from hall.events import DossierReceived
from hall.journal import Journal
from hall.schema import PersonalRow, SnapshotRow
from hall.snapshots import restore_latest, save_engine
from hall.stats import TABLES, StatsProjection
from support.clock import ManualClock, local
from support.halls import small_hall
from support.release1 import release1_store
from support.stores import BACKENDS
from support.waits import WAIT

# the first release's dossiers (tests/fixtures/release1.db): returned and refused on 2027-03-01,
# and one still open (late, with an apology letter) whose phone must stay
RELEASE1_GONE = ("Nguyễn Thị Hồng", "0905 123 456", "Trần Văn An")
RELEASE1_KEPT = "0912345678"
PAST_THE_PERIOD = "2029-03-01"  # 2027-03-01 + 730 days is 2029-02-28: the last day they are kept


@pytest.fixture(params=BACKENDS)
def release1_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return release1_store(request.param, request, tmp_path)


def store_bytes(url: str) -> bytes:
    """Every byte of the store: the SQLite file and its -wal (and -shm), or a plain `pg_dump`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())
    schema = unquote(str(parsed.query["options"])).split("search_path=")[1]
    done = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-n", schema, parsed.database or ""],
                          capture_output=True, timeout=120, check=True)
    return done.stdout


def stat_rows(journal: Journal) -> dict[str, list[dict[str, Any]]]:
    with journal.engine.connect() as conn:
        return {name: [dict(r) for r in conn.execute(t.select().order_by(*t.primary_key.columns)).mappings()]
                for name, t in TABLES.items()}


def hall_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120)


def test_the_first_release_names_leave_every_byte_of_the_store_and_statistics_stay(release1_db):
    config = load_hall()
    journal = Journal(release1_db, [StatsProjection(config)])  # upgraded: names moved out of the events
    events = list(journal.load(config.id))
    while_open = build_engine(config)
    for event in events[:20]:  # Mrs Hồng's dossier is open at seq 20: a snapshot holds her name
        while_open.apply(event)
    save_engine(journal.engine, while_open)
    before = stat_rows(journal)
    assert all(name.encode() in store_bytes(release1_db) for name in (*RELEASE1_GONE, RELEASE1_KEPT))

    dry = hall_command("retention", "--db", release1_db, "--as-of", PAST_THE_PERIOD, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == f"personal data due on {PAST_THE_PERIOD}: 2 dossier; deleted 0 (dry run: nothing deleted)"
    assert all(name.encode() in store_bytes(release1_db) for name in RELEASE1_GONE)
    early = hall_command("retention", "--db", release1_db, "--as-of", "2029-02-28")
    assert early.stdout.strip() == "personal data due on 2029-02-28: none; deleted 0"

    done = hall_command("retention", "--db", release1_db, "--as-of", PAST_THE_PERIOD)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"personal data due on {PAST_THE_PERIOD}: 2 dossier; deleted 2"
    everything = store_bytes(release1_db)
    for gone in RELEASE1_GONE:
        assert gone.encode() not in everything, gone
    assert RELEASE1_KEPT.encode() in everything  # the open dossier keeps its citizen's phone
    assert stat_rows(journal) == before

    replayed = list(journal.load(config.id))  # the events are all there, the names are not
    assert [e.seq for e in replayed] == [e.seq for e in events]
    received = {e.payload.code: e.payload for e in replayed if isinstance(e.payload, DossierReceived)}
    assert {code: (p.citizen_name, p.citizen_phone) for code, p in received.items()} == {
        "CA-270301-0001": (None, None), "CA-270301-0002": (None, None), "CT-270301-0001": (None, RELEASE1_KEPT)}
    engine = build_engine(config)
    restored = restore_latest(engine, journal)
    assert restored.snapshot_seq == len(events) and restored.replayed == 0  # the old snapshots are gone
    assert engine.component(DossierBook).open["CT-270301-0001"].citizen_phone == RELEASE1_KEPT
    with journal.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SnapshotRow)).scalar_one() == 1
    journal.close()


async def test_the_server_forgets_expired_names_when_a_day_opens(store_url, nursery):
    hall = dataclasses.replace(small_hall(any_hour=True), retention=Retention(personal_data_days=1, contact_days=1))
    clock = ManualClock(local("2027-03-01 08:00"))
    runtime = HallRuntime(build_engine(hall), Journal(store_url, [StatsProjection(hall)]), clock)
    await nursery.start(runtime.run)

    async def visit(ticket: str, service: str, cabin: int, officer: str, *then: c.Command) -> None:
        clock.advance(60)
        await runtime.execute(c.IssueTicket(ticket, service))
        if runtime.engine.state.cabins[cabin].state == "closed":
            await runtime.execute(c.OpenCabin(cabin, officer))
        await runtime.execute(c.CallTicket(cabin, ticket))
        for command in then:
            await runtime.execute(command)
        await runtime.execute(c.FinishService(cabin))

    await visit("t1", "CA-TN", 2, "canbo02", ReceiveDossier(2, "CA-01", "Lê Thị Gone", "0900111222"))
    await visit("t2", "CA-TN", 2, "canbo02", ReceiveDossier(2, "CA-01", "Phạm Văn Kept", "0900333444"))
    await runtime.snapshot()  # both dossiers open: this snapshot holds both names
    gone = next(code for code, d in runtime.engine.component(DossierBook).open.items() if d.citizen_name == "Lê Thị Gone")
    for status in ("processing", "ready"):
        await runtime.execute(ChangeDossierStatus(gone, status, actor="canbo02"))
    await visit("t3", "TKQ", 3, "canbo03", ReturnDossier(3, gone))
    await runtime.execute(c.CloseDay(actor="quanly"))
    before = stat_rows(runtime.journal)

    for day, deleted in (("2027-03-02 08:00", False), ("2027-03-03 08:00", True)):  # kept one day after its return
        runs = runtime.retention_runs
        clock.set(day)
        await runtime.execute(c.IssueTicket(f"on-{day}", "TP-TN"))  # the day opens: retention runs
        with trio.fail_after(WAIT):
            while runtime.retention_runs == runs:
                await trio.sleep(0.01)
        assert (b"L\xc3\xaa Th\xe1\xbb\x8b Gone" in store_bytes(store_url)) is not deleted
    everything = store_bytes(store_url)
    assert b"0900111222" not in everything
    assert "Phạm Văn Kept".encode() in everything and b"0900333444" in everything
    first_day = {name: [r for r in rows if r["day"] == "2027-03-01"] for name, rows in stat_rows(runtime.journal).items()}
    assert first_day == before and before["dossiers"] and before["day_summary"]  # the next days added theirs only
    with runtime.journal.engine.connect() as conn:
        refs = list(conn.execute(select(PersonalRow.ref)).scalars())
        assert refs == [f"dossier:{code}" for code in runtime.engine.component(DossierBook).open]
        assert conn.execute(select(func.count()).select_from(SnapshotRow)).scalar_one() == 1
    restarted = HallRuntime(build_engine(hall), Journal(store_url), clock)
    assert restarted.engine.component(DossierBook).open == runtime.engine.component(DossierBook).open


def test_retention_periods_come_from_the_hall_file(tmp_path):
    path = tmp_path / "hall.toml"
    path.write_text((Path(__file__).parent.parent / "hall" / "default_hall.toml").read_text("utf-8")
                    + "\n[retention]\npersonal_data_days = 365\ncontact_days = 0\n", "utf-8")
    assert load_hall(path).retention == Retention(365, 0)
    assert load_hall().retention == Retention(730, 1)
    path.write_text(path.read_text("utf-8").replace("contact_days = 0", "contact_days = -1"), "utf-8")
    refused = hall_command("check-config", str(path))
    assert refused.returncode == 2 and "retention.contact_days: expected a number of days, 0 or more, got -1" in refused.stderr


def test_hall_retention_works_on_a_hall_directory(tmp_path):
    made = hall_command("init", str(tmp_path / "hall"))
    assert made.returncode == 0, made.stderr
    done = hall_command("retention", "--data", str(tmp_path / "hall"), "--as-of", "2031-01-02")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "personal data due on 2031-01-02: none; deleted 0"
    assert (tmp_path / "hall" / "hall.db").stat().st_mode & 0o777 == 0o600
    both = hall_command("retention", "--data", str(tmp_path / "hall"), "--db", "sqlite:///x.db")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
