"""Vietnamese mobile numbers: the one key a citizen gives for a web ticket or a booking.

A number is accepted as `0XXXXXXXXX`, `+84XXXXXXXXX` or `84XXXXXXXXX`, with spaces, dots or
dashes between digit groups, and kept in one form, `0` and nine digits, so "one waiting ticket
per phone" cannot be dodged by writing the same number another way. Mobile numbers begin with
03, 05, 07, 08 or 09 since the 2018 renumbering (11-digit 01x numbers were moved to 03x, 07x,
08x; landlines begin with 02), so anything else is refused: an SMS could never reach it.
"""

from __future__ import annotations

import re

MOBILE_PREFIXES = ("3", "5", "7", "8", "9")  # the digit after the leading 0
_SEPARATORS = re.compile(r"[\s.\-()]")
_SHAPE = re.compile(r"(?:\+84|84|0)(\d{9})")


class InvalidPhone(ValueError):
    """Not a Vietnamese mobile number; the message says what was expected."""


def mobile_number(text: str) -> str:
    """The number in its one stored form `0XXXXXXXXX`, or `InvalidPhone`."""
    digits = _SEPARATORS.sub("", text.strip())
    found = _SHAPE.fullmatch(digits)
    if found is None or found.group(1)[0] not in MOBILE_PREFIXES:
        raise InvalidPhone(
            "phone must be a Vietnamese mobile number: 10 digits beginning 03, 05, 07, 08 or 09 "
            "(or +84 and 9 digits)"
        )
    return "0" + found.group(1)
