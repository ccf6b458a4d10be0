"""A node's part in owning a hall among several (`hall serve --node NAME` on PostgreSQL).

One task per hall, started before the hall's runtime and owned by the server's nursery:

* as a standby it tries to take the hall every `POLL_SECONDS` (hall/ownership.py: free, holder
  dead, or lease stale) and, between tries, follows the journal: it wakes on the owner's
  NOTIFY (or after `POLL_SECONDS` at the latest) and applies what was appended;
* as the owner it renews the lease every `RENEW_SECONDS` and steps down as soon as a renewal
  or an append finds a newer epoch;
* an owner whose store failed (fail-stop) gives the hall up at once, and so does an owner that
  is stopped (SIGTERM), so a standby takes over without waiting for the lease to lapse.

Takeover after the owner's death is the standby's next try: PostgreSQL ends a dead process's
backend at once, and the lease row names that backend (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import time

import trio
from sqlalchemy.exc import DBAPIError

from hall.ownership import JournalListener, LeaseStore

from .runtime import OWNER, STANDBY, HallRuntime

log = logging.getLogger("hall.ownership")

POLL_SECONDS = 0.5  # a standby's tries to take the hall, and its longest wait between reads
RENEW_SECONDS = 1.0
LEASE_SECONDS = 5.0  # an owner silent this long (stopped, stuck, cut off) loses the hall


class HallOwnership:
    def __init__(self, runtime: HallRuntime, node: str, lease_seconds: float = LEASE_SECONDS) -> None:
        self.runtime = runtime
        self.lease = LeaseStore(runtime.journal.engine, runtime.config.id, node, lease_seconds)
        self.listener = JournalListener(runtime.journal.engine)
        runtime.node, runtime.role = node, STANDBY
        self.took_over_at: float | None = None  # time.time() of the last takeover (tests, logs)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Take the hall if nobody holds it, else start as its standby; then keep at it."""
        try:
            await self._standby_turn(wait=False)
            task_status.started()
            while True:
                try:
                    if self.runtime.role == OWNER:
                        await self._owner_turn()
                    else:
                        await self._standby_turn(wait=True)
                except (DBAPIError, OSError) as exc:
                    log.warning("hall %s: the store did not answer (%s); trying again", self.runtime.config.id, exc)
                    self.lease.close()
                    self.listener.close()
                    await trio.sleep(POLL_SECONDS)
        finally:
            with trio.CancelScope(shield=True):
                await self._give_up()
                self.lease.close()
                self.listener.close()

    async def _owner_turn(self) -> None:
        runtime = self.runtime
        with trio.move_on_after(RENEW_SECONDS):
            await runtime.lost.wait()
        if runtime.failure is not None:
            await self._give_up()
            log.error("hall %s: the store failed; gave the hall up to a standby", runtime.config.id)
            await trio.sleep_forever()
        if runtime.role == OWNER and runtime.epoch is not None and await trio.to_thread.run_sync(self.lease.renew, runtime.epoch):
            return
        holder = await trio.to_thread.run_sync(self.lease.holder)
        owner = holder.node if holder else None
        log.warning("hall %s: node %s lost the hall to %s; stepping down to standby", runtime.config.id, runtime.node, owner)
        await runtime.step_down(owner)

    async def _standby_turn(self, *, wait: bool) -> None:
        runtime = self.runtime
        taken, holder = await trio.to_thread.run_sync(self.lease.try_acquire)
        if taken and holder is not None:
            await runtime.take_over(holder.epoch)
            self.took_over_at = time.time()
            log.warning("hall %s: node %s owns the hall (epoch %d, seq %d)", runtime.config.id, runtime.node,
                        holder.epoch, runtime.engine.state.seq)
            return
        runtime.owner = holder.node if holder else None
        await runtime.follow()
        if wait:
            deadline = trio.current_time() + POLL_SECONDS
            while trio.current_time() < deadline:
                woke = await trio.to_thread.run_sync(self.listener.wait, deadline - trio.current_time(), abandon_on_cancel=True)
                if not woke:
                    break
                await runtime.follow()

    async def _give_up(self) -> None:
        if self.runtime.role == OWNER and self.runtime.epoch is not None:
            try:
                await trio.to_thread.run_sync(self.lease.give_up, self.runtime.epoch)
            except (DBAPIError, OSError) as exc:
                log.warning("hall %s: could not give the hall up (%s); a standby takes it when the lease lapses",
                            self.runtime.config.id, exc)
