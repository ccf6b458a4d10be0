"""Password and device-token hashing, so the hall file never holds a secret.

New passwords are hashed with argon2id (argon2-cffi), memory-hard so a stolen hall file costs a
guesser memory as well as time. Hall files written by earlier releases hold PBKDF2-SHA256
hashes: they still verify, and `needs_upgrade` tells the sign-in to replace them with argon2id at
the user's next successful login (api/signin.py). The parameters (19 MiB, 2 passes, 1 lane: the
OWASP minimum) cost about 35 ms per check on the hall's 2-core server, run off the trio thread.

Device tokens are long random strings (192 bits), so a salted SHA-256 is enough for them and
keeps a kiosk's reconnect cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PBKDF2_ITERATIONS = 60_000  # what earlier releases wrote; still verified
ARGON2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789"  # no 0/O, 1/l/I, 2/Z, 5/S, b/6


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (`$argon2id$v=19$m=…`)."""
    return ARGON2.hash(password)


def pbkdf2_hash(password: str, iterations: int = PBKDF2_ITERATIONS, salt: str | None = None) -> str:
    """A PBKDF2-SHA256 hash as earlier releases wrote them (tests make old hall files with it)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored` (argon2id, or PBKDF2 from an earlier release)."""
    if stored.startswith("$argon2"):
        try:
            return ARGON2.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


def needs_upgrade(stored: str) -> bool:
    """A hash of an older scheme or weaker parameters: replace it at the next successful login."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return ARGON2.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def is_password_hash(stored: str) -> bool:
    """Whether `stored` is a password hash `verify_password` can check (the hall file's rule)."""
    if stored.startswith("$argon2id$"):
        return len(stored.split("$")) == 6
    parts = stored.split("$")
    return len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit() and all(parts[2:])


def fingerprint(stored: str) -> str:
    """A short digest of a stored hash, carried in tokens: a changed password signs the user out."""
    return hashlib.sha256(stored.encode()).hexdigest()[:16]


def is_token_hash(stored: str) -> bool:
    """Whether `stored` is a device-token hash `verify_token` can check."""
    parts = stored.split("$")
    return len(parts) == 3 and parts[0] == "sha256" and all(parts[1:])


def new_password() -> str:
    """A fresh password an officer can type: 12 letters and digits without look-alikes (about 68 bits)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))


def new_token() -> str:
    """A fresh device token (192 bits)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"sha256${salt}${hashlib.sha256((salt + token).encode()).hexdigest()}"


def verify_token(token: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    return hmac.compare_digest(hashlib.sha256((salt + token).encode()).hexdigest(), digest)
