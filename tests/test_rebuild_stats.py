"""`hall rebuild-stats` makes the statistics tables again from the journal — all of it, or the
days after a snapshot — and gets, row for row, what the live projection wrote (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, update

from hall.config import load_hall
from hall.events import Event
from hall.journal import Journal
from hall.snapshots import saved_states, save_engine
from hall.stats import TABLES, StatDaySummary, StatTicket, StatsProjection
from hall.stats.rebuild import boundary_day, rebuild_stats
from simulators.history import History

DAYS = (dt.date(2027, 3, 1), dt.date(2027, 3, 2), dt.date(2027, 3, 3), dt.date(2027, 3, 4))


class GroupCommits(Journal):
    """The journal as the live server writes it: a day arrives in small batches of 1 to 60
    events (group commits), not in one."""

    def __init__(self, *args: Any, seed: int = 5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.random = random.Random(seed)

    def append(self, hall: str, events: Sequence[Event]) -> None:
        at = 0
        while at < len(events):
            size = self.random.randint(1, 60)
            super().append(hall, events[at:at + size])
            at += size


def rows(journal: Journal) -> dict[str, list[dict[str, Any]]]:
    with journal.engine.connect() as conn:
        return {name: [dict(row) for row in conn.execute(table.select().order_by(*table.primary_key.columns)).mappings()]
                for name, table in TABLES.items()}


def live_history(store_url: str) -> tuple[Journal, int]:
    """Four days of the default hall projected live, with a snapshot at each day's close."""
    config = load_hall()
    journal = GroupCommits(store_url, [StatsProjection(config)])
    history = History(config, journal, seed=11, visits_per_day=120)
    for day in DAYS:
        history.run_day(day)
        save_engine(journal.engine, history.engine)
    return journal, history.events


def test_rebuilding_everything_gives_the_live_statistics_row_for_row(store_url):
    config = load_hall()
    journal, events = live_history(store_url)
    live = rows(journal)
    assert all(live[name] for name in ("tickets", "segments", "cabin_time", "ratings", "dossiers", "day_summary", "day_ratings"))
    with journal.engine.begin() as conn:  # statistics gone wrong: a day lost, a figure changed
        conn.execute(delete(StatTicket.__table__).where(StatTicket.day == DAYS[1].isoformat()))
        conn.execute(update(StatDaySummary.__table__).values(served=0))
    assert rows(journal) != live
    done = rebuild_stats(journal, config)
    assert (done.events, done.since_seq, done.first_day) == (events, 0, None)
    assert rows(journal) == live
    journal.close()


def test_rebuilding_from_a_snapshot_remakes_only_the_days_after_it(store_url):
    config = load_hall()
    journal, events = live_history(store_url)
    live = rows(journal)
    states = list(saved_states(journal, config))  # newest first; the store keeps three
    seq, state = states[1]  # the close of the third day
    assert boundary_day(state) == DAYS[3].isoformat()
    with journal.engine.begin() as conn:
        conn.execute(delete(StatTicket.__table__).where(StatTicket.day == DAYS[3].isoformat()))
        conn.execute(update(StatDaySummary.__table__).where(StatDaySummary.day == DAYS[3].isoformat()).values(served=0))
    done = rebuild_stats(journal, config, (seq, state))
    assert done.first_day == DAYS[3].isoformat() and 0 < done.events < events // 3
    assert rows(journal) == live
    journal.close()


def test_hall_rebuild_stats_from_the_command_line(store_url):
    journal, _events = live_history(store_url)
    live = rows(journal)
    with journal.engine.begin() as conn:
        conn.execute(delete(StatTicket.__table__))
    # the newest snapshot is the close of the last day: nothing after it; then all of it
    for extra, said in (([], "from 2027-03-05 on (0 events after the snapshot at seq"), (["--all"], "from the whole journal (")):
        done = subprocess.run([sys.executable, "-m", "api.cli", "rebuild-stats", "--db", store_url, *extra],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"rebuilt the statistics of hall qnam {said}" in done.stdout
    assert rows(journal) == live
    journal.close()
