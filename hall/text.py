"""Free text typed by people (pause reasons, citizens' names, status reasons): what it may hold.

Control characters have no place in one line of text a person typed, and some break what comes
after: PostgreSQL refuses NUL in a text column (before this check that failed the journal's
commit and stopped the whole hall), a tab or a carriage return starts a formula in a
spreadsheet, an escape byte reaches a receipt printer. So they are refused at the door, naming
the field: by `api/request_body.py` for every string of a JSON body, and by `Engine.handle` for
every string of every command, whatever sent it (HTTP, a keypad, a simulator).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

# Unicode category Cc, and lone surrogates (Cs): JSON may escape one ("\\ud800"), but no store,
# password hash or printer can encode it as UTF-8 (it was a 500 at sign-in).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def control_character(text: str) -> str | None:
    """The first control character (or lone surrogate) of `text` as `U+0000`, or None."""
    found = CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def text_problem(record: Any) -> str | None:
    """Names the first string field of a dataclass record holding a control character, if any."""
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if isinstance(value, str) and (bad := control_character(value)):
            return f"field {item.name!r} holds the character {bad} (a control character or a lone surrogate); free text must be printable"
    return None
