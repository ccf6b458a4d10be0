"""Making a hall's credentials: `hall init DIR`, `hall users passwd`, `hall devices token`.

`hall init` starts from the shipped default hall (its comments kept), gives every user a fresh
password and every device a fresh token, stores only their hashes in `DIR/hall.toml`, and hands
the plain values out once: `DIR/credentials.csv` (kind,id,secret; mode 0600) and a printable
sheet per cabin in `DIR/sheets/` for the floor manager. Replacing one credential edits the hall
file in place with tomlkit, so the technician's comments and layout stay as they were.

Hashes come from `hall.credentials` only; this module never looks inside one.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomlkit

from displays.documents import cabin_sheet, hall_sheet
from hall.config import DEFAULT_HALL_FILE, ConfigError, HallConfig, parse_hall
from hall.credentials import hash_password, hash_token, new_password, new_token

from .hall_dir import HallDir
from .signing_secret import write_secret_file

# The default hall's comments that describe its demo credentials, and what a hall made by
# `hall init` says instead (tests/test_provisioning.py checks each line is still in the file).
DEMO_COMMENTS = {
    '# codes and time limits, officer names. Demo credentials: every password is "demo", every device token is':
        "# codes and time limits, officer names. Credentials: made by `hall init`, a random password per user and",
    '# "demo-" + device id; the server refuses to listen on a non-loopback address while demo_credentials = true.':
        "# a random token per device, given once in credentials.csv; replace one with `hall users passwd` or `hall devices token`.",
    '# Demo accounts (password "demo"); officer names are SAMPLE.':
        "# Accounts (passwords given once in credentials.csv); officer names are SAMPLE.",
    '# Demo devices (token "demo-" + id): four kiosks each with its printer, a rating pad and a keypad per cabin.':
        "# Devices (tokens given once in credentials.csv): four kiosks each with its printer, a rating pad and a keypad per cabin.",
}


class ProvisioningError(Exception):
    """The hall directory or file cannot be changed as asked; the message says why."""


@dataclass(frozen=True)
class Credential:
    kind: str  # "user" | "device"
    id: str
    secret: str


def init_hall(root: Path, public_url: str | None = None) -> list[Credential]:
    """Write a working hall directory with fresh credentials; the plain credentials made.
    `public_url` (the address in QR codes and on the sheets) replaces the default hall's."""
    hall = HallDir.at(root)
    taken = [p for p in (hall.hall_file, hall.credentials_file, hall.secret_file, hall.db_file) if p.exists()]
    if taken:
        raise ProvisioningError(f"{hall.root} already holds a hall ({taken[0].name}); `hall init` never overwrites one")
    doc = tomlkit.parse(default_hall_text())
    doc["hall"]["demo_credentials"] = False
    if public_url is not None:
        doc["hall"]["public_url"] = public_url
    made = _fresh_credentials(doc)
    config = _valid(doc, "the new hall file")
    hall.root.mkdir(mode=0o750, parents=True, exist_ok=True)
    write_file(hall.hall_file, tomlkit.dumps(doc), 0o640)
    write_file(hall.credentials_file, _csv(made), 0o600)
    write_secret_file(hall.secret_file)
    write_sheets(hall.sheets_dir, config, made)
    return made


def default_hall_text() -> str:
    """The shipped hall file with its demo-credential comments replaced."""
    text = resources.files("hall").joinpath(DEFAULT_HALL_FILE).read_text("utf-8")
    return "\n".join(DEMO_COMMENTS.get(line, line) for line in text.split("\n"))


def replace_password(hall_file: Path, username: str) -> str:
    """Give one user a fresh password in the hall file (edited in place); the plain password."""
    password = new_password()
    _edit(hall_file, "users", "username", username, "password_hash", hash_password(password))
    return password


def store_password_hash(hall_file: Path, username: str, password_hash: str) -> None:
    """Keep a user's new password hash in the hall file (the sign-in's upgrade to argon2id)."""
    _edit(hall_file, "users", "username", username, "password_hash", password_hash)


def replace_token(hall_file: Path, device_id: str) -> str:
    """Give one device a fresh token in the hall file (edited in place); the plain token."""
    token = new_token()
    _edit(hall_file, "devices", "id", device_id, "token_hash", hash_token(token))
    return token


def _fresh_credentials(doc: Any) -> list[Credential]:
    users = [(item, new_password()) for item in doc.get("users", [])]
    devices = [(item, new_token()) for item in doc.get("devices", [])]
    # argon2 releases the GIL: 63 passwords hash on every core at once (seconds, not minutes).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        hashes = list(pool.map(hash_password, [password for _, password in users]))
    for (item, _), hashed in zip(users, hashes):
        item["password_hash"] = hashed
    for item, token in devices:
        item["token_hash"] = hash_token(token)
    return ([Credential("user", str(item["username"]), password) for item, password in users]
            + [Credential("device", str(item["id"]), token) for item, token in devices])


def _edit(hall_file: Path, table: str, key: str, wanted: str, field: str, value: str) -> None:
    try:
        doc = tomlkit.parse(hall_file.read_text("utf-8"))
    except OSError as exc:
        raise ProvisioningError(f"cannot read hall file {hall_file}: {exc.strerror}") from None
    except tomlkit.exceptions.ParseError as exc:
        raise ProvisioningError(f"{hall_file}: not valid TOML: {exc}") from None
    items = list(doc.get(table, []))
    match = next((item for item in items if item.get(key) == wanted), None)
    if match is None:
        known = [str(item.get(key)) for item in items]
        nearest = difflib.get_close_matches(wanted, known, n=1)
        hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
        raise ProvisioningError(f"{hall_file}: no {table[:-1]} {wanted!r}{hint}")
    match[field] = value
    _valid(doc, str(hall_file))
    write_file(hall_file, tomlkit.dumps(doc), _mode(hall_file))


def _valid(doc: Any, source: str) -> HallConfig:
    try:
        return parse_hall(doc.unwrap())
    except ConfigError as exc:
        raise ProvisioningError(f"{source}: {exc}") from None


def write_sheets(folder: Path, config: HallConfig, made: Iterable[Credential]) -> None:
    secrets = {(c.kind, c.id): c.secret for c in made}
    folder.mkdir(mode=0o700, exist_ok=True)
    pages: dict[str, Callable[[], str]] = {"hall.html": lambda: hall_sheet(config, secrets)}
    for number in config.cabins:
        pages[f"cabin-{number:02d}.html"] = lambda number=number: cabin_sheet(config, number, secrets)
    for name, render in pages.items():
        write_file(folder / name, render(), 0o600)


def _csv(made: list[Credential]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "id", "secret"])
    writer.writerows([c.kind, c.id, c.secret] for c in made)
    return out.getvalue()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def write_file(path: Path, text: str, mode: int) -> None:
    """Replace `path` atomically with `text`, created with `mode` (never wider for a moment)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
