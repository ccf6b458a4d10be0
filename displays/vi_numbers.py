"""Vietnamese words for numbers, digits, letters and the call announcement.

Theory of operation
-------------------
The speech engine is never given digits: its own number reading is not what the hall wants
(and differs between engine versions), so every number is spelled out here, in the standard
northern reading used in public announcements.

A number is split into groups of three digits from the right (đơn vị, nghìn, triệu); the
billions (tỷ) are read recursively, so any size works ("một nghìn tỷ" for 10**12).

* The leading group is read as it is: 23 000 → "hai mươi ba nghìn".
* A later non-zero group is read with all three places, so a zero hundreds place is spoken
  "không trăm" and a zero tens place before a unit is spoken "linh":
  1023 → "một nghìn không trăm hai mươi ba", 2005 → "hai nghìn không trăm linh năm".
* A group that is entirely zero is skipped: 1 000 000 → "một triệu",
  1 000 005 → "một triệu không trăm linh năm".

Inside a group (the spoken irregularities):

* tens 1 is "mười" (10, 11 "mười một", 15 "mười lăm"); tens 2–9 is "<digit> mươi".
* unit 1 after "mươi" is "mốt" (21 "hai mươi mốt"); after "mười" or "linh" it stays "một".
* unit 5 after "mười" or "mươi" is "lăm" (15, 25); after "linh" or alone it stays "năm" (105).
* unit 4 after "mươi" is read "bốn" (24 "hai mươi bốn"). "tư" (24 "hai mươi tư") is also
  correct and common in speech, but "bốn" is the reading that is never wrong or regional, so it
  is the default; pass ``tu=True`` to :func:`read_number` to get "tư".
* a zero tens place before a non-zero unit is "linh" (the northern word; the south says "lẻ").

Ticket numbers may carry a letter prefix ("A023", "KH105"); letters are read by their
Vietnamese names and the number part as a number ("a, hai mươi ba") or digit by digit.
"""

from __future__ import annotations

import re
from typing import Literal

from . import messages

__all__ = [
    "DIGIT_WORDS",
    "LETTER_NAMES",
    "Mode",
    "announcement_text",
    "letter_name",
    "read_digits",
    "read_number",
    "read_ticket_number",
]

Mode = Literal["number", "digits"]

DIGIT_WORDS: tuple[str, ...] = (
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
)

# The Vietnamese alphabet's letter names as taught in school, plus the four Latin letters that
# are not Vietnamese (F, J, W, Z) by their usual spoken names. The hyphen joins the syllables of
# one name; announcement text turns it into a space for the speech engine.
LETTER_NAMES: dict[str, str] = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê",
    "E": "e", "Ê": "ê", "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "gi",
    "K": "ca", "L": "e-lờ", "M": "em-mờ", "N": "en-nờ", "O": "o", "Ô": "ô", "Ơ": "ơ",
    "P": "pê", "Q": "quy", "R": "e-rờ", "S": "ét-sì", "T": "tê", "U": "u", "Ư": "ư",
    "V": "vê", "W": "vê-kép", "X": "ích-xì", "Y": "i dài", "Z": "dét",
}

_SCALES = ((10**6, "triệu"), (10**3, "nghìn"))
_BILLION = 10**9


def read_number(n: int, *, tu: bool = False) -> str:
    """Read a non-negative integer in Vietnamese words, e.g. 1023 → "một nghìn không trăm hai
    mươi ba". ``tu=True`` reads a unit 4 after "mươi" as "tư" instead of "bốn"."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"read_number needs an int, got {n!r}")
    if n < 0:
        raise ValueError(f"read_number reads non-negative numbers, got {n}")
    if n == 0:
        return DIGIT_WORDS[0]
    return " ".join(_read_positive(n, tu=tu))


def _read_positive(n: int, *, tu: bool) -> list[str]:
    """Words for 1 <= n, with the leading group read as it is."""
    words: list[str] = []
    if n >= _BILLION:
        high, n = divmod(n, _BILLION)
        words += _read_positive(high, tu=tu)
        words.append("tỷ")
        if n == 0:
            return words
        full = True  # the rest follows a higher group: read every place
    else:
        full = False
    for scale, name in _SCALES:
        group, n = divmod(n, scale)
        if group:
            words += _read_group(group, full=full, tu=tu)
            words.append(name)
            full = True
    if n:
        words += _read_group(n, full=full, tu=tu)
    return words


def _read_group(g: int, *, full: bool, tu: bool) -> list[str]:
    """Words for 1 <= g <= 999. ``full``: a higher group precedes, so a zero hundreds place is
    spoken ("không trăm") and a lone unit gets "linh"."""
    hundreds, rest = divmod(g, 100)
    tens, unit = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if unit:
            if words:
                words.append("linh")
            words.append(DIGIT_WORDS[unit])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGIT_WORDS[tens], "mươi"]
    if unit == 1 and tens >= 2:
        words.append("mốt")
    elif unit == 4 and tens >= 2 and tu:
        words.append("tư")
    elif unit == 5:
        words.append("lăm")
    elif unit:
        words.append(DIGIT_WORDS[unit])
    return words


def read_digits(digits: str) -> str:
    """Read a string of decimal digits one by one: "1023" → "một không hai ba"."""
    if not digits or not all(c in "0123456789" for c in digits):
        raise ValueError(f"read_digits needs a non-empty string of digits 0-9, got {digits!r}")
    return " ".join(DIGIT_WORDS[int(c)] for c in digits)


def letter_name(letter: str) -> str:
    """The Vietnamese name of one letter ("K" → "ca"); lower case is accepted."""
    name = LETTER_NAMES.get(letter.upper()) if len(letter) == 1 else None
    if name is None:
        raise ValueError(f"no Vietnamese letter name for {letter!r}")
    return name


# A ticket number: an optional letter prefix, an optional separator, then digits.
_TICKET = re.compile(r"(?P<prefix>[^\W\d_]*)[\s.\-]?(?P<digits>\d+)")


def read_ticket_number(number: str, mode: Mode = "number") -> str:
    """Words for a ticket number as printed: "A023" → "a, hai mươi ba" (mode "number", leading
    zeros dropped) or "a, không hai ba" (mode "digits"); "1023" → "một nghìn không trăm hai
    mươi ba". Letters are read by name, separated by spaces ("KH" → "ca hát")."""
    if mode not in ("number", "digits"):
        raise ValueError(f"mode must be 'number' or 'digits', got {mode!r}")
    match = _TICKET.fullmatch(number.strip()) if isinstance(number, str) else None
    if match is None:
        raise ValueError(f"not a ticket number (letters then digits): {number!r}")
    digits = match["digits"]
    if not digits.isascii():
        raise ValueError(f"ticket number digits must be 0-9: {number!r}")
    spoken = read_number(int(digits)) if mode == "number" else read_digits(digits)
    prefix = match["prefix"]
    if not prefix:
        return spoken
    letters = " ".join(letter_name(c).replace("-", " ") for c in prefix)
    return f"{letters}, {spoken}"


def announcement_text(number: str, cabin: int, mode: Mode = "number") -> str:
    """The sentence the voice speaks for a call, every number in words:
    ``announcement_text("1023", 12)`` → "Mời ông bà có số thứ tự một nghìn không trăm hai
    mươi ba, đến quầy số mười hai". The cabin is always read as a number; ``mode`` applies to
    the ticket number only. The sentence is `citizen.call_voice` of the message catalogue."""
    if isinstance(cabin, bool) or not isinstance(cabin, int) or cabin < 0:
        raise ValueError(f"cabin must be a non-negative int, got {cabin!r}")
    ticket = read_ticket_number(number, mode)
    return messages.text("citizen.call_voice", ticket=ticket, cabin=read_number(cabin))
