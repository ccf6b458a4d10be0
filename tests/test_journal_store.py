"""The journal on real stores: SQLite file and PostgreSQL, the same tests on both."""

from __future__ import annotations

import trio
import pytest

from api.runtime import HallRuntime, StoreFailed
from hall import commands as c
from hall.components import build_engine
from hall.estimate import Estimate
from hall.events import DayOpened, Event, TicketIssued
from hall.journal import Journal
from support.clock import ManualClock
from support.halls import small_hall, state_digest
from support.waits import WAIT


def test_events_come_back_in_order_with_their_data(store_url):
    journal = Journal(store_url)
    events = [
        Event(i, 1000.0 + i, TicketIssued(f"t{i}", f"B{i:03d}", i, "TP-TN", None, "kiosk", "2027-03-01", f"kiosk-01:Hồng:{i}",
                                          None, i - 1, Estimate(1.5 * i, i, 2.0 * i)), "kiosk-01")
        for i in range(1, 301)
    ]
    journal.append("qnam", events[:100])
    journal.append("qnam", events[100:])
    journal.append("other-hall", [Event(1, 5.0, DayOpened("2027-03-01"))])
    assert list(journal.load("qnam")) == events
    assert list(journal.load("qnam", after=299)) == events[-1:]
    assert journal.last_seq("qnam") == 300 and journal.last_seq("other-hall") == 1
    journal.close()


def test_a_sequence_number_is_never_written_twice(store_url):
    journal = Journal(store_url)
    journal.append("qnam", [Event(1, 1.0, DayOpened("2027-03-01"))])
    with pytest.raises(Exception):
        journal.append("qnam", [Event(1, 2.0, DayOpened("2027-03-02"))])
    assert [e.payload.day for e in journal.load("qnam")] == ["2027-03-01"]
    journal.close()


async def test_a_restarted_runtime_replays_to_the_same_hall(store_url, nursery):
    hall, clock = small_hall(any_hour=True), ManualClock()
    runtime = HallRuntime(build_engine(hall), Journal(store_url), clock)
    await nursery.start(runtime.run)
    issued: list[list[Event]] = []

    async def issue(ticket: int) -> None:
        clock.advance(1)
        issued.append(await runtime.execute(c.IssueTicket(f"t{ticket}", ["CA-TN", "TP-TN"][ticket % 2])))

    with trio.fail_after(WAIT):
        async with trio.open_nursery() as clients:  # many tickets in flight: group commit batches them
            for ticket in range(10):
                clients.start_soon(issue, ticket)
        visits = [c.OpenCabin(2, "canbo02"), c.CallNext(2), c.StartService(2), c.FinishService(2), c.CallNext(2),
                  c.OpenCabin(1, "canbo01"), c.CallNext(1), c.Transfer(1, service="TKQ"), c.Pause(1, "nghỉ trưa")]
        for command in visits:  # in order: each one needs the one before (a refusal fails the test)
            clock.advance(1)
            await runtime.execute(command)
    assert len(issued) == 10 and all(issued)
    assert runtime.durable_seq == runtime.engine.state.seq
    restarted = HallRuntime(build_engine(hall), Journal(store_url), clock)
    assert restarted.replayed == runtime.engine.state.seq
    assert state_digest(restarted.engine) == state_digest(runtime.engine)
    assert len(restarted.engine.state.tickets) == 10


class BrokenJournal(Journal):
    """A store that fails after a given number of appends (a full disk, a dropped server)."""

    def __init__(self, url: str, fail_after: int) -> None:
        super().__init__(url)
        self.left = fail_after

    def append(self, hall, events, also=(), fence=None):
        if self.left == 0:
            raise OSError("disk full")
        self.left -= 1
        super().append(hall, events, also, fence)


async def test_a_failing_store_stops_the_hall_instead_of_acknowledging(tmp_path, nursery):
    hall, clock = small_hall(any_hour=True), ManualClock()
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    runtime = HallRuntime(build_engine(hall), BrokenJournal(url, fail_after=2), clock)  # the day opening, then one ticket
    await nursery.start(runtime.run)
    with trio.fail_after(WAIT):  # a store that neither succeeds nor fails must not hang the suite
        await runtime.execute(c.IssueTicket("ok", "CA-TN"))
        with pytest.raises(StoreFailed):
            await runtime.execute(c.IssueTicket("lost", "CA-TN"))
        with pytest.raises(StoreFailed, match="disk full"):
            await runtime.execute(c.IssueTicket("refused", "CA-TN"))
    assert "refused" not in runtime.engine.state.tickets  # refused before the engine was touched
    replayed = HallRuntime(build_engine(hall), Journal(url), clock)
    assert "ok" in replayed.engine.state.tickets and "lost" not in replayed.engine.state.tickets
