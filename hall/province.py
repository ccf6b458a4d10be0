"""The province file: which halls one `hall serve --province FILE` serves.

```toml
[province]
name = "Tỉnh Quảng Nam"

[[halls]]
id = "qnam"                 # the hall's id in URLs (/h/qnam/…) and in the journal
file = "halls/qnam.toml"    # its hall file, relative to the province file
```

The first hall is also served at the root (`/api/v1/…`, `/display/hall`), so single-hall clients
keep working. A hall's `id` must equal its hall file's `hall.id`: the journal and statistics are
keyed by that id, and a second name for the same hall would split its history. The file is as
strict as a hall file: an unknown key, a missing file or a repeated id is refused, naming it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ConfigError

HALL_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")  # a URL path segment and an events.hall value
PROVINCE_KEYS = {"name"}
HALL_KEYS = {"id", "file"}


@dataclass(frozen=True)
class ProvinceHall:
    id: str
    file: Path  # absolute


@dataclass(frozen=True)
class Province:
    name: str
    halls: tuple[ProvinceHall, ...]

    @property
    def first(self) -> ProvinceHall:
        return self.halls[0]


def load_province(path: str | Path) -> Province:
    """Read and check a province file; ConfigError names the key and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the province file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_province(data, path.resolve().parent)


def parse_province(data: dict[str, Any], folder: Path) -> Province:
    _only(data, {"province", "halls"}, "the province file")
    head = data.get("province", {})
    if not isinstance(head, dict):
        raise ConfigError("province: expected a table")
    _only(head, PROVINCE_KEYS, "province")
    name = head.get("name", "")
    if not isinstance(name, str):
        raise ConfigError(f"province.name: expected a text, got {name!r}")
    items = data.get("halls")
    if not isinstance(items, list) or not items:
        raise ConfigError("halls: list at least one hall as [[halls]] with id and file")
    halls = [_hall(item, i, folder) for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, hall in enumerate(halls):
        if hall.id in seen:
            raise ConfigError(f"halls[{i}].id: {hall.id!r} is listed twice")
        seen.add(hall.id)
    return Province(name, tuple(halls))


def _hall(item: Any, i: int, folder: Path) -> ProvinceHall:
    where = f"halls[{i}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a table with id and file")
    _only(item, HALL_KEYS, where)
    hall_id, file = item.get("id"), item.get("file")
    if not isinstance(hall_id, str) or not HALL_ID.fullmatch(hall_id):
        raise ConfigError(f"{where}.id: expected lower-case letters, digits and '-' (at most 32), got {hall_id!r}")
    if not isinstance(file, str) or not file:
        raise ConfigError(f"{where}.file: expected the path of a hall file, got {file!r}")
    resolved = (folder / file).resolve()
    if not resolved.is_file():
        raise ConfigError(f"{where}.file: {resolved} does not exist")
    return ProvinceHall(hall_id, resolved)


def _only(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
