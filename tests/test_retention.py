"""Retention: when a citizen's name and phone have been kept long enough, no byte of them remains
in the store — journal, read models, snapshots; the SQLite file and its write-ahead log, or a
`pg_dump` — while every statistic stays the same and replay never brings them back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx

import pytest
import trio
from sqlalchemy import delete, func, select, update
from sqlalchemy import text as text_sql
from sqlalchemy.engine import make_url

from api.runtime import HallRuntime
from hall import commands as c
from hall.components import build_engine
from hall.config import Retention, load_hall
from hall.dossiers import ChangeDossierStatus, DossierBook, ReceiveDossier, ReturnDossier
from hall.appointments import BookAppointment, CheckIn
from hall.events import AppointmentBooked, AppointmentCheckedIn, DayClosed, DossierReceived, TicketFinished, TicketIssued
from hall.journal import Journal
from hall.retention import run_retention
from hall.schema import EventRow, PersonalRow, SnapshotRow
from hall.snapshots import restore_latest, save_engine
from hall.stats import TABLES, StatsProjection
from support.clock import ManualClock, local
from support.halls import hall_file_with, small_hall
from support.release1 import release1_store
from support.servers import login, served_hall
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
        clock.set(day)
        await runtime.execute(c.IssueTicket(f"on-{day}", "TP-TN"))  # the day opens: retention runs
        await retention_run_of(runtime, day)
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


async def retention_run_of(runtime: HallRuntime, day: str) -> None:
    """Wait for the server's retention run of a day ('YYYY-MM-DD …'): a run of an earlier day
    may still be finishing when the next day opens."""
    with trio.fail_after(WAIT):
        while runtime.retained_as_of != dt.date.fromisoformat(day[:10]):
            await trio.sleep(0.01)


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


# ---- contacts: phones of web tickets, phones and names of bookings (issue 13's online services) ----

HALL_ID = "qnam"  # the shipped default hall file's
CONTACT_HALL = """
[notify]
log = true

[retention]
contact_days = 1
"""


@dataclass(frozen=True)
class Citizen:
    phone: str
    name: str | None  # a web ticket takes no name

    @property
    def secrets(self) -> tuple[bytes, ...]:
        return tuple(s.encode() for s in (self.phone, self.name) if s)


def citizens(count: int, rng: random.Random, named: bool = True) -> list[Citizen]:
    """Mobile numbers and names no other test writes, so finding their bytes means they were kept."""
    letters = "ABCDEGHKLMNPQRSTUVXY"
    return [Citizen(f"09{rng.randrange(10**8):08d}", f"Nguyễn Thị {''.join(rng.choices(letters, k=10))}" if named else None)
            for _ in range(count)]


def leftovers(url: str, people: list[Citizen]) -> list[str]:
    """What of these citizens' phones and names is still anywhere in the store's bytes."""
    everything = store_bytes(url)
    return [secret.decode() for person in people for secret in person.secrets if secret in everything]


async def booked(http: httpx.AsyncClient, person: Citizen, day: str, start: str) -> str:
    answer = await http.post("/api/v1/appointments", json={"service": "CA-TN", "date": day, "start": start,
                                                           "phone": person.phone, "name": person.name})
    assert answer.status_code == 201, answer.text
    return answer.json()["code"]


async def serve_next(http: httpx.AsyncClient, officer: dict[str, str], number: str) -> None:
    called = await http.post("/api/v1/cabins/33/call-next", headers=officer)
    assert called.status_code == 200 and called.json()["ticket"]["number"] == number, called.text
    assert (await http.post("/api/v1/cabins/33/finish", headers=officer)).status_code == 200


async def all_notified(http: httpx.AsyncClient, manager: dict[str, str]) -> int:
    """Wait until the outbox has nothing pending; how many rows it holds."""
    with trio.fail_after(WAIT):
        while (counts := (await http.get("/api/v1/notifications", headers=manager)).json()["counts"])["pending"]:
            await trio.sleep(0.05)
    return counts["delivered"] + counts["failed"]


@pytest.mark.parametrize("hall_db", BACKENDS, indirect=True)
async def test_no_byte_of_a_web_ticket_or_booking_contact_outlives_its_visit(hall_db, tmp_path: Path):
    """The attacker's view: web tickets and bookings with generated phones and names, served,
    notified, snapshotted; after `contact_days` following each visit, none of those bytes is in
    the SQLite file (with its -wal) or the `pg_dump` — a booking made 14 days ahead keeps its
    phone and name until its visit — and the statistics, replayed again, are the same."""
    rng = random.Random()
    web, (today, later, cancelled) = citizens(3, rng, named=False), citizens(3, rng)
    config = hall_file_with(tmp_path, CONTACT_HALL)
    clock = ManualClock()
    async with served_hall(hall_db, clock, config=config) as (server, http):
        tickets = []
        for person in web:
            answer = await http.post("/api/v1/tickets", json={"service": "CA-TN", "channel": "web", "phone": person.phone})
            assert answer.status_code == 201, answer.text
            tickets.append(answer.json()["number"])
        today_code = await booked(http, today, "2027-03-01", "09:10")
        later_code = await booked(http, later, "2027-03-15", "08:10")  # 14 days ahead
        cancelled_code = await booked(http, cancelled, "2027-03-02", "08:10")
        cancel = await http.post(f"/api/v1/appointments/{cancelled_code}/cancel", json={"phone": cancelled.phone})
        assert cancel.status_code == 200, cancel.text
        officer, manager = await login(http, "canbo33"), await login(http, "quanly")
        assert (await http.post("/api/v1/cabins/33/open", headers=officer)).status_code == 200
        for number in tickets[:2]:  # the third web ticket still waits when the day closes
            await serve_next(http, officer, number)
        clock.set("2027-03-01 08:45")
        checked_in = await http.post(f"/api/v1/appointments/{today_code}/check-in")
        assert checked_in.status_code == 201, checked_in.text
        clock.set("2027-03-01 09:10")
        await serve_next(http, officer, checked_in.json()["number"])
        assert await all_notified(http, manager) > 0  # near and called: bodies with the phones
        assert (await http.post("/api/v1/day/close", headers=manager)).status_code == 200
        await server.runtime.snapshot()  # the engine's state holds the day's phones and the bookings
        everyone = [*web, today, later, cancelled]
        assert leftovers(hall_db, everyone) == [s.decode() for p in everyone for s in p.secrets]  # the test can fail

        clock.set("2027-03-10 08:00")  # a command rolls the day (the open itself is then refused): retention runs
        await http.post("/api/v1/day/open", headers=await login(http, "quanly"))
        assert server.runtime.engine.state.day == "2027-03-10" and server.runtime.engine.state.day_open
        await retention_run_of(server.runtime, "2027-03-10")
        assert leftovers(hall_db, [*web, today, cancelled]) == []
        assert leftovers(hall_db, [later]) == [later.phone, later.name]  # its visit has not come yet
        assert (await http.get(f"/api/v1/appointments/{later_code}")).json()["phone"] == "*******" + later.phone[-3:]

        clock.set("2027-03-15 07:45")
        checked_in = await http.post(f"/api/v1/appointments/{later_code}/check-in")
        assert checked_in.status_code == 201, checked_in.text
        officer, manager = await login(http, "canbo33"), await login(http, "quanly")  # days later: signed in again
        assert (await http.post("/api/v1/cabins/33/open", headers=officer)).status_code == 200
        clock.set("2027-03-15 08:10")
        await serve_next(http, officer, checked_in.json()["number"])
        await all_notified(http, manager)
        assert (await http.post("/api/v1/day/close", headers=manager)).status_code == 200

    journal = Journal(hall_db)
    before, events = stat_rows(journal), list(journal.load(HALL_ID))
    early = hall_command("retention", "--db", hall_db, "--config", config, "--as-of", "2027-03-16")
    assert early.returncode == 0 and leftovers(hall_db, [later]) == [later.phone, later.name], early.stderr
    done = hall_command("retention", "--db", hall_db, "--config", config, "--as-of", "2027-03-17")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("personal data due on 2027-03-17: 2 contact; deleted 2"), done.stdout
    assert leftovers(hall_db, everyone) == []
    assert stat_rows(journal) == before and before["day_summary"]
    rebuilt = hall_command("rebuild-stats", "--db", hall_db, "--config", config, "--all")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert stat_rows(journal) == before  # replayed from the journal without the contacts: the same figures
    replayed = list(journal.load(HALL_ID))
    assert [(e.seq, e.type) for e in replayed] == [(e.seq, e.type) for e in events]
    online = [e.payload for e in replayed if isinstance(e.payload, TicketIssued) and e.payload.channel in ("web", "appointment")]
    assert [p.phone for p in online] == [None] * 5  # three web tickets, two checked-in bookings
    assert {(e.payload.phone, e.payload.name) for e in replayed if isinstance(e.payload, AppointmentBooked)} == {(None, None)}
    engine = build_engine(load_hall(config))
    restored = restore_latest(engine, journal)
    assert restored.snapshot_seq == events[-1].seq and restored.replayed == 0  # retention's snapshot decodes
    assert engine.personal_refs() == set()
    journal.close()


async def test_contacts_the_online_services_wrote_into_events_are_moved_out_by_the_upgrade(store_url, nursery):
    """Issue 13 first wrote phones and names inline in `ticket_issued` and `appointment_booked`:
    such a store (made here by putting them back and marking it at schema 0006) is upgraded by
    0007, which moves them to personal_data with the moment each visit ended; every event still
    decodes to what it was, and retention can then delete them."""
    config = load_hall()
    clock = ManualClock(local("2027-03-01 08:00"))
    runtime = HallRuntime(build_engine(config), Journal(store_url, [StatsProjection(config)]), clock)
    await nursery.start(runtime.run)
    for command in (c.IssueTicket("served", "CA-TN", channel="web", phone="0911000111"),
                    c.IssueTicket("waiting", "CA-TN", channel="web", phone="0911000222"),
                    BookAppointment("TODAY001", "CA-TN", dt.date(2027, 3, 1), "09:10", "0911000333", "Lê Văn Hôm"),
                    BookAppointment("LATER001", "CA-TN", dt.date(2027, 3, 15), "08:10", "0911000444", "Lê Văn Sau"),
                    c.OpenCabin(33, "canbo33"), c.CallTicket(33, "served"), c.FinishService(33)):
        await runtime.execute(command)
    clock.set("2027-03-01 08:50")
    await runtime.execute(CheckIn("TODAY001", "checked"))
    await runtime.execute(c.CloseDay(actor="quanly"))
    written = list(runtime.journal.load(config.id))
    ends = {e.payload.ticket_id or "": e.at for e in written if isinstance(e.payload, (TicketFinished, AppointmentCheckedIn))}
    day_closed = next(e.at for e in written if isinstance(e.payload, DayClosed))
    inline_contacts(runtime.journal)
    assert b"0911000444" in store_bytes(store_url) and b"L\xc3\xaa V\xc4\x83n Sau" in store_bytes(store_url)

    upgraded = Journal(store_url)
    assert list(upgraded.load(config.id)) == written
    with upgraded.engine.connect() as conn:
        rows = {r.ref: r.closed_at for r in conn.execute(select(PersonalRow.ref, PersonalRow.closed_at))}
        inline = [d for (d,) in conn.execute(select(EventRow.data).where(EventRow.type.in_(("ticket_issued", "appointment_booked"))))]
    assert rows == {"contact:ticket:served": ends["served"], "contact:ticket:waiting": day_closed,
                    "contact:ticket:checked": day_closed, "contact:booking:TODAY001": ends["checked"],
                    "contact:booking:LATER001": None}
    assert not [d for d in inline if "0911000" in d or "Lê Văn" in d]
    report = run_retention(upgraded, config, dt.date(2027, 3, 3))
    assert report.due == {"contact": 4} and report.deleted == 4
    assert b"0911000111" not in store_bytes(store_url) and b"0911000444" in store_bytes(store_url)
    upgraded.close()


def inline_contacts(journal: Journal) -> None:
    """Make the store as the online services first wrote it: contacts inside the events' JSON,
    no contact rows in personal_data, the schema at 0006."""
    with journal.engine.begin() as conn:
        kept = {r.ref: json.loads(r.data) for r in conn.execute(select(PersonalRow.ref, PersonalRow.data))}
        for hall, seq, data, ref in conn.execute(select(EventRow.hall, EventRow.seq, EventRow.data, EventRow.personal)
                                                 .where(EventRow.personal.like("contact:%"))).all():
            text = json.dumps({**json.loads(data), **kept[ref]}, ensure_ascii=False, separators=(",", ":"))
            conn.execute(update(EventRow).where(EventRow.hall == hall, EventRow.seq == seq).values(data=text, personal=None))
        conn.execute(delete(PersonalRow).where(PersonalRow.kind == "contact"))
        conn.execute(text_sql("UPDATE alembic_version SET version_num = '0006'"))
    journal.close()
