"""The SQL schema: one module owns every table.

`events` is the truth: one row per event, keyed by (hall, seq). Read models (statistics and
report tables) are derived from events inside the same transaction and register their tables
on the same `metadata`. The store is built and upgraded by the migrations in hall/migrations
(hall/upgrades.py), never by `create_all`: a change to a table here needs a migration there, and
tests/test_upgrades.py checks that the migrations build exactly these tables.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Float, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class EventRow(Base):
    __tablename__ = "events"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)  # JSON, without citizens' personal data
    personal: Mapped[str | None] = mapped_column(String(64))  # its personal_data row, if it has one


class SettingRow(Base):
    """Small per-store settings. (Release one kept the token-signing key here as `token_secret`;
    it now lives outside the store, see api/signing_secret.py, and that row is no longer read.)"""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SnapshotRow(Base):
    """Engine snapshots (hall/snapshots.py): the state after event `seq`."""

    __tablename__ = "snapshots"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # the last event it contains
    taken_at: Mapped[float] = mapped_column(Float)
    format: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class HallLease(Base):
    """Which node owns a hall (`hall serve --node NAME` on PostgreSQL; hall/ownership.py).

    One row per hall. `epoch` grows by one at every change of owner; every journal append of the
    owner checks it in the append's own transaction, so a node that lost the hall can never
    append again. `renewed_at` is the database's clock (no clock skew between nodes); `pid` is
    the PostgreSQL backend of the owner's lease connection, gone the moment the owner dies.
    A table of its own, added, never a change to `events`: one more migration, nothing else.
    """

    __tablename__ = "hall_leases"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    node: Mapped[str] = mapped_column(String(64))
    epoch: Mapped[int] = mapped_column(BigInteger)
    pid: Mapped[int | None] = mapped_column(Integer)
    renewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PersonalRow(Base):
    """Citizens' personal data, kept outside the journal so it can leave the store for good when
    its retention period ends (hall/personal.py). `ref` is the payload's `personal_ref`."""

    __tablename__ = "personal_data"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)  # "dossier:CODE", …
    kind: Mapped[str] = mapped_column(String(16))  # what the data belongs to: the retention rule
    data: Mapped[str] = mapped_column(Text)  # JSON: the payload's personal fields
    recorded_at: Mapped[float] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float)  # the dossier returned or refused


class RevokedToken(Base):
    """Signed-out bearer tokens (`POST /api/v1/auth/logout`, api/revocations.py), kept until the
    token would have expired anyway, so a restart or a failover does not bring a signed-out token
    back. The signature identifies a token without being one: nobody can sign in with it."""

    __tablename__ = "revoked_tokens"

    hall: Mapped[str] = mapped_column(String(32), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    expiry: Mapped[float] = mapped_column(Float)
