"""Signed bearer tokens for officers and staff, and what counts as the hall's own machine.

A token is `username.hall.expiry.fingerprint.nonce.signature` (username and hall base64url-encoded;
the nonce makes two sign-ins in the same second two tokens, so signing one out keeps the other),
signed with the hall's key (api/signing_secret.py: a 0600 file or the environment, never the
store). So officers stay signed in across a server restart (a crash at 10:00 must not send 61
officers back to the login screen) and no session table is needed, while:

* a token of one hall is refused by another hall that happens to share the key;
* the fingerprint is of the user's password hash (hall/credentials.py `fingerprint`): changing a
  password signs that user out everywhere;
* `POST /api/v1/auth/logout` revokes the token: its signature is kept, in the store, until the
  token would have expired anyway (api/revocations.py); a restart or a failover keeps it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

TOKEN_HOURS = 12


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    username: str
    hall: str
    expiry: int
    fingerprint: str
    signature: str  # also the token's identity for revocation


@dataclass(frozen=True)
class Signer:
    secret: bytes

    @classmethod
    def for_hall(cls, secret: bytes, hall: str) -> "Signer":
        """A signer whose key is derived from `secret` for one hall of a province: canbo01's
        token of one hall is refused by every other hall, though all share one key file."""
        return cls(hmac.new(secret, f"hall:{hall}".encode(), hashlib.sha256).digest())

    def issue(self, username: str, hall: str, fingerprint: str, now: float) -> str:
        expiry = int(now + TOKEN_HOURS * 3600)
        payload = f"{_b64(username)}.{_b64(hall)}.{expiry}.{fingerprint}.{secrets.token_urlsafe(6)}"
        return f"{payload}.{self._sign(payload)}"

    def verify(self, token: str, now: float) -> Claims | None:
        """The claims of a validly signed, unexpired token; None otherwise (revocations:
        api/revocations.py)."""
        try:
            username, hall, expiry, fingerprint, nonce, signature = token.split(".")
            payload = f"{username}.{hall}.{expiry}.{fingerprint}.{nonce}"
            if not hmac.compare_digest(signature, self._sign(payload)) or int(expiry) < now:
                return None
            claims = Claims(_unb64(username), _unb64(hall), int(expiry), fingerprint, signature)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        return claims

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
