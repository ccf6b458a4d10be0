"""One validation of the hall file, run by `hall check-config` and `hall serve` alike.

`hall.config.load_hall` checks every key and everything the domain knows. The sections other
packages read — `[device_protocol]` (devices), `[limits]` (api/limits.py), `[voice]` and
`[display]` (displays), `[booking]` and the services' `booking` (hall/appointments.py) — are checked
here by their owners' rules, so a file `check-config` accepts is a file `serve` starts with, and
a file `serve` refuses is refused by `check-config` with the same message first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

from devices.registry import settings_from_config
from displays.screen_settings import screen_settings
from displays.vi_numbers import Mode
from hall.appointments import booking_rules, check_in_window
from hall.config import ConfigError, HallConfig, load_hall
from hall.province import Province, load_province
from hall.notices import notify_settings

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
    screen_settings(config)


SECTION_CHECKS: tuple[Callable[[HallConfig], object], ...] = (
    settings_from_config, limit_settings, check_voice, check_display, booking_rules, check_in_window, notify_settings,
)


def load_checked_hall(path: str | Path | None = None) -> HallConfig:
    """The hall file loaded and every section checked; ConfigError names the key and the problem."""
    config = load_hall(path)
    for check in SECTION_CHECKS:
        check(config)
    return config


def load_checked_province(path: str | Path) -> tuple[Province, list[HallConfig]]:
    """A province file and each of its hall files, checked as `hall check-config` checks one;
    a hall listed under an id its hall file does not have is refused."""
    province = load_province(path)
    configs = []
    for index, hall in enumerate(province.halls):
        config = load_checked_hall(hall.file)
        if config.id != hall.id:
            raise ConfigError(f"{path}: halls[{index}].id is {hall.id!r} but {hall.file} says hall.id = {config.id!r}")
        configs.append(config)
    return province, configs
