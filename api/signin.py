"""Signing in: password checks off the trio thread, behind a limiter, with growing delays.

A password check costs tens of milliseconds of CPU by design (hall/credentials.py). Run on the
trio thread, a few clients sending wrong passwords stalled every screen of the hall (health p99
from 2 to about 300 ms). So:

* checks run in worker threads (argon2 and PBKDF2 release the GIL; `HallRuntime.offload`, inline
  only in virtual-time simulations), at most
  `limits.password_checks_at_once` at a time; when `limits.password_checks_waiting` more are
  already queued the answer is `429` at once instead of a longer queue;
* an unknown username is checked against a real user's hash (chosen by the name), so it costs
  what a known one costs and answers in the same time: timing does not tell who exists;
* failures are counted per username and per client address (`api.limits.Failures`): past the
  free ones, every attempt waits a doubling delay (`429` with `Retry-After`), whatever the
  password — the right one too, so a guesser learns nothing while blocked. A success clears the
  username's count, not the address's (one valid account must not reset a guesser's budget);
* failures are logged with the username and the address, never the password;
* a PBKDF2 hash of an earlier release (or argon2 with weaker parameters) is replaced by a fresh
  argon2id hash at the user's next successful login, when the hall is served from a hall file
  that can keep it (`hall serve --data` / `--config`); otherwise the old hash stays, since a
  token names its user's hash.

Limits use the monotonic clock: they are about real time, also when the hall runs on a test's
manual clock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from pathlib import Path

import trio

from hall.config import User
from hall.credentials import hash_password, needs_upgrade, verify_password

from .errors import ApiError
from .limits import Failures, LimitSettings, client_key, too_many
from .provisioning import ProvisioningError, store_password_hash
from .runtime import HallRuntime

log = logging.getLogger("hall.signin")


class SignIn:
    """One hall's sign-in: `authenticate` is the only way a password is checked while serving."""

    def __init__(self, runtime: HallRuntime, settings: LimitSettings, hall_file: Path | None = None) -> None:
        self.config = runtime.config
        self.offload = runtime.offload
        self.hall_file = hall_file
        self.checks = trio.CapacityLimiter(settings.password_checks_at_once)
        self.queue_limit = settings.password_checks_waiting
        self.ipv6_prefix_length = settings.ipv6_prefix_length
        self.by_username = Failures(settings.login_failures_per_username, settings.login_delay_seconds, settings.login_delay_max_seconds)
        self.by_address = Failures(settings.login_failures_per_address, settings.login_delay_seconds, settings.login_delay_max_seconds)

    async def authenticate(self, username: str, password: str, address: str | None) -> User:
        """The user whose password this is; 401 when it is not, 429 while blocked or busy.
        `address` is the client's, None for the hall's own machine (not counted: api/limits.py)."""
        self._refuse_while_blocked(username, address)
        if self.checks.statistics().tasks_waiting >= self.queue_limit:
            raise too_many("the server is busy checking passwords", 1)
        user = self.config.users.get(username)
        stored = user.password_hash if user is not None else self._decoy(username)
        async with self.checks:
            # Asked again when this guess's turn comes: guesses sent together all passed the
            # first question before any of them had failed (30 at once were 30 real checks).
            self._refuse_while_blocked(username, address)
            matches = await self.offload(verify_password, password, stored)
        if user is None or not matches:
            now = time.monotonic()
            self.by_username.failed(username, now)
            if address is not None:
                self.by_address.failed(client_key(address, self.ipv6_prefix_length), now)
            log.warning("failed sign-in of %r from %s", username, address or "the hall's own machine")
            raise ApiError("unauthorized", "wrong username or password")
        self.by_username.succeeded(username)
        if needs_upgrade(stored):
            await self._upgrade(user, password)
        return self.config.users[username]

    def _refuse_while_blocked(self, username: str, address: str | None) -> None:
        """429 while the username or the address waits after its failures."""
        now = time.monotonic()
        by_address = self.by_address.wait(client_key(address, self.ipv6_prefix_length), now) if address is not None else None
        waits = [w for w in (self.by_username.wait(username, now), by_address) if w is not None]
        if waits:
            log.warning("sign-in of %r from %s refused: too many failures", username, address)
            raise too_many("too many failed sign-ins for this username or address", max(waits))

    def _decoy(self, username: str) -> str:
        """A real user's hash, the same one for the same name: an unknown name costs a real check."""
        hashes = [u.password_hash for u in self.config.users.values()] or [_spare_hash()]
        return hashes[int.from_bytes(hashlib.sha256(username.encode()).digest()[:4], "big") % len(hashes)]

    async def _upgrade(self, user: User, password: str) -> None:
        """Replace an old hash by argon2id, only where the new hash is kept: a token names its
        user's hash (api/auth.py), so a hash upgraded in memory alone would sign the user out at
        the next restart and on the other node of the hall."""
        if self.hall_file is None:
            return  # the shipped default hall: no file to keep it in
        fresh = await self.offload(hash_password, password, limiter=self.checks)
        try:
            await self.offload(store_password_hash, self.hall_file, user.username, fresh)
        except (ProvisioningError, OSError) as exc:
            log.warning("kept %s's old password hash: the upgraded one could not be written: %s", user.username, exc)
            return
        self.config.users[user.username] = dataclasses.replace(user, password_hash=fresh)
        log.info("upgraded %s's password hash to argon2id in %s", user.username, self.hall_file)


_SPARE: list[str] = []


def _spare_hash() -> str:
    """A hash of nothing anyone knows, for a hall without users."""
    if not _SPARE:
        _SPARE.append(hash_password(hashlib.sha256(str(time.time_ns()).encode()).hexdigest()))
    return _SPARE[0]
