"""Folding text for search: accents go, case goes, punctuation and other letters part words."""

from __future__ import annotations

import unicodedata

import pytest

from hub.kit.text import fold


def folded_a_character_at_a_time(value: str) -> str:
    """The definition: decompose, drop every combining mark, lowercase, keep [0-9a-z] words."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isascii() and c.isalnum() else " " for c in bare).split())


@pytest.mark.parametrize(
    "text",
    [
        "Café-Numérique!",
        "Atelier réparation de vélos à Saint-Étienne, l'été",
        "ÇA ÉTAIT NOËL",
        "straße",  # no decomposition: a letter that parts the word
        "œuvre",
        "İstanbul",
        "a\u034fb",  # a joiner among the combining marks' code points, not a mark itself
        "ＡＢＣ ﬁn",
        "日本語 texte",
        "x\u0301\u0302y",
        "n\u0303 a\u20dd",  # a mark outside the Latin ones
        "",
    ],
)
def test_folding_matches_its_definition(text):
    assert fold(text) == folded_a_character_at_a_time(text)


def test_folding_an_accented_french_phrase():
    assert fold("Café-Numérique à l'Été!") == "cafe numerique a l ete"
