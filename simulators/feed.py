"""Stores written without a server, fast: commands through the real engine into the real journal
(with its statistics projection), a day's events to a transaction. `hall bench` prepares its
replay, long-queue and start-up stores this way.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

FEED_BATCH = 20_000  # events per transaction: a day's rows stay in the projection's buffer, few look-ups


class JournalFeed:
    """Commands through the real engine into the real journal, in batches, with no server: how
    the bench prepares stores fast. `close()` returns the number of events in the journal.
    With `snapshots`, a snapshot is saved when a day closes, as the server does; without
    `statistics`, the read models are not written (a store for timing start-up, which never
    reads them; 12,500–13,800 events per CPU-second instead of 11,000, docs/benchmarks.md)."""

    def __init__(self, db_url: str, snapshots: bool = False, statistics: bool = True) -> None:
        from hall.components import build_engine
        from hall.config import load_hall
        from hall.journal import Journal
        from hall.snapshots import restore_latest
        from hall.stats import StatsProjection

        self.config = load_hall()
        self.journal = Journal(db_url, [StatsProjection(self.config)] if statistics else [])
        self.engine = build_engine(self.config)
        restore_latest(self.engine, self.journal)
        self.pending: list = []
        self.snapshots = snapshots

    def run(self, command: Any, now: float) -> None:
        """Carry out `command`; a refusal is skipped, a day roll it was due is kept."""
        from hall.lifecycle import CommandRefused

        events = self.engine.tick(now)
        try:
            events += self.engine.handle(command, now)
        except CommandRefused:
            pass
        self.keep(events)

    def keep(self, events: Sequence[Any]) -> None:
        from hall.events import DayClosed
        from hall.snapshots import save_engine

        self.pending.extend(events)
        if self.snapshots and any(isinstance(e.payload, DayClosed) for e in events):
            self.flush()  # a snapshot holds durable events only
            save_engine(self.journal.engine, self.engine)
        elif len(self.pending) >= FEED_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.journal.append(self.config.id, self.pending)
            self.pending.clear()

    def close(self) -> int:
        self.flush()
        written = self.journal.last_seq(self.config.id)
        self.journal.close()
        return written


def kiosk_ticket(service: str) -> Any:
    from hall import commands as c

    return c.IssueTicket(ticket_id=secrets.token_urlsafe(9), service=service, channel="kiosk", actor="kiosk-01")


def write_busy_days(db_url: str, days: int, visits: int = 2000, seed: int = 1, *, start: float = 1_800_000_000.0,
                    snapshots: bool = False, statistics: bool = True, after_day: Callable[[int], None] | None = None) -> int:
    """Journal `days` busy days through the real engine (issue, call, start, finish, cabins
    opening and closing) from `start` (default a fixed instant: the journal is the same on every
    run); returns the number of events written. `after_day(n)` runs once the first n days are
    in the store (the bench copies a short history there)."""
    from hall import commands as c

    feed = JournalFeed(db_url, snapshots, statistics)
    config, engine = feed.config, feed.engine
    rng = random.Random(seed)
    services = list(config.services)
    cabins = sorted(config.cabins)
    for day in range(days):
        if after_day is not None and day:
            feed.flush()
            after_day(day)
        now = start + day * 86400
        feed.keep(engine.tick(now))
        for number in cabins:
            officer = config.officer_of(number)
            if officer is not None:
                feed.run(c.OpenCabin(number, officer.username, actor=officer.username), now)
        step = 8 * 3600 / visits
        for i in range(visits):
            now += step
            feed.run(kiosk_ticket(rng.choice(services)), now)
            for number in rng.sample(cabins, 2):
                cabin = engine.state.cabins[number]
                if cabin.ticket is not None:
                    feed.run(c.StartService(number, actor=cabin.officer), now)
                    feed.run(c.FinishService(number, actor=cabin.officer), now)
                feed.run(c.CallNext(number, actor=cabin.officer), now)
    return feed.close()


def fill_queue(db_url: str, service: str, count: int) -> int:
    """Journal `count` tickets waiting in `service` today (the server replays them at start-up)."""
    feed = JournalFeed(db_url)
    now = time.time()  # today: a server started now keeps them waiting
    for _ in range(count):
        feed.run(kiosk_ticket(service), now)
    return feed.close()


