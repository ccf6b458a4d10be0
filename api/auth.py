"""Officer and staff sign-in: signed bearer tokens, and who may act on which cabin.

Tokens are `username.expiry.signature`, signed with a secret kept in the store, so officers stay
signed in across a server restart (a crash at 10:00 must not send 61 officers back to the login
screen) and no session table is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from hall.config import HallConfig, User
from hall.credentials import verify_password

TOKEN_HOURS = 12


@dataclass(frozen=True)
class Signer:
    secret: bytes

    @classmethod
    def for_hall(cls, secret: bytes, hall: str) -> "Signer":
        """A signer whose key is derived from `secret` for one hall of a province: canbo01's
        token of one hall is refused by every other hall, though all share one key file."""
        return cls(hmac.new(secret, f"hall:{hall}".encode(), hashlib.sha256).digest())

    def issue(self, username: str, now: float) -> str:
        expiry = int(now + TOKEN_HOURS * 3600)
        payload = f"{username}.{expiry}"
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: float) -> str | None:
        """The username a valid, unexpired token belongs to; None otherwise."""
        try:
            username, expiry, signature = token.rsplit(".", 2)
            payload = f"{username}.{expiry}"
            if not hmac.compare_digest(signature, self._sign(payload)) or int(expiry) < now:
                return None
        except ValueError:
            return None
        return username

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def authenticate(config: HallConfig, username: str, password: str) -> User | None:
    user = config.users.get(username)
    if user is None or not verify_password(password, user.password_hash):
        return None
    return user


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
