"""The message catalogues: every language has every key, with the same placeholders, and the
pages get them from the server."""

from __future__ import annotations

import pytest

from displays import messages


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
