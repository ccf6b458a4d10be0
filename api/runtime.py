"""One running hall: the engine, its journal writer (group commit) and the broadcast hub.

`execute(command)` runs the engine synchronously — atomic under trio — and then waits until
the command's events are durable before it returns, so an answer, a broadcast or a print job
never gets ahead of the journal. The writer task takes every event that accumulated while the
previous transaction was in flight and commits them together in one thread call (group
commit). If the store fails the runtime stops taking commands (fail-stop): the in-memory state
may hold events the store does not, and acknowledging anything more would be a lie.

A batch is rendered for the screens (`Hub.prepare`) when the writer closes it, from the state
right after its last event, and delivered once it is durable: no screen ever counts an event
that is not in the journal yet. Companions (`BatchCompanion`, the notifications outbox) add
rows of their own to the batch's transaction at the same moment, from the same state.

Among several nodes (`hall serve --node NAME`, api/ownership.py) a runtime is the hall's `owner`
or a `standby`. A standby refuses commands (`NotOwner`, naming the owner) and follows the
journal (`follow`) so its engine, screens and health stay current; `take_over` makes it the
owner once it holds the lease, after reading everything the old owner appended. An owner whose
append is refused (`Fenced`: another node took the hall) or whose lease renewal finds another
epoch steps down: its engine may hold events that never became durable, so it is rebuilt from
the journal (`step_down`), its screens are cut off to take a fresh snapshot, and its devices
are told to reconnect (`stepped_down`). Alone (no `--node`) a runtime is always the owner.

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
from hall.events import DayClosed, DayOpened, Event
from hall.journal import Journal, SideRows
from hall.lifecycle import CommandRefused
from hall.ownership import Fence, Fenced
from hall.personal import scrub
from hall.retention import delete_expired
from hall.snapshots import capture, delete_all_but, restore_latest, save

from .broadcast import Hub, Prepared

log = logging.getLogger("hall.runtime")

T = TypeVar("T")

TICK_SECONDS = 30.0  # how often the day roll is checked when nothing happens
OWNER, STANDBY = "owner", "standby"
SNAPSHOT_AFTER_REPLAY = 10_000  # a start-up that replayed this many events saves a snapshot at once


class StoreFailed(Exception):
    """The journal could not be written; the hall refuses commands until restarted."""


class NotOwner(StoreFailed):
    """This node does not own the hall (a standby, or it has just lost it): nothing was done."""

    def __init__(self, hall: str, node: str | None, owner: str | None) -> None:
        self.owner = owner
        who = f"node {owner!r}" if owner else "being taken over by a standby"
        super().__init__(f"this node ({node}) is a standby of hall {hall}; the hall's owner is {who}")


class RuntimeObserver(Protocol):
    """What the runtime reports as it works (api/metrics.py counts it); called on the trio thread."""

    def command_done(self, command: Command, outcome: str) -> None:
        """`outcome`: "ok", "refused" (CommandRefused) or "store_failed"."""

    def batch_committed(self, seconds: float, events: int) -> None:
        """One journal transaction committed, `seconds` after it began."""


class BatchCompanion(Protocol):
    """Something written with every batch in its transaction (the notifications outbox)."""

    def rows_for(self, events: list[Event]) -> list[SideRows]:
        """Rows to insert with these events; called on the trio thread as the batch closes."""

    def committed(self) -> None:
        """The batch (and its rows) is durable."""


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
    refusal: StoreFailed | None = None  # why it failed when not a store failure (NotOwner)


class HallRuntime:
    def __init__(self, engine: Engine, journal: Journal, clock: Clock, *, inline_commit: bool = False) -> None:
        self.engine = engine
        self.config: HallConfig = engine.config
        self.journal = journal
        self.clock = clock
        self.inline_commit = inline_commit
        restored = restore_latest(engine, journal)
        self.snapshot_seq, self.replayed = restored.snapshot_seq, restored.replayed
        self.snapshots_saved = 0
        self.durable_seq = self.engine.state.seq
        self.hub = Hub()
        self.failure: str | None = None
        self.batches = 0
        self.observer: RuntimeObserver = Unobserved()
        self.companions: list[BatchCompanion] = []
        self._batch: _Batch | None = None
        self._work = trio.Event()
        self._durable_changed = trio.Event()
        # Ownership among nodes (api/ownership.py); alone, a runtime is always the owner.
        self.node: str | None = None
        self.role = OWNER
        self.owner: str | None = None  # the owning node's name, as last known
        self.epoch: int | None = None  # the fencing epoch this node owns the hall under
        self.lost = trio.Event()  # set when an append was fenced: the ownership loop steps down
        self.stepped_down = trio.Event()  # set (and renewed) at every step-down: devices reconnect
        self._snapshot_due = trio.Event()
        self._day_snapshot: tuple[bytes, int] | None = None  # taken as a batch that closes a day closes
        self._retention_due = trio.Event()
        self.retention_runs = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The runtime's long-lived tasks: the journal writer and the day ticker."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._writer)
            nursery.start_soon(self._ticker)
            nursery.start_soon(self._snapshotter)
            nursery.start_soon(self._retention)
            self._retention_due.set()  # at start-up, then every day when it opens
            if self.replayed >= SNAPSHOT_AFTER_REPLAY:
                self._snapshot_due.set()
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
        if self.role != OWNER:
            raise self.not_owner()
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
            raise batch.refusal or StoreFailed(self.failure or "the store failed")

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

    def not_owner(self) -> NotOwner:
        return NotOwner(self.config.id, self.node, self.owner)

    def _fence(self) -> Fence | None:
        return Fence(self.config.id, self.epoch) if self.epoch is not None else None

    def _commit_inline(self, events: list[Event]) -> None:
        prepared, also = self._prepare(events)
        started = time.perf_counter()
        try:
            self.journal.append(self.config.id, events, also, self._fence())
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
            prepared, also = self._prepare(batch.events)
            started = time.perf_counter()
            if self.role != OWNER:
                batch.refusal = self.not_owner()
            elif self.failure is None:
                try:
                    await trio.to_thread.run_sync(self.journal.append, self.config.id, batch.events, also, self._fence())
                except Fenced as exc:
                    log.warning("hall %s: %s; stepping down", self.config.id, exc)
                    self.role, self.owner = STANDBY, None
                    self.lost.set()
                    batch.refusal = self.not_owner()
                except Exception as exc:
                    self._fail(exc)
            if self.failure is not None or batch.refusal is not None:
                batch.failed = True
            else:
                self.observer.batch_committed(time.perf_counter() - started, len(batch.events))
                self._committed(batch.events, prepared)
            batch.done.set()

    def _prepare(self, events: list[Event]) -> tuple[Prepared, list[SideRows]]:
        """What a batch brings besides its events, from the state right after its last event: the
        screens' frames, the companions' rows, and the day's snapshot when the batch closes a day
        (captured now: later commands may run before the snapshotter does)."""
        if any(isinstance(e.payload, DayClosed) for e in events):
            self._day_snapshot = (capture(self.engine), events[-1].seq)
        rows = [rows for companion in self.companions for rows in companion.rows_for(events)]
        return self.hub.prepare(events), rows

    def _committed(self, events: list[Event], prepared: Prepared) -> None:
        self.batches += 1
        self.durable_seq = events[-1].seq
        self.hub.deliver(prepared)
        if self._day_snapshot is not None:
            self._snapshot_due.set()
        for companion in self.companions:
            companion.committed()
        if any(isinstance(e.payload, DayOpened) for e in events):
            self._retention_due.set()
        self._durable_changed.set()
        self._durable_changed = trio.Event()

    def _fail(self, exc: BaseException) -> None:
        self.failure = f"the journal could not be written ({type(exc).__name__}: {exc}); the hall stopped taking commands"
        log.error("%s", self.failure)
        self._durable_changed.set()

    async def snapshot(self) -> int:
        """Save the engine's state as a snapshot once its events are durable; returns its seq.

        Captured on the trio thread, between two commands, so it is one consistent state; the
        row is written only after every event it contains is committed.
        """
        return await self._save_snapshot(capture(self.engine), self.engine.state.seq)

    async def _save_snapshot(self, data: bytes, seq: int) -> int:
        await self.wait_durable(seq)
        await self.offload(save, self.journal.engine, self.config, seq, data)
        self.snapshots_saved += 1
        return seq

    async def _snapshotter(self) -> None:
        """Snapshots at day close (and after a long replay at start-up); a failure is logged
        and the hall goes on: start-up then replays a little more."""
        while True:
            await self._snapshot_due.wait()
            self._snapshot_due = trio.Event()
            if self.failure is not None or self.role != OWNER:  # one node writes a hall's snapshots
                continue
            taken, self._day_snapshot = self._day_snapshot, None
            try:
                seq = await (self._save_snapshot(*taken) if taken is not None else self.snapshot())
            except Exception as exc:  # noqa: BLE001 - a snapshot is an optimisation, never a reason to stop
                log.warning("snapshot of hall %s not saved: %s: %s", self.config.id, type(exc).__name__, exc)
            else:
                log.info("hall %s: snapshot saved at seq %d", self.config.id, seq)

    async def forget_expired(self) -> int:
        """The daily retention run (hall/retention.py): delete the personal data whose period is
        over today; then replace every snapshot with one of the state now (which holds no
        finished dossier) and truncate the write-ahead log. Returns how many were deleted."""
        as_of = self.config.business_day(self.clock.now())
        due, deleted = await self.offload(delete_expired, self.journal, self.config, as_of)
        if deleted:
            seq = await self.snapshot()
            await self.offload(delete_all_but, self.journal.engine, self.config.id, seq)
            await self.offload(scrub, self.journal.engine, False)
            log.info("hall %s: personal data of %s deleted (retention as of %s)", self.config.id,
                     ", ".join(f"{n} {kind}" for kind, n in sorted(due.items())), as_of.isoformat())
        self.retention_runs += 1
        return deleted

    async def _retention(self) -> None:
        while True:
            await self._retention_due.wait()
            self._retention_due = trio.Event()
            if self.failure is not None:
                continue
            try:
                await self.forget_expired()
            except Exception as exc:  # noqa: BLE001 - retried the next day; never a reason to stop the hall
                log.error("retention of hall %s failed: %s: %s", self.config.id, type(exc).__name__, exc)

    async def _ticker(self) -> None:
        while True:
            await trio.sleep(TICK_SECONDS)
            await self._roll_day()

    # ---- ownership among nodes (driven by api/ownership.py) --------------------------------

    async def follow(self) -> int:
        """A standby reads and applies what the owner appended after its engine's sequence
        number, and delivers it to its own screens; returns how many events."""
        seq = self.engine.state.seq
        events = await self.offload(lambda: list(self.journal.load(self.config.id, after=seq)))
        if self.role != STANDBY or self.engine.state.seq != seq or not events:
            return 0
        for event in events:
            self.engine.apply(event)
        self._committed(events, self.hub.prepare(events))
        return len(events)

    async def take_over(self, epoch: int) -> None:
        """Become the owner under `epoch` (the lease is already this node's): first read
        everything the old owner appended, so numbering goes on without a gap or a repeat."""
        while await self.follow():
            pass
        self.epoch, self.role, self.owner = epoch, OWNER, self.node
        self.lost = trio.Event()
        await self._roll_day()

    async def step_down(self, owner: str | None) -> None:
        """Stop owning the hall: refuse commands, rebuild the engine from the journal (it may
        hold events that never became durable), cut off screens and devices so they reconnect."""
        self.role, self.epoch, self.owner = STANDBY, None, owner
        self.stepped_down.set()
        self.stepped_down = trio.Event()
        self.hub.drop_all()
        # On the trio thread, no await in between: nobody reads a half-rebuilt hall.
        self.engine.reset()
        restore_latest(self.engine, self.journal)
        self.durable_seq = self.engine.state.seq
        self._durable_changed.set()
        self._durable_changed = trio.Event()

    async def _roll_day(self) -> None:
        if self.failure is None and self.role == OWNER:
            events = self.engine.tick(self.clock.now())
            if events:
                try:
                    await self.make_durable(events)
                except StoreFailed:
                    pass  # already logged; the hall refuses commands from now on
