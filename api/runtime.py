"""One running hall: the engine, its journal writer (group commit) and the broadcast hub.

`execute(command)` runs the engine synchronously — atomic under trio — and then waits until
the command's events are durable before it returns, so an answer, a broadcast or a print job
never gets ahead of the journal. The writer task takes every event that accumulated while the
previous transaction was in flight and commits them together in one thread call (group
commit). If the store fails the runtime stops taking commands (fail-stop): the in-memory state
may hold events the store does not, and acknowledging anything more would be a lie.

A batch is rendered for the screens (`Hub.prepare`) when the writer closes it, from the state
right after its last event, and delivered once it is durable: no screen ever counts an event
that is not in the journal yet.

In virtual-time runs (`inline_commit=True`) the journal is written inline on the trio thread,
because trio's MockClock would jump while a worker thread is busy (STACK-NOTES.md); `offload`
is the one place that decides whether blocking work (SQL reads, rendering) goes to a thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import trio

from hall.clock import Clock
from hall.commands import Command
from hall.config import HallConfig
from hall.engine import Engine
from hall.events import Event
from hall.journal import Journal
from hall.lifecycle import CommandRefused

from .broadcast import Hub, Prepared

log = logging.getLogger("hall.runtime")

T = TypeVar("T")

TICK_SECONDS = 30.0  # how often the day roll is checked when nothing happens


class StoreFailed(Exception):
    """The journal could not be written; the hall refuses commands until restarted."""


class RuntimeObserver(Protocol):
    """What the runtime reports as it works (api/metrics.py counts it); called on the trio thread."""

    def command_done(self, command: Command, outcome: str) -> None:
        """`outcome`: "ok", "refused" (CommandRefused) or "store_failed"."""

    def batch_committed(self, seconds: float, events: int) -> None:
        """One journal transaction committed, `seconds` after it began."""


class Unobserved:
    def command_done(self, command: Command, outcome: str) -> None:
        pass

    def batch_committed(self, seconds: float, events: int) -> None:
        pass


@dataclass(eq=False)
class _Batch:
    events: list[Event] = field(default_factory=list)
    done: trio.Event = field(default_factory=trio.Event)
    failed: bool = False


class HallRuntime:
    def __init__(self, engine: Engine, journal: Journal, clock: Clock, *, inline_commit: bool = False) -> None:
        self.engine = engine
        self.config: HallConfig = engine.config
        self.journal = journal
        self.clock = clock
        self.inline_commit = inline_commit
        self.replayed = 0
        for event in journal.load(self.config.id):
            self.engine.apply(event)
            self.replayed += 1
        self.durable_seq = self.engine.state.seq
        self.hub = Hub()
        self.failure: str | None = None
        self.batches = 0
        self.observer: RuntimeObserver = Unobserved()
        self._batch: _Batch | None = None
        self._work = trio.Event()
        self._durable_changed = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The runtime's long-lived tasks: the journal writer and the day ticker."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._writer)
            nursery.start_soon(self._ticker)
            await self._roll_day()  # the day opens at start-up, not inside a citizen's request
            task_status.started()

    async def execute(self, command: Command) -> list[Event]:
        """Carry out a command; returns its events once they are durable.

        A day roll that falls due is made durable too, even when the command is refused.
        """
        outcome = "store_failed"
        try:
            events = await self._execute(command)
            outcome = "ok"
            return events
        except CommandRefused:
            outcome = "refused"
            raise
        finally:
            self.observer.command_done(command, outcome)

    async def _execute(self, command: Command) -> list[Event]:
        if self.failure is not None:
            raise StoreFailed(self.failure)
        now = self.clock.now()
        rolled = self.engine.tick(now)
        try:
            events = rolled + self.engine.handle(command, now)
        except CommandRefused:
            if rolled:
                await self.make_durable(rolled)
            raise
        if events:
            await self.make_durable(events)
        return events

    async def make_durable(self, events: list[Event]) -> None:
        if self.inline_commit:
            self._commit_inline(events)
            return
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            self._work.set()
        batch.events.extend(events)
        await batch.done.wait()
        if batch.failed:
            raise StoreFailed(self.failure or "the store failed")

    async def offload(self, fn: Callable[..., T], *args: Any, limiter: trio.CapacityLimiter | None = None) -> T:
        """Run blocking work (SQL, rendering, password checks) off the trio thread, under
        `limiter` when given (trio's default limiter otherwise).

        Inline in virtual-time runs, where a worker thread would let MockClock jump.
        """
        if self.inline_commit:
            return fn(*args)
        return await trio.to_thread.run_sync(fn, *args, limiter=limiter)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` against the store's read models, off the trio thread."""

        def work() -> T:
            with self.journal.engine.connect() as conn:
                return fn(conn, *args)

        return await self.offload(work)

    async def wait_durable(self, seq: int) -> None:
        """Return once every event up to `seq` is durable (snapshots are tagged that way)."""
        while self.durable_seq < seq:
            if self.failure is not None:
                raise StoreFailed(self.failure)
            await self._durable_changed.wait()

    def _commit_inline(self, events: list[Event]) -> None:
        prepared = self.hub.prepare(events)
        started = time.perf_counter()
        try:
            self.journal.append(self.config.id, events)
        except Exception as exc:
            self._fail(exc)
            raise StoreFailed(self.failure) from exc
        self.observer.batch_committed(time.perf_counter() - started, len(events))
        self._committed(events, prepared)

    async def _writer(self) -> None:
        while True:
            await self._work.wait()
            self._work = trio.Event()
            batch, self._batch = self._batch, None
            if batch is None:
                continue
            # Rendered now, before any later command changes the state (see the module doc).
            prepared = self.hub.prepare(batch.events)
            started = time.perf_counter()
            if self.failure is None:
                try:
                    await trio.to_thread.run_sync(self.journal.append, self.config.id, batch.events)
                except Exception as exc:
                    self._fail(exc)
            if self.failure is not None:
                batch.failed = True
            else:
                self.observer.batch_committed(time.perf_counter() - started, len(batch.events))
                self._committed(batch.events, prepared)
            batch.done.set()

    def _committed(self, events: list[Event], prepared: Prepared) -> None:
        self.batches += 1
        self.durable_seq = events[-1].seq
        self.hub.deliver(prepared)
        self._durable_changed.set()
        self._durable_changed = trio.Event()

    def _fail(self, exc: BaseException) -> None:
        self.failure = f"the journal could not be written ({type(exc).__name__}: {exc}); the hall stopped taking commands"
        log.error("%s", self.failure)
        self._durable_changed.set()

    async def _ticker(self) -> None:
        while True:
            await trio.sleep(TICK_SECONDS)
            await self._roll_day()

    async def _roll_day(self) -> None:
        if self.failure is None:
            events = self.engine.tick(self.clock.now())
            if events:
                try:
                    await self.make_durable(events)
                except StoreFailed:
                    pass  # already logged; the hall refuses commands from now on
