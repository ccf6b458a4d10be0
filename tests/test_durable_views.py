"""Screens see only durable state: a delta is computed from the hall as its own events left it.

The journal's commit of the first ticket is held in its writer thread while a second ticket is
issued; the second ticket's events wait for the next batch. When the first batch is released,
its delta must count one waiting citizen, not two — the second ticket is not durable yet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

import trio

from api.runtime import HallRuntime
from displays import hall_view
from hall import commands as c
from hall.components import build_engine
from hall.events import Event, TicketIssued
from hall.journal import Journal, SideRows
from hall.ownership import Fence
from support.clock import ManualClock
from support.halls import small_hall


class HeldJournal(Journal):
    """A journal whose first commit of a ticket waits until the test lets it go."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.entered = threading.Event()
        self.release = threading.Event()

    def append(self, hall: str, events: Sequence[Event], also: Sequence[SideRows] = (), fence: Fence | None = None) -> None:
        if any(isinstance(e.payload, TicketIssued) for e in events) and not self.release.is_set():
            self.entered.set()
            assert self.release.wait(timeout=20), "the test never released the commit"
        super().append(hall, events, also, fence)


async def test_a_delta_never_counts_a_ticket_that_is_not_durable_yet(tmp_path) -> None:
    config = small_hall(any_hour=True)
    journal = HeldJournal(f"sqlite:///{tmp_path / 'held.db'}")
    runtime = HallRuntime(build_engine(config), journal, ManualClock())
    runtime.hub.add_topic("display", lambda events: [json.dumps(hall_view.delta(runtime.engine, events))])
    screen = runtime.hub.subscribe("display")
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(runtime.run)
            async with trio.open_nursery() as commands:
                commands.start_soon(runtime.execute, c.IssueTicket("first", "CA-TN"))
                await trio.to_thread.run_sync(journal.entered.wait)  # first ticket's commit is in flight
                commands.start_soon(runtime.execute, c.IssueTicket("second", "CA-TN"))
                await trio.sleep(0.05)
                assert runtime.engine.waiting_count("CA-TN") == 2  # both applied, only one in the open commit
                journal.release.set()
            deltas = []
            while len(deltas) < 2:  # the day's opening came first; then one delta per ticket batch
                _seq, frame = await screen.receive.receive()
                delta = json.loads(frame)
                if any(e["type"] == "ticket_issued" for e in delta["events"]):
                    deltas.append(delta)
            nursery.cancel_scope.cancel()
    first, second = deltas
    assert [e["data"]["number"] for e in first["events"]] == ["W001"]  # screens see numbers, never ids
    assert {s["code"]: s["waiting"] for s in first["services"]}["CA-TN"] == 1
    assert [e["data"]["number"] for e in second["events"]] == ["W002"]
    assert {s["code"]: s["waiting"] for s in second["services"]}["CA-TN"] == 2
    journal.close()
