"""Golden readings of Vietnamese numbers and call announcements, and a property test that every
number up to a billion reads to known words that say the same number back."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from displays.vi_numbers import (
    announcement_text,
    letter_name,
    read_digits,
    read_number,
    read_ticket_number,
)

GOLDEN = [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi bốn"),
    (25, "hai mươi lăm"),
    (55, "năm mươi lăm"),
    (91, "chín mươi mốt"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1010, "một nghìn không trăm mười"),
    (1023, "một nghìn không trăm hai mươi ba"),
    (1100, "một nghìn một trăm"),
    (2005, "hai nghìn không trăm linh năm"),
    (10_000, "mười nghìn"),
    (21_000, "hai mươi mốt nghìn"),
    (105_000, "một trăm linh năm nghìn"),
    (1_000_000, "một triệu"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_020_300, "một triệu không trăm hai mươi nghìn ba trăm"),
    (1_000_000_000, "một tỷ"),
    (2_000_023_000, "hai tỷ không trăm hai mươi ba nghìn"),
    (10**12, "một nghìn tỷ"),
]


@pytest.mark.parametrize(("n", "words"), GOLDEN)
def test_numbers_read_the_vietnamese_way(n, words):
    assert read_number(n) == words


def test_twenty_four_can_be_read_tu_on_request():
    assert read_number(24, tu=True) == "hai mươi tư"
    assert read_number(14, tu=True) == "mười bốn"  # "tư" only after "mươi"
    assert read_number(104, tu=True) == "một trăm linh bốn"


@pytest.mark.parametrize("bad", [-1, 1.5, "12", True])
def test_read_number_refuses_what_is_not_a_non_negative_int(bad):
    with pytest.raises((ValueError, TypeError)):
        read_number(bad)


def test_digits_are_read_one_by_one():
    assert read_digits("1023") == "một không hai ba"
    assert read_digits("0005") == "không không không năm"
    for bad in ["", "12a", "١٢"]:
        with pytest.raises(ValueError):
            read_digits(bad)


@pytest.mark.parametrize(
    ("letter", "name"),
    [("A", "a"), ("B", "bê"), ("C", "xê"), ("D", "dê"), ("Đ", "đê"), ("E", "e"), ("G", "giê"),
     ("H", "hát"), ("K", "ca"), ("L", "e-lờ"), ("M", "em-mờ"), ("N", "en-nờ"), ("P", "pê"),
     ("Q", "quy"), ("R", "e-rờ"), ("S", "ét-sì"), ("T", "tê"), ("V", "vê"), ("X", "ích-xì"),
     ("Y", "i dài"), ("k", "ca"), ("đ", "đê")],
)
def test_letters_have_their_vietnamese_names(letter, name):
    assert letter_name(letter) == name


@pytest.mark.parametrize(
    ("ticket", "mode", "words"),
    [
        ("1023", "number", "một nghìn không trăm hai mươi ba"),
        ("1023", "digits", "một không hai ba"),
        ("A023", "number", "a, hai mươi ba"),
        ("A023", "digits", "a, không hai ba"),
        ("KH105", "number", "ca hát, một trăm linh năm"),
        ("KH105", "digits", "ca hát, một không năm"),
        ("L7", "number", "e lờ, bảy"),
        ("Đ001", "number", "đê, một"),
        ("B-015", "number", "bê, mười lăm"),
        ("a000", "number", "a, không"),
    ],
)
def test_ticket_numbers_with_letter_prefixes(ticket, mode, words):
    assert read_ticket_number(ticket, mode) == words


@pytest.mark.parametrize("bad", ["", "A", "12A", "A 1 2", "Ω12", "A١٢"])
def test_a_malformed_ticket_number_is_refused_not_misread(bad):
    with pytest.raises(ValueError):
        read_ticket_number(bad)


def test_the_call_announcement_spells_out_ticket_and_cabin():
    assert announcement_text("1023", 12) == (
        "Mời ông bà có số thứ tự một nghìn không trăm hai mươi ba, đến quầy số mười hai"
    )
    assert announcement_text("A023", 5) == (
        "Mời ông bà có số thứ tự a, hai mươi ba, đến quầy số năm"
    )
    assert announcement_text("KH105", 61, "digits") == (
        "Mời ông bà có số thứ tự ca hát, một không năm, đến quầy số sáu mươi mốt"
    )


def test_the_announcement_never_contains_a_digit():
    for ticket in ["1023", "A023", "KH105", "0", "999999"]:
        for mode in ("number", "digits"):
            text = announcement_text(ticket, 61, mode)
            assert not any(c.isdigit() for c in text), text


# --- every number reads, to known words, that say the same number back ----------------------

UNITS = {"không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
         "tám": 8, "chín": 9, "mốt": 1, "lăm": 5, "tư": 4}
VOCABULARY = set(UNITS) | {"mười", "mươi", "linh", "trăm", "nghìn", "triệu", "tỷ"}
SCALE = {"nghìn": 10**3, "triệu": 10**6, "tỷ": 10**9}


def parse_words(text: str) -> int:
    """An independent reader of the words back into a number (up to 999 999 999 999)."""
    total = group = 0
    digit = None
    for word in text.split(" "):
        if word in UNITS:
            assert digit is None, f"two digits in a row in {text!r}"
            digit = UNITS[word]
        elif word == "mười":
            group += 10
        elif word == "mươi":
            group += digit * 10
            digit = None
        elif word == "trăm":
            group += digit * 100
            digit = None
        elif word == "linh":
            assert group % 100 == 0 and group >= 100 or total, text
        elif word in SCALE:
            group += digit or 0
            digit = None
            if word == "tỷ":
                total = (total + group) * SCALE[word]
            else:
                total += group * SCALE[word]
            group = 0
        else:
            raise AssertionError(f"unknown word {word!r} in {text!r}")
    return total + group + (digit or 0)


@settings(max_examples=3000)
@given(st.integers(min_value=0, max_value=10**9) | st.sampled_from([0, 10**9, 999_999_999]))
def test_every_number_up_to_a_billion_reads_in_known_words(n):
    text = read_number(n)
    words = text.split(" ")
    assert all(w in VOCABULARY for w in words), text
    assert parse_words(text) == n
    for before, word in zip(words, words[1:]):
        if word == "mốt":
            assert before == "mươi", text
        if word == "lăm":
            assert before in ("mươi", "mười"), text
        if before == "linh":
            assert word in UNITS and word not in ("không", "mốt", "lăm", "tư"), text
    # "không" stands alone only for zero, and otherwise only as "không trăm"
    for i, w in enumerate(words):
        if w == "không" and n != 0:
            assert words[i + 1] == "trăm", text


@settings(max_examples=500)
@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_digits_mode_reads_one_word_per_digit(digits):
    assert len(read_digits(digits).split(" ")) == len(digits)
