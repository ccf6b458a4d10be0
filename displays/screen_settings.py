"""What the hall file says about its screens beyond the notices: `[display] rotate_seconds` and
`[display.shortcuts]` (docs/configuration.md). Sent to every screen in its snapshot (`display`).

* `rotate_seconds` — how long a TV shows one page of a list that does not fit its screen (the
  hall display's queues, the board's agencies). The pages themselves shorten it when there are
  so many pages that a whole turn would pass `FULL_TURN_SECONDS`: every queue and every agency is
  on screen at least once in 30 s, whatever the hall file says.
* `shortcuts` — the officer console's keys, action → key as the browser names it (`F2`,
  `Alt+N`, `Ctrl+Shift+K`): function keys by default, since an officer's hands are on the
  keyboard and an F-key types nothing into the field being edited; for the same reason a letter
  or digit needs Alt or Ctrl. F1, F5, F11 and F12 belong to the browser (help, reload, full
  screen, developer tools) and are refused.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hall.config import ConfigError, HallConfig

FULL_TURN_SECONDS = 30.0
ROTATE_SECONDS = 8.0
SHORTCUTS = {"call-next": "F2", "recall": "F3", "start": "F4", "finish": "F6", "no-show": "F7", "pause": "F8"}
BROWSER_KEYS = frozenset({"F1", "F5", "F11", "F12"})
# A function key (with or without modifiers), or a letter or digit with Alt or Ctrl: a bare letter
# would fire while the officer types a number into "Gọi số cụ thể".
KEY = re.compile(r"^((Ctrl\+)?(Alt\+)?(Shift\+)?F([1-9]|1[0-2])|(Ctrl\+(Alt\+)?|Alt\+)(Shift\+)?[A-Z0-9])$")


@dataclass(frozen=True)
class ScreenSettings:
    rotate_seconds: float = ROTATE_SECONDS
    full_turn_seconds: float = FULL_TURN_SECONDS
    shortcuts: dict[str, str] = field(default_factory=lambda: dict(SHORTCUTS))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def screen_settings(config: HallConfig) -> ScreenSettings:
    """The hall file's screen settings, checked; ConfigError names the key and the problem."""
    table = config.raw.get("display", {}) if isinstance(config.raw, dict) else {}
    rotate = table.get("rotate_seconds", ROTATE_SECONDS)
    if isinstance(rotate, bool) or not isinstance(rotate, (int, float)) or not 0.1 <= rotate <= FULL_TURN_SECONDS:
        raise ConfigError(f"display.rotate_seconds: expected a number of seconds from 0.1 to {FULL_TURN_SECONDS:g}, got {rotate!r}")
    # The hall file names actions with underscores (`call_next`), the console with hyphens, as its routes do.
    shortcuts = {**SHORTCUTS, **{action.replace("_", "-"): key for action, key in table.get("shortcuts", {}).items()}}
    for action, key in shortcuts.items():
        if not isinstance(key, str) or not KEY.match(key) or key in BROWSER_KEYS:
            raise ConfigError(f"display.shortcuts.{action.replace('-', '_')}: expected a key such as F2 or Alt+N "
                              f"(a letter needs Alt or Ctrl; not F1, F5, F11, F12: the browser's), got {key!r}")
    taken = [key for key in shortcuts.values() if list(shortcuts.values()).count(key) > 1]
    if taken:
        raise ConfigError(f"display.shortcuts: {taken[0]} is given to more than one action")
    return ScreenSettings(float(rotate), FULL_TURN_SECONDS, shortcuts)
