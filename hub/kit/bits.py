"""The concepts of an event folded into one integer's bits, so that a walk of the calendar's
index tests an event's themes in the index entry itself, reading no other row.

A concept sets one of 63 bits (a signed 64-bit integer's, on SQLite and PostgreSQL), chosen by a
hash of its scheme and IRI (of its label when free text). Bits are shared: a set bit says the
event may have the concept, and the rows of its concepts say whether it has; a clear bit says it
has not. The hash is part of the stored data: it never changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

BITS = 63


def concept_bit(scheme: str, iri: str | None, label: str) -> int:
    """The bit a concept of `scheme` sets, named by its IRI, or by its label when it has none."""
    name = f"{scheme} {iri}" if iri is not None else f"{scheme} label:{label}"
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return 1 << (int.from_bytes(digest, "big") % BITS)


def concept_bits(concepts: Iterable[tuple[str, str | None, str]]) -> int:
    """The bits of (scheme, IRI, label) concepts together."""
    bits = 0
    for scheme, iri, label in concepts:
        bits |= concept_bit(scheme, iri, label)
    return bits
