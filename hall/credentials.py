"""Password and device-token hashing (stdlib only), so the hall file never holds a secret.

Passwords use PBKDF2-SHA256 with a per-user salt; device tokens are long random strings, so a
salted SHA-256 is enough for them and keeps a kiosk's reconnect cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PASSWORD_ITERATIONS = 60_000
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789"  # no 0/O, 1/l/I, 2/Z, 5/S, b/6


def hash_password(password: str, iterations: int = PASSWORD_ITERATIONS, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


def is_password_hash(stored: str) -> bool:
    """Whether `stored` is a password hash `verify_password` can check (the hall file's rule)."""
    parts = stored.split("$")
    return len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit() and all(parts[2:])


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
