"""The key that signs officers' tokens: from the environment or a file only its owner can read.

Where it comes from, first found wins:

1. `HALL_SECRET` — the key itself (at least 32 characters), e.g. from a secrets manager;
2. `HALL_SECRET_FILE` — a file holding it;
3. the hall's own file: `DIR/secret` with `hall serve --data DIR` (written by `hall init`), or,
   without `--data`, `secret` beside a SQLite store (`./var/secret` for `make serve`) or
   `./var/secret` for a PostgreSQL store. A missing default file is created with mode 0600.

A key file that group or others may read is refused: whoever reads it can sign in as anyone.
The key is not kept in the store, so a copy of the database (a backup, a read-only report
account) cannot mint tokens, and every node of a hall can be given the same key.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

MIN_LENGTH = 32


class SecretRefused(Exception):
    """The signing key cannot be used; the message says why and what to do."""


def default_secret_file(db_url: str) -> Path:
    """Where the key lives without `--data`: beside a SQLite store, else ./var/secret."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).resolve().parent / "secret"
    return Path.cwd() / "var" / "secret"


def load_signing_secret(default_file: Path) -> bytes:
    """The signing key, from HALL_SECRET, HALL_SECRET_FILE or `default_file` (created if missing)."""
    if value := os.environ.get("HALL_SECRET"):
        return _checked(value, "HALL_SECRET")
    if named := os.environ.get("HALL_SECRET_FILE"):
        return _read(Path(named))
    if not default_file.exists():
        write_secret_file(default_file)
    return _read(default_file)


def write_secret_file(path: Path) -> None:
    """A new random key in `path`, created with mode 0600 (never over an existing file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text("utf-8")
    except OSError as exc:
        raise SecretRefused(f"cannot read the signing key {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretRefused(f"the signing key {path} may be read by other users (mode {stat.S_IMODE(mode):04o}); "
                            f"run `chmod 600 {path}`")
    return _checked(text.strip(), str(path))


def _checked(value: str, source: str) -> bytes:
    if len(value) < MIN_LENGTH:
        raise SecretRefused(f"the signing key from {source} is too short ({len(value)} characters, at least {MIN_LENGTH})")
    return value.encode()
