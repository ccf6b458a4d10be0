"""One owner per hall among the nodes that share a PostgreSQL store: a lease row with a fencing epoch.

Theory of operation
-------------------
`hall_leases` (hall/schema.py) has one row per hall: the owning node, its `epoch`, the
PostgreSQL backend `pid` of its lease connection and `renewed_at` on the database's clock.

* A node takes a hall (`LeaseStore.try_acquire`) when nobody holds it, or when the holder is
  gone — its lease connection's backend no longer exists (the process died: PostgreSQL ends the
  backend the moment the socket closes, so takeover after a crash needs no timeout) — or its
  lease is stale (`lease_seconds` without a renewal: the process is stopped, stuck or cut off).
  Taking it adds one to `epoch`, in one UPDATE, so two nodes can never both take it.
* The owner renews through its lease connection (`renew`); a renewal that finds another epoch
  means the hall was taken: the node steps down.
* Every journal append of the owner begins with `fence` in the append's own transaction:
  an UPDATE of the lease row that matches only the owner's epoch. It fails (`Fenced`) once
  another node has taken the hall, and it holds the row lock until the append commits, so a
  takeover waits for an append in flight, and the new owner reads the journal only after it.
  A stopped node that wakes up can therefore never append: its next append is refused.
* The owner NOTIFYs `hall_journal` (payload: the hall's id) in each append's transaction; a
  standby LISTENs (`JournalListener`) and reads what follows its engine's sequence number.

Only PostgreSQL: SQLite is one machine's file, with nothing to fail over to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.exc import DBAPIError, OperationalError

CHANNEL = "hall_journal"
LOCK_TIMEOUT_MS = 1000  # a takeover that meets an append in flight waits this long, then tries again


class Fenced(Exception):
    """The hall has a newer owner: this node's append was refused and nothing was written."""


@dataclass(frozen=True)
class Holder:
    """Who holds a hall's lease, as a node last read it."""

    node: str
    epoch: int


@dataclass(frozen=True)
class Fence:
    """What an append must prove: the epoch under which this node owns the hall."""

    hall: str
    epoch: int

    def check(self, conn: Connection) -> None:
        """Inside the append's transaction: renew, and refuse unless this epoch still owns the hall."""
        renewed = conn.execute(
            text("UPDATE hall_leases SET renewed_at = clock_timestamp() WHERE hall = :hall AND epoch = :epoch"),
            {"hall": self.hall, "epoch": self.epoch},
        )
        if renewed.rowcount != 1:
            raise Fenced(f"hall {self.hall}: epoch {self.epoch} no longer owns the hall; the append was refused")

    def notify(self, conn: Connection) -> None:
        conn.execute(text("SELECT pg_notify(:channel, :hall)"), {"channel": CHANNEL, "hall": self.hall})


_TAKE_FREE = text("""
    INSERT INTO hall_leases (hall, node, epoch, pid, renewed_at)
    VALUES (:hall, :node, 1, pg_backend_pid(), clock_timestamp())
    ON CONFLICT (hall) DO NOTHING
    RETURNING epoch
""")
_TAKE_OVER = text("""
    UPDATE hall_leases
    SET node = :node, epoch = epoch + 1, pid = pg_backend_pid(), renewed_at = clock_timestamp()
    WHERE hall = :hall AND (
        renewed_at < clock_timestamp() - make_interval(secs => :lease)
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pg_stat_activity.pid = hall_leases.pid)
    )
    RETURNING epoch
""")
_RENEW = text("""
    UPDATE hall_leases SET renewed_at = clock_timestamp(), pid = pg_backend_pid()
    WHERE hall = :hall AND node = :node AND epoch = :epoch
""")
_GIVE_UP = text("""
    UPDATE hall_leases SET renewed_at = '-infinity' WHERE hall = :hall AND node = :node AND epoch = :epoch
""")
_HOLDER = text("SELECT node, epoch FROM hall_leases WHERE hall = :hall")


class LeaseStore:
    """A node's lease on one hall, through one connection of its own (its backend's pid is the
    node's sign of life). Synchronous: call it from a worker thread."""

    def __init__(self, engine: SqlEngine, hall: str, node: str, lease_seconds: float) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("owning a hall among several nodes needs a PostgreSQL store")
        self.engine, self.hall, self.node, self.lease_seconds = engine, hall, node, lease_seconds
        self._conn: Connection | None = None

    def try_acquire(self) -> tuple[bool, Holder | None]:
        """Take the hall if it is free, its holder is gone or its lease is stale.
        Returns (taken, holder): the holder is this node when taken."""
        conn = self._connection()
        conn.execute(text(f"SET lock_timeout = {LOCK_TIMEOUT_MS}"))
        try:
            epoch = conn.execute(_TAKE_FREE, {"hall": self.hall, "node": self.node}).scalar()
            if epoch is None:
                epoch = conn.execute(_TAKE_OVER, {"hall": self.hall, "node": self.node, "lease": self.lease_seconds}).scalar()
        except OperationalError as exc:  # lock_timeout: an append in flight holds the row
            if "lock timeout" not in str(exc):
                self._drop()
                raise
            epoch = None
        if epoch is not None:
            return True, Holder(self.node, epoch)
        return False, self.holder()

    def renew(self, epoch: int) -> bool:
        """Keep the hall; False when another node has taken it."""
        return self._connection().execute(_RENEW, {"hall": self.hall, "node": self.node, "epoch": epoch}).rowcount == 1

    def give_up(self, epoch: int) -> None:
        """Let a standby take the hall at once (a node whose store failed, or that stops)."""
        self._connection().execute(_GIVE_UP, {"hall": self.hall, "node": self.node, "epoch": epoch})

    def holder(self) -> Holder | None:
        row = self._connection().execute(_HOLDER, {"hall": self.hall}).first()
        return Holder(row[0], row[1]) if row else None

    def close(self) -> None:
        self._drop()

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _drop(self) -> None:
        """End the lease connection itself (not back to the pool): its backend's pid is the
        node's sign of life, and a node that lets go must not leave it alive."""
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except DBAPIError:
                pass
            self._conn = None


class JournalListener:
    """LISTEN for the owner's appends on a connection of its own (synchronous; a worker thread)."""

    def __init__(self, engine: SqlEngine) -> None:
        self.engine = engine
        self._raw = None

    def wait(self, timeout: float) -> bool:
        """Block until an append is announced (True) or `timeout` seconds pass (False)."""
        driver = self._driver()
        try:
            waiting = driver.notifies(timeout=timeout, stop_after=1)
            try:
                woke = next(waiting, None) is not None
            finally:
                waiting.close()  # it holds the connection's lock until closed
            if woke:
                for _ in driver.notifies(timeout=0):  # drain: one catch-up reads every append
                    pass
        except Exception:  # noqa: BLE001 - the driver's own errors: the connection broke
            # The standby reads the journal at least every poll anyway: a lost LISTEN costs
            # latency only, and the next wait opens a new connection.
            self.close()
            return False
        return woke

    def close(self) -> None:
        if self._raw is not None:
            try:
                self._raw.invalidate()  # a LISTENing connection must not go back to the pool
            except Exception:  # noqa: BLE001 - already broken: nothing left to close
                pass
            self._raw = None

    def _driver(self):  # noqa: ANN202 - psycopg's Connection, reached through SQLAlchemy's pool
        if self._raw is None:
            raw = self.engine.raw_connection()
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute(f"LISTEN {CHANNEL}")
            self._raw = raw
        return self._raw.driver_connection
