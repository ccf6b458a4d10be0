"""The message catalogues: every language has every key, with the same placeholders, and the
pages get them from the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devices.escpos_render import receipt_lines, ticket_lines
from displays import messages

ROOT = Path(__file__).resolve().parent.parent


def test_every_language_has_exactly_the_keys_and_placeholders_of_vietnamese():
    reference = messages.catalogue("vi")
    for lang in messages.LANGUAGES:
        found = messages.catalogue(lang)
        assert set(found) == set(reference), (lang, set(found) ^ set(reference))
        for key, text in reference.items():
            assert messages.placeholders(found[key]) == messages.placeholders(text), (lang, key)
            assert found[key].strip(), (lang, key)


def test_a_message_is_filled_in_and_a_missing_one_is_named():
    assert messages.text("citizen.called_at", number="W012", cabin=33) == "Số W012 đang được mời đến quầy 33"
    assert messages.text("citizen.called_at", "en", number="W012", cabin=33) == "Number W012, please go to counter 33"
    with pytest.raises(KeyError, match="no.such"):
        messages.text("no.such")
    with pytest.raises(messages.UnknownLanguage, match="'fr'"):
        messages.catalogue("fr")


@pytest.mark.parametrize(("accept", "asked", "chosen"), [
    (None, None, "vi"), ("en-GB,en;q=0.9", None, "en"), ("fr-FR, en;q=0.5", None, "en"),
    ("fr", None, "vi"), ("en", "vi", "vi"), (None, "en", "en"), (None, "xx", "vi"),
])
def test_the_language_is_the_asked_one_then_the_browsers_then_vietnamese(accept, asked, chosen):
    assert messages.preferred(accept, asked) == chosen


async def test_the_pages_get_each_catalogue_from_the_server(client):
    for lang in messages.LANGUAGES:
        answer = await client.get(f"/messages/{lang}.json")
        assert answer.status_code == 200
        assert answer.json() == dict(messages.catalogue(lang))
    missing = await client.get("/messages/fr.json")
    assert missing.status_code == 404 and "fr" in missing.json()["error"]["message"]


# ---- one form of address for citizens: "Ông/Bà" (docs/screens.md says why) -------------------

OTHER_ADDRESSES = re.compile(r"\b(công dân|quý khách|Quý khách|bạn|Bạn)\b")
CITIZEN_FACING = ("displays/pages", "displays/static", "displays/templates", "displays/messages",
                  "displays/hall_view.py", "displays/vi_numbers.py", "devices/escpos_render.py")


def test_citizens_are_addressed_one_way_everywhere():
    found = []
    for place in CITIZEN_FACING:
        path = ROOT / place
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.suffix in (".html", ".js", ".json", ".py") and file.name != "en.json":
                found += [f"{file.relative_to(ROOT)}: {m.group(0)}" for m in OTHER_ADDRESSES.finditer(file.read_text("utf-8"))]
    assert found == []
    assert "Ông/Bà" in messages.text("citizen.your_number") and "ông bà" in messages.text("citizen.call_voice", ticket="", cabin="")


def test_the_printed_ticket_and_receipt_say_what_the_catalogue_says():
    from test_printing import RECEIPT, TICKET

    assert messages.text("citizen.ahead_line", ahead=TICKET.ahead) in [text for text, _, _ in ticket_lines(TICKET)]
    assert messages.text("receipt.title") in [text for text, _, _ in receipt_lines(RECEIPT)]
    assert messages.text("receipt.title") == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"  # the national form's title


def test_the_one_stop_terms_of_timeliness():
    assert [messages.text(f"timeliness.{k}") for k in ("early", "on_time", "late")] == ["trước hạn", "đúng hạn", "trễ hạn"]
    assert "sớm hạn" not in (ROOT / "displays/static/dashboard.js").read_text("utf-8")


# A whole key in quotes (a prefix that code completes, `"export.column." ~ key`, ends with a dot: not a key).
USED = re.compile(r"""(?:\bt|\bsay|\bmsg|messages\.text)\(\s*"([a-z_][a-z0-9_.-]*[a-z0-9_])"|data-msg(?:-placeholder|-label)?="([^"]+)\"""")


def test_every_key_the_pages_templates_and_server_use_is_in_the_catalogue():
    used = set()
    for folder in ("displays/pages", "displays/static", "displays/templates", "displays", "api"):
        for file in (ROOT / folder).glob("*.*"):
            if file.suffix in (".html", ".js", ".py"):
                used |= {a or b for a, b in USED.findall(file.read_text("utf-8"))}
    assert len(used) > 150  # the pages really use the catalogue
    assert sorted(used - set(messages.catalogue("vi"))) == []


CITIZENS_ONLY = {"appointments.py"}  # booking: the citizen's pages say those (book.* words), no officer meets them
REFUSAL = re.compile(r"""(?:CommandRefused|ApiError|error_response)\(\s*"([a-z_]+)\"""")  # devices' ProtocolError: not the officer's


def test_every_refusal_the_server_can_give_has_vietnamese_words_on_the_officer_console():
    codes = set()
    for folder in ("hall", "api", "devices"):
        for file in (ROOT / folder).rglob("*.py"):
            if file.name not in CITIZENS_ONLY:
                codes |= set(REFUSAL.findall(file.read_text("utf-8")))
    assert {"cabin_busy", "recall_first", "too_large"} <= codes
    assert sorted(code for code in codes if f"officer.error.{code}" not in messages.catalogue("vi")) == []
