"""A hall directory (`hall init DIR`, `hall serve --data DIR`): every file of one hall in one place.

Paths are made absolute once, so the hall is the same whatever the working directory (a
systemd unit starts in `/`, a technician in their home).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hall.journal import create_private_file


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
        """hall.db readable by its owner only, made before SQLite would make it with the umask's mode."""
        create_private_file(self.db_file)
