"""The message catalogues: every word a page, a printout or the voice says, one file per language.

`displays/messages/<lang>.json` maps a key (`officer.error.cabin_busy`, `citizen.your_number`) to
its text, with `{name}` placeholders. Vietnamese (`vi`) is the hall's language and the reference:
every other catalogue has exactly its keys and, per key, the same placeholders
(tests/test_messages.py). Pages read a catalogue as JSON from `GET /messages/<lang>.json` through
`loadMessages` / `t` of displays/static/live.js; server-side code (letters, tickets, the voice)
calls `text`. Keys are grouped by who reads them: `citizen.*` (kiosk, ticket, tracking, TV,
voice, letters — one form of address, docs/screens.md), `officer.*`, `board.*`, `letter.*`, …

A new language is a new file here and its code in `LANGUAGES`; nothing else changes.
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
LANGUAGE_TAG = re.compile(r"^[a-z]{2}$")


class UnknownLanguage(LookupError):
    pass


@functools.cache
def catalogue(lang: str = DEFAULT) -> Mapping[str, str]:
    """The catalogue of `lang`, read once; UnknownLanguage for a language the hall has no file for."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(f"no messages in {lang!r}; one of {', '.join(LANGUAGES)}")
    raw = resources.files("displays").joinpath("messages", f"{lang}.json").read_text("utf-8")
    return MappingProxyType(json.loads(raw))


def catalogue_json(lang: str) -> bytes:
    """The catalogue as the pages fetch it (UTF-8 JSON)."""
    return json.dumps(dict(catalogue(lang)), ensure_ascii=False, sort_keys=True).encode("utf-8")


def text(key: str, lang: str = DEFAULT, **values: object) -> str:
    """The message `key` in `lang` with its `{placeholders}` filled; KeyError names a missing key."""
    found = catalogue(lang).get(key)
    if found is None:
        raise KeyError(f"no message {key!r} in {lang}.json")
    return found.format(**values) if values else found


def placeholders(message: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(message) if name)


def preferred(accept_language: str | None, asked: str | None = None) -> str:
    """The language to answer in: `asked` (?lang=) if the hall has it, else the first of the
    browser's Accept-Language it has, else Vietnamese."""
    wanted = [asked or ""] + [part.split(";")[0].strip().lower()[:2] for part in (accept_language or "").split(",")]
    return next((lang for lang in wanted if lang in LANGUAGES), DEFAULT)
