"""One validation of the hall file, run by `hall check-config` and `hall serve` alike.

`hall.config.load_hall` checks every key and everything the domain knows. The sections other
packages read — `[device_protocol]` (devices), `[limits]` (api/limits.py), `[voice]` and `[display]` (displays) — are checked
here by their owners' rules, so a file `check-config` accepts is a file `serve` starts with, and
a file `serve` refuses is refused by `check-config` with the same message first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from devices.registry import settings_from_config
from displays.vi_numbers import Mode
from hall.config import ConfigError, HallConfig, load_hall

from .limits import settings_from_config as limit_settings


def _section(config: HallConfig, name: str) -> dict[str, Any]:
    return config.raw.get(name, {})  # a table: hall/config_keys.py has checked it is one


def check_voice(config: HallConfig) -> None:
    mode = _section(config, "voice").get("mode", "number")
    if mode not in get_args(Mode):
        raise ConfigError(f"voice.mode: expected one of {', '.join(get_args(Mode))}, got {mode!r}")


def check_display(config: HallConfig) -> None:
    notices = _section(config, "display").get("notices")
    if notices is not None and (not isinstance(notices, list) or not all(isinstance(n, str) for n in notices)):
        raise ConfigError(f"display.notices: expected a list of texts, got {notices!r}")


SECTION_CHECKS: tuple[Callable[[HallConfig], object], ...] = (settings_from_config, limit_settings, check_voice, check_display)


def load_checked_hall(path: str | Path | None = None) -> HallConfig:
    """The hall file loaded and every section checked; ConfigError names the key and the problem."""
    config = load_hall(path)
    for check in SECTION_CHECKS:
        check(config)
    return config
