"""Text folding shared by search and thesaurus lookup."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(value: str) -> str:
    """Lowercase, strip accents, turn punctuation into spaces: "Café-Numérique!" -> "cafe numerique"."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_NON_WORD.sub(" ", bare).split())


def search_terms(query: str) -> list[str]:
    """The folded words of a search query."""
    return fold(query).split()
