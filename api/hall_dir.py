"""A hall directory (`hall init DIR`, `hall serve --data DIR`): every file of one hall in one place.

Paths are made absolute once, so the hall is the same whatever the working directory (a
systemd unit starts in `/`, a technician in their home).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HallDir:
    root: Path

    @classmethod
    def at(cls, path: str | Path) -> "HallDir":
        return cls(Path(path).expanduser().resolve())

    @property
    def hall_file(self) -> Path:
        return self.root / "hall.toml"

    @property
    def db_file(self) -> Path:
        return self.root / "hall.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_file}"

    @property
    def secret_file(self) -> Path:
        return self.root / "secret"

    @property
    def voice_dir(self) -> Path:
        return self.root / "voice"

    @property
    def credentials_file(self) -> Path:
        return self.root / "credentials.csv"

    @property
    def sheets_dir(self) -> Path:
        return self.root / "sheets"

    def make_store_private(self) -> None:
        """Create an empty hall.db readable by its owner only, before SQLite creates it with the
        umask's mode (SQLite gives its -wal and -shm files the mode of the store)."""
        if not self.db_file.exists():
            os.close(os.open(self.db_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
