"""Signed-out tokens of one hall: in memory for every request, durable in `revoked_tokens`.

`POST /api/v1/auth/logout` answers only once the token's signature is in the store (nothing
acknowledged is lost), so a restart, a second node taking the hall over, or a restore does not
bring a signed-out token back. Only the hall's owner signs tokens out (a standby answers
`503 not_owner` like any other change): the owner's memory is then always complete, and a
standby, which serves reads, reloads the table every `STANDBY_REFRESH_SECONDS` and again the
moment it takes the hall over. Rows leave the store once their token has expired anyway
(deleted by the owner's next sign-out).
"""

from __future__ import annotations

import math

import trio
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine as SqlEngine

from hall.schema import RevokedToken

from .auth import Claims
from .runtime import OWNER, HallRuntime

STANDBY_REFRESH_SECONDS = 2.0
CHECK_SECONDS = 0.5  # how soon a take-over is noticed


class Revocations:
    def __init__(self, runtime: HallRuntime) -> None:
        self.runtime = runtime
        self.hall = runtime.config.id
        # At start-up, like the replay and before any request: a restart forgets nothing.
        self.expiries = load(runtime.journal.engine, self.hall, runtime.clock.now())
        self._loaded_as = (runtime.role, runtime.epoch)
        self._scope: trio.CancelScope | None = None

    def __contains__(self, signature: str) -> bool:
        return signature in self.expiries

    async def revoke(self, claims: Claims) -> None:
        """Sign one token out; returns once that is durable (`NotOwner` on a standby)."""
        if self.runtime.role != OWNER:
            raise self.runtime.not_owner()
        await self.runtime.offload(record, self.runtime.journal.engine, self.hall, claims.signature, claims.expiry,
                                   self.runtime.clock.now())
        self.expiries[claims.signature] = claims.expiry

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Reload when this node takes the hall over, and regularly while it is a standby."""
        with trio.CancelScope() as self._scope:
            task_status.started()
            refreshed = trio.current_time()
            while True:
                await trio.sleep(CHECK_SECONDS)
                runtime = self.runtime
                standby_due = runtime.role != OWNER and trio.current_time() - refreshed >= STANDBY_REFRESH_SECONDS
                if (runtime.role, runtime.epoch) != self._loaded_as or standby_due:
                    self._loaded_as = (runtime.role, runtime.epoch)
                    self.expiries = await runtime.offload(load, runtime.journal.engine, self.hall, runtime.clock.now())
                    refreshed = trio.current_time()

    def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()


def record(store: SqlEngine, hall: str, signature: str, expiry: float, now: float) -> None:
    """Keep one signature (the owner only); tokens that expired meanwhile leave the table."""
    with store.begin() as conn:
        conn.execute(delete(RevokedToken).where(RevokedToken.hall == hall, RevokedToken.expiry < math.floor(now)))
        known = conn.execute(select(RevokedToken.signature).where(RevokedToken.hall == hall, RevokedToken.signature == signature))
        if known.first() is None:
            conn.execute(insert(RevokedToken).values(hall=hall, signature=signature, expiry=expiry))


def load(store: SqlEngine, hall: str, now: float) -> dict[str, float]:
    """The hall's revoked signatures whose tokens have not expired."""
    with store.connect() as conn:
        rows = conn.execute(select(RevokedToken.signature, RevokedToken.expiry)
                            .where(RevokedToken.hall == hall, RevokedToken.expiry >= math.floor(now)))
        return {signature: expiry for signature, expiry in rows}
