"""Snapshots: a hall restored from a snapshot and the events after it is the hall a full replay
builds; a snapshot this release cannot use is ignored with a log line; the server saves one when
a day closes and starts from it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import logging
from pathlib import Path

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from api.runtime import HallRuntime
from hall import commands as c
from hall.components import build_engine
from hall.config import HallConfig, load_hall
from hall.dossiers import DossierBook
from hall.engine import Engine
from hall.events import Event
from hall.journal import Journal
from hall.snapshots import FORMAT, SnapshotRow, capture, put_back, restore_latest, save, save_engine
from hall.stats import StatsProjection
from simulators.history import History
from support.clock import ManualClock, local
from support.halls import small_hall, state_digest
from support.waits import WAIT

HISTORY_DAYS = (dt.date(2027, 3, 1), dt.date(2027, 3, 2), dt.date(2027, 3, 3))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[HallConfig, list[Event]]:
    """Three working days of the default hall (tickets, transfers, pauses, ratings, dossiers and
    their returns), made by the real engine."""
    config = load_hall()
    journal = Journal(f"sqlite:///{tmp_path_factory.mktemp('history') / 'h.db'}", [StatsProjection(config)])
    generator = History(config, journal, seed=7, visits_per_day=150)
    for day in HISTORY_DAYS:
        generator.run_day(day)
    events = list(journal.load(config.id))
    journal.close()
    return config, events


def replayed(config: HallConfig, events: list[Event]) -> Engine:
    engine = build_engine(config)
    for event in events:
        engine.apply(event)
    return engine


def from_snapshot(config: HallConfig, data: bytes, tail: list[Event]) -> Engine:
    engine = build_engine(config)
    put_back(engine, data)
    for event in tail:
        engine.apply(event)
    return engine


@settings(max_examples=25)
@given(cuts=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=3))
def test_a_snapshot_and_the_events_after_it_give_the_state_of_a_full_replay(history, cuts):
    config, events = history
    full = replayed(config, events)
    # snapshots taken one after another, each from a hall that was itself restored from the last
    engine, at = build_engine(config), 0
    for cut in sorted(cuts):
        upto = round(cut * len(events))
        for event in events[at:upto]:
            engine.apply(event)
        engine, at = from_snapshot(config, capture(engine), []), upto
    for event in events[at:]:
        engine.apply(event)
    assert state_digest(engine) == state_digest(full)
    assert capture(engine) == capture(full)  # the same bytes: dicts keep the order replay gave them


def test_the_history_has_what_a_snapshot_must_carry(history):
    """The property above means something only if the history has open dossiers, ratings of
    the day, tickets of two days and waiting queues part-way through."""
    from hall.ratings import RatingBook

    config, events = history
    midday = replayed(config, events[: len(events) * 5 // 6])
    assert midday.component(DossierBook).open and midday.component(DossierBook).closed
    assert midday.component(RatingBook).rated
    assert len({t.day for t in midday.state.tickets.values()}) == 2
    assert any(len(q) for q in midday.state.waiting.values())


def test_start_up_loads_the_latest_snapshot_and_replays_only_after_it(tmp_path, history):
    config, events = history
    journal = Journal(f"sqlite:///{tmp_path / 'h.db'}")
    journal.append(config.id, events[:2000])
    early = save_engine(journal.engine, replayed(config, events[:1000]))
    latest = save_engine(journal.engine, replayed(config, events[:2000]))
    journal.append(config.id, events[2000:])
    engine = build_engine(config)
    restored = restore_latest(engine, journal)
    assert (early, latest) == (1000, 2000)
    assert restored.snapshot_seq == 2000 and restored.replayed == len(events) - 2000
    assert capture(engine) == capture(replayed(config, events))
    journal.close()


@pytest.mark.parametrize("spoil", ["newer format", "other hall file", "damaged"])
def test_a_snapshot_this_release_cannot_use_is_ignored_with_a_log_line(tmp_path, history, caplog, spoil):
    config, events = history
    journal = Journal(f"sqlite:///{tmp_path / 'h.db'}")
    journal.append(config.id, events)
    save_engine(journal.engine, replayed(config, events[:1500]))
    table = SnapshotRow.__table__
    change = {"newer format": {"format": FORMAT + 1}, "other hall file": {"fingerprint": "0" * 64},
              "damaged": {"data": b"\x93not a snapshot"}}[spoil]
    with journal.engine.begin() as conn:
        conn.execute(update(table).values(**change))
    engine = build_engine(config)
    with caplog.at_level(logging.WARNING, logger="hall.snapshots"):
        restored = restore_latest(engine, journal)
    assert restored == type(restored)(0, len(events))
    assert "snapshot of hall qnam at seq 1500 ignored" in caplog.text
    assert capture(engine) == capture(replayed(config, events))
    journal.close()


def test_an_older_snapshot_is_used_when_the_newest_cannot_be(tmp_path, history):
    config, events = history
    journal = Journal(f"sqlite:///{tmp_path / 'h.db'}")
    journal.append(config.id, events)
    save_engine(journal.engine, replayed(config, events[:1000]))
    save(journal.engine, config, 2000, b"damaged")
    restored = restore_latest(build_engine(config), journal)
    assert restored.snapshot_seq == 1000
    journal.close()


async def test_the_server_saves_a_snapshot_when_the_day_closes_and_starts_from_it(store_url, nursery):
    hall, clock = small_hall(any_hour=True), ManualClock(local("2027-03-01 08:00"))
    runtime = HallRuntime(build_engine(hall), Journal(store_url), clock)
    await nursery.start(runtime.run)
    for n in range(5):
        clock.advance(60)
        await runtime.execute(c.IssueTicket(f"t{n}", "CA-TN"))
    await runtime.execute(c.OpenCabin(2, "canbo02"))
    await runtime.execute(c.CallNext(2))
    clock.advance(3600)
    await runtime.execute(c.CloseDay(actor="quanly"))
    closed_at = runtime.engine.state.seq
    with trio.fail_after(WAIT):
        while runtime.snapshots_saved == 0:  # saved by the runtime's own task, right after the close
            await trio.sleep(0.01)
    clock.set("2027-03-02 08:00")
    await runtime.execute(c.IssueTicket("next-day", "TP-TN"))  # the day rolls, then a ticket
    restarted = HallRuntime(build_engine(hall), Journal(store_url), clock)
    assert restarted.snapshot_seq == closed_at
    assert restarted.replayed == runtime.engine.state.seq - closed_at == 2  # the next day opened, its ticket
    assert state_digest(restarted.engine) == state_digest(runtime.engine)


def test_hall_snapshot_saves_one_that_start_up_uses(tmp_path, history):
    config, events = history
    db = f"sqlite:///{tmp_path / 'h.db'}"
    journal = Journal(db)
    journal.append(config.id, events)
    journal.close()
    done = subprocess.run([sys.executable, "-m", "api.cli", "snapshot", "--db", db], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"snapshot of hall qnam at seq {len(events)}" in done.stdout
    journal = Journal(db)
    engine = build_engine(config)
    assert restore_latest(engine, journal) == type(restore_latest(build_engine(config), journal))(len(events), 0)
    assert capture(engine) == capture(replayed(config, events))
    journal.close()
    refused = subprocess.run([sys.executable, "-m", "api.cli", "snapshot"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "one of the arguments --data --db is required" in refused.stderr


def test_finished_dossiers_are_remembered_for_a_quarter_so_the_state_does_not_grow():
    """A snapshot is the state: if the state grew with the years, so would start-up."""
    from hall.dossiers import CLOSED_KEEP_DAYS
    from hall.events import DossierReceived, DossierStatusChanged

    engine = build_engine(load_hall())
    book = engine.component(DossierBook)
    day, seq = dt.date(2027, 1, 4), 0
    for n in range(200):  # one dossier a day, refused the same day
        stamp = (day + dt.timedelta(days=n)).strftime("%y%m%d")
        code = f"CA-{stamp}-0001"
        received = DossierReceived(code, "CA-HC", "Cấp hộ chiếu", "CA", 8, None, None, "2027-12-31", None,
                                   (day + dt.timedelta(days=n)).isoformat(), f"t{n}", "W001", "CA-TN", 33, "canbo33", None, None)
        for payload in (received, DossierStatusChanged(code, "received", "refused", "thiếu giấy tờ", "CA")):
            seq += 1
            engine.apply(Event(seq, 1_800_000_000.0 + seq, payload))
    assert len(book.closed) == CLOSED_KEEP_DAYS + 1  # the day's own and the quarter before it
    assert min(book.closed) == f"CA-{(day + dt.timedelta(days=199 - CLOSED_KEEP_DAYS)).strftime('%y%m%d')}-0001"
    restored = from_snapshot(engine.config, capture(engine), [])
    assert restored.component(DossierBook).pruned_on == book.pruned_on and restored.component(DossierBook).closed == book.closed
