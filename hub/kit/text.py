"""Text folding shared by search and thesaurus lookup."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
# The combining marks of Latin letters (the accents of French words, once decomposed).
_LATIN_MARKS = re.compile(
    "[" + "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))) + "]+"
)


def fold(value: str) -> str:
    """Lowercase, strip accents, turn punctuation into spaces: "Café-Numérique!" -> "cafe numerique"."""
    decomposed = unicodedata.normalize("NFKD", value)
    # Text of Latin letters with accents, most of what is folded (every harvested record's words),
    # loses its accents at once; other text has each of its characters looked at.
    bare = _LATIN_MARKS.sub("", decomposed)
    if not bare.isascii():
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", bare.lower()).split())


def search_terms(query: str) -> list[str]:
    """The folded words of a search query."""
    return fold(query).split()
