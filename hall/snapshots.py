"""Engine snapshots: start-up that does not grow with the years of history.

Theory of operation
-------------------
A snapshot is the engine's whole state (`HallState`) and the state of each component it was
built with, encoded with msgspec (typed dataclasses to MessagePack and back), tagged with the
sequence number of the last event it contains. Start-up (`restore_latest`) decodes the newest
snapshot it can read, puts it into a fresh engine and replays only the events after its `seq`,
which gives exactly the state a replay of the whole journal gives (tests/test_snapshots.py
checks that property on generated histories).

A snapshot is ignored — with a log line saying why — and the journal replayed whole when:

* its `format` is not `FORMAT` (a release that changes the shape of the state raises it; a
  snapshot written by a newer release is never half-understood);
* the hall file changed what the state is made of (`fingerprint`: cabins, services and their
  mean service times, the time zone), since a replay under the new hall file is the truth;
* it does not decode (a damaged row).

Snapshots are written by the server when a day closes (api/runtime.py), by `hall snapshot`, and
by retention (which replaces every older snapshot, so no citizen's name survives in one). Each
holds only events that are durable: the writer waits for its `seq` to be committed first. Only
the newest `KEEP` of a hall are kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine as SqlEngine

from .config import HallConfig
from .engine import Engine
from .journal import Journal
from .schema import SnapshotRow
from .state import HallState

log = logging.getLogger("hall.snapshots")

FORMAT = 1  # raise when HallState or a component's snapshot type changes shape
KEEP = 3  # snapshots kept per hall; older ones are deleted when a new one is saved


class SnapshotComponent(Protocol):
    """A component whose state can be saved and put back (hall.engine.Component)."""

    SNAPSHOT_TYPE: type

    def snapshot(self) -> Any: ...

    def restore(self, saved: Any) -> None: ...


class _Envelope(msgspec.Struct):
    state: HallState
    components: dict[str, bytes]  # component class name -> its own MessagePack


class Unreadable(ValueError):
    """A snapshot this release cannot use; the message says why."""


@dataclass(frozen=True)
class Restored:
    """How start-up got its state: from a snapshot at `snapshot_seq` (0: none) and `replayed` events."""

    snapshot_seq: int
    replayed: int


def fingerprint(config: HallConfig) -> str:
    """What of the hall file the engine's state is made of; a snapshot of another is not used."""
    basis = {
        "cabins": sorted(config.cabins),
        "services": {code: s.mean_service_minutes for code, s in sorted(config.services.items())},
        "tz": str(config.tz),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def capture(engine: Engine) -> bytes:
    """The engine's state and its components' as bytes (on the engine's own thread: no await)."""
    parts = {}
    for component in engine.components:
        saver = _saver(component)
        parts[type(component).__name__] = msgspec.msgpack.encode(saver.snapshot())
    return msgspec.msgpack.encode(_Envelope(engine.state, parts))


def put_back(engine: Engine, data: bytes) -> None:
    """Decode a snapshot completely, then give it to the engine; `Unreadable` changes nothing."""
    try:
        envelope = msgspec.msgpack.decode(data, type=_Envelope)
        saved = {}
        for component in engine.components:
            name = type(component).__name__
            if name not in envelope.components:
                raise Unreadable(f"it has no state for the {name} component")
            saved[name] = msgspec.msgpack.decode(envelope.components[name], type=_saver(component).SNAPSHOT_TYPE)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Unreadable(f"it does not decode ({exc})") from None
    engine.restore_state(envelope.state)
    for component in engine.components:
        _saver(component).restore(saved[type(component).__name__])


def _saver(component: object) -> SnapshotComponent:
    if not hasattr(component, "SNAPSHOT_TYPE"):
        raise TypeError(f"the {type(component).__name__} component cannot be snapshotted (no SNAPSHOT_TYPE)")
    return component  # type: ignore[return-value]


# ---- in the store --------------------------------------------------------------------------


def save(store: SqlEngine, config: HallConfig, seq: int, data: bytes) -> bool:
    """Keep a snapshot taken at `seq` (its events must be durable); False if one is there already
    (the state after an event is one state, whoever saved it: the day-close snapshot and
    retention's may race for the same seq)."""
    table = SnapshotRow.__table__
    try:
        with store.begin() as conn:
            if conn.execute(select(table.c.seq).where(table.c.hall == config.id, table.c.seq == seq)).first():
                return False
            conn.execute(insert(table).values(hall=config.id, seq=seq, taken_at=time.time(), format=FORMAT,
                                              fingerprint=fingerprint(config), data=data))
            kept = select(table.c.seq).where(table.c.hall == config.id).order_by(table.c.seq.desc()).limit(KEEP)
            conn.execute(delete(table).where(table.c.hall == config.id, table.c.seq.not_in(kept.scalar_subquery())))
    except IntegrityError:
        return False
    return True


def save_engine(store: SqlEngine, engine: Engine) -> int:
    """Snapshot an engine whose every event is durable; returns its seq."""
    save(store, engine.config, engine.state.seq, capture(engine))
    return engine.state.seq


def replace_all(store: SqlEngine, config: HallConfig, seq: int, data: bytes) -> None:
    """Make this snapshot the hall's only one, in one transaction (retention: every older one, and
    one already saved at the same `seq`, may hold personal data it deleted)."""
    table = SnapshotRow.__table__
    with store.begin() as conn:
        conn.execute(delete(table).where(table.c.hall == config.id))
        conn.execute(insert(table).values(hall=config.id, seq=seq, taken_at=time.time(), format=FORMAT,
                                          fingerprint=fingerprint(config), data=data))


def _newest_first(store: SqlEngine, hall: str) -> Iterator[SnapshotRow]:
    table = SnapshotRow.__table__
    with store.connect() as conn:
        seqs = list(conn.execute(select(table.c.seq).where(table.c.hall == hall).order_by(table.c.seq.desc())).scalars())
    for seq in seqs:
        with store.connect() as conn:
            row = conn.execute(select(table).where(table.c.hall == hall, table.c.seq == seq)).first()
        if row is not None:
            yield SnapshotRow(**row._asdict())


def _usable(row: SnapshotRow, config: HallConfig) -> None:
    if row.format != FORMAT:
        raise Unreadable(f"its format is {row.format} and this release reads format {FORMAT}")
    if row.fingerprint != fingerprint(config):
        raise Unreadable("the hall file's cabins, services or time zone changed since it was taken")


def saved_states(journal: Journal, config: HallConfig) -> Iterator[tuple[int, HallState]]:
    """The engine state of each usable snapshot, newest first (components are not decoded)."""
    for row in _newest_first(journal.engine, config.id):
        try:
            _usable(row, config)
            state = msgspec.msgpack.decode(row.data, type=_Envelope).state
        except (Unreadable, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("snapshot of hall %s at seq %d ignored: %s", config.id, row.seq, exc)
            continue
        yield row.seq, state


def restore_latest(engine: Engine, journal: Journal) -> Restored:
    """Load the newest usable snapshot into a fresh engine and replay the events after it."""
    config, start = engine.config, 0
    for row in _newest_first(journal.engine, config.id):
        try:
            _usable(row, config)
            put_back(engine, row.data)
        except Unreadable as exc:
            log.warning("snapshot of hall %s at seq %d ignored: %s", config.id, row.seq, exc)
            continue
        start = row.seq
        break
    else:
        if start == 0 and journal.last_seq(config.id) > 0:
            log.info("hall %s: no usable snapshot, replaying the whole journal", config.id)
    replayed = 0
    for event in journal.load(config.id, after=start):
        engine.apply(event)
        replayed += 1
    return Restored(start, replayed)


def snapshot_now(engine: Engine, journal: Journal) -> tuple[Restored, int]:
    """`hall snapshot`: bring a fresh engine up to the end of the journal and save its state."""
    restored = restore_latest(engine, journal)
    return restored, save_engine(journal.engine, engine)
