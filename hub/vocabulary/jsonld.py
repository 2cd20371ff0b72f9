"""JSON-LD in and out, with bundled contexts only: nothing is ever fetched at run time.

Out: our JSON documents are JSON-LD once they name our context, so serializing is a prefix.
In: contexts named by IRI are replaced by the bundled copies before any JSON-LD processor sees
the document; a context we do not bundle is refused, never fetched.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import orjson
from rdflib import Graph

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
CONTEXT_IRI = "https://w3id.org/tiers-lieux/context/v1.jsonld"
JSONLD_TYPE = "application/ld+json"
SCHEMA_ORG_SPELLINGS = tuple(
    f"{scheme}://schema.org{path}"
    for scheme in ("http", "https")
    for path in ("", "/", "/docs/jsonldcontext.json", "/docs/jsonldcontext.jsonld")
)


class UnknownContext(ValueError):
    """A document names a remote context that is not bundled; it is refused, not fetched."""


@cache
def bundled_contexts() -> dict[str, object]:
    """The `@context` value of each bundled context, by every IRI it is known under."""
    ours = orjson.loads((SCHEMAS_DIR / "context.jsonld").read_bytes())["@context"]
    schema_org = orjson.loads((SCHEMAS_DIR / "contexts" / "schema.org.jsonld").read_bytes())["@context"]
    return {CONTEXT_IRI: ours, **dict.fromkeys(SCHEMA_ORG_SPELLINGS, schema_org)}


def _resolve_context(value: object) -> object:
    """A context with every context it names replaced by its bundled copy, down to the
    contexts scoped in term definitions; a context we do not bundle is refused."""
    if isinstance(value, str):
        known = bundled_contexts().get(value) or bundled_contexts().get(value.rstrip("/"))
        if known is None:
            if not value.startswith(("http://", "https://")):
                raise UnknownContext(f"context {value!r} is a relative reference; only bundled ones are read")
            raise UnknownContext(f"unknown context {value!r}: remote contexts are not fetched")
        return known
    if isinstance(value, list):
        return [_resolve_context(v) for v in value]
    if isinstance(value, dict):
        if "@import" in value:
            raise UnknownContext(f"@import of {value['@import']!r}: remote contexts are not fetched")
        return {
            term: {**definition, "@context": _resolve_context(definition["@context"])}
            if isinstance(definition, dict) and "@context" in definition
            else definition
            for term, definition in value.items()
        }
    return value


def inline_contexts(document: object) -> object:
    """A copy of `document` where every context named by IRI is replaced by its bundled copy."""
    if isinstance(document, list):
        return [inline_contexts(item) for item in document]
    if isinstance(document, dict):
        result = {}
        for key, value in document.items():
            result[key] = _resolve_context(value) if key == "@context" else inline_contexts(value)
        return result
    return document


def to_graph(document: object, *, base: str | None = None) -> Graph:
    """Parse a JSON-LD document into triples, with bundled contexts only.

    `base` resolves relative IRIs (the URL the document came from); without one they would
    resolve against the working directory.
    """
    graph = Graph()
    graph.parse(
        data=orjson.dumps(inline_contexts(document)).decode(),
        format="json-ld",
        base=base or "urn:tiers-lieux:unresolved:",
    )
    return graph


_CONTEXT_MEMBER = b'{"@context":' + orjson.dumps(CONTEXT_IRI) + b","


def as_jsonld(body: bytes) -> bytes:
    """Our JSON object, as JSON-LD: the same members behind a reference to our context."""
    if not body.startswith(b"{"):
        raise ValueError("a JSON object is expected")
    return _CONTEXT_MEMBER + body[1:] if body != b"{}" else _CONTEXT_MEMBER[:-1] + b"}"


def context_document() -> bytes:
    return (SCHEMAS_DIR / "context.jsonld").read_bytes()
