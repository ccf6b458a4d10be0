"""`hall rebuild-stats`: the read models made again from the journal.

Theory of operation
-------------------
The statistics tables are a projection of the journal (projection.py), written in the same
transaction as the events. Rebuilding runs the very same projection over the journal again, in
one transaction, after deleting what it will write:

* **all of it** (`since=None`): every stat row of the hall is deleted and every event projected;
* **from a snapshot's day**: a snapshot taken at a day boundary — the day closed (`day_open` is
  false), or opened with no ticket issued and every cabin closed — splits the journal into
  whole days. Rows of the days after that boundary are deleted and the events after the
  snapshot's `seq` projected. Rows of earlier days are kept: the only later events that touch
  them (a dossier received earlier changing status, returned, apologised for) set values, so
  projecting them again leaves what the live projection left.

Either way the result equals, row for row, what the live projection wrote (under the same hall
file: a day's frozen board uses the rating levels and agencies of the hall file in force when it
is rebuilt). tests/test_rebuild_stats.py checks it on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete

from ..config import HallConfig
from ..events import Event
from ..journal import Journal
from ..state import HallState
from .projection import StatsProjection
from .tables import TABLES, reset

BATCH = 20_000  # events projected per call: a day's rows stay in the projection's buffer


@dataclass(frozen=True)
class Rebuilt:
    events: int
    since_seq: int  # 0: the whole journal
    first_day: str | None  # the first day whose rows were made again (None: every day)


def boundary_day(state: HallState) -> str | None:
    """The first day a snapshot with this state leaves wholly to the events after it, or None
    when the snapshot was taken in the middle of a day."""
    if state.day is None:
        return None
    if not state.day_open:
        return (dt.date.fromisoformat(state.day) + dt.timedelta(days=1)).isoformat()
    if not state.counters and all(cabin.state == "closed" for cabin in state.cabins.values()):
        return state.day
    return None


def forget_from(conn: Connection, hall: str, day: str) -> None:
    """Delete a hall's stat rows of `day` and later (every stat table is keyed by its day)."""
    for table in TABLES.values():
        conn.execute(delete(table).where(table.c.hall == hall, table.c.day >= day))


def project_all(conn: Connection, config: HallConfig, events: Iterable[Event]) -> int:
    projection, batch, count = StatsProjection(config), [], 0
    for event in events:
        batch.append(event)
        if len(batch) >= BATCH:
            projection.project(conn, config.id, batch)
            count, batch = count + len(batch), []
    if batch:
        projection.project(conn, config.id, batch)
    return count + len(batch)


def rebuild_stats(journal: Journal, config: HallConfig, since: tuple[int, HallState] | None = None) -> Rebuilt:
    """Project the journal into the stat tables again: all of it, or after a snapshot
    (`since` = its seq and state, which must be at a day boundary)."""
    if since is None:
        with journal.engine.begin() as conn:
            reset(conn, config.id)
            return Rebuilt(project_all(conn, config, journal.load(config.id)), 0, None)
    seq, state = since
    day = boundary_day(state)
    if day is None:
        raise ValueError(f"the snapshot at seq {seq} was taken in the middle of day {state.day}")
    with journal.engine.begin() as conn:
        forget_from(conn, config.id, day)
        return Rebuilt(project_all(conn, config, journal.load(config.id, after=seq)), seq, day)
