"""JSON-LD in and out, with bundled contexts only: nothing is ever fetched at run time.

Out: our JSON documents are JSON-LD once they name our context and their nested nodes. A nested
node (an address, coordinates, an event's schedule, its provenance...) is named under the record
that holds it (`<place>#address`, `<event>#location-geo`, `<place>#equipment-2`) instead of being
a blank node: a client merging every answer, where an event is repeated in each of its
occurrences, then finds one location for it, not one per answer.
In: contexts named by IRI are replaced by the bundled copies before any JSON-LD processor sees
the document; a context we do not bundle is refused, never fetched. The names of nested nodes
are taken off again (`unname_nodes`), so a harvested document is our JSON once more.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import orjson
from rdflib import Graph

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
CONTEXT_IRI = "https://w3id.org/tiers-lieux/context/v1.jsonld"
ACTIVITYSTREAMS_IRI = "https://www.w3.org/ns/activitystreams"
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
    streams = orjson.loads((SCHEMAS_DIR / "contexts" / "activitystreams.jsonld").read_bytes())["@context"]
    return {
        CONTEXT_IRI: ours,
        **dict.fromkeys(SCHEMA_ORG_SPELLINGS, schema_org),
        **dict.fromkeys((ACTIVITYSTREAMS_IRI, f"{ACTIVITYSTREAMS_IRI}.jsonld"), streams),
    }


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


def name_under(iri: str, name: str) -> str:
    """The IRI of something named `name` inside the record `iri`: a fragment, or a longer one
    when the record's IRI has a fragment already (events of a calendar file)."""
    return f"{iri}{'-' if '#' in iri else '#'}{name}"


@cache
def _not_nodes() -> frozenset[str]:
    """Members whose object values are not nodes: language maps and JSON literals."""
    context = bundled_contexts()[CONTEXT_IRI]
    return frozenset(
        term
        for term, definition in context.items()
        if isinstance(definition, dict)
        and (definition.get("@container") == "@language" or definition.get("@type") == "@json")
    )


def _walk(node: dict, record: str | None, path: str, undo: bool, leaves: frozenset[str]) -> None:
    """(Un)name, in place, `node` (found at `path` inside the node `record`) and the nodes in it.

    Hot on the request path (a list of a thousand events holds ten thousand nodes): one call
    per node, names built only where one is given or taken."""
    iri = node.get("id")
    if record is not None and (iri is None) != undo:
        name = name_under(record, path)
        if iri is None:
            node["id"] = iri = name
        elif iri == name:
            del node["id"]
    own = iri if isinstance(iri, str) else None
    for key, item in node.items():
        if type(item) is dict:
            if key not in leaves:
                _walk(item, own, key, undo, leaves)
        elif type(item) is list and key not in leaves:
            for n, element in enumerate(item):
                if type(element) is dict:
                    _walk(element, own, f"{key}-{n}", undo, leaves)


def name_nodes(document: object) -> object:
    """`document` where every nested node without an `id` is named under its record (in place)."""
    if isinstance(document, dict):
        _walk(document, None, "", False, _not_nodes())
    return document


def unname_nodes(document: object) -> object:
    """The inverse of `name_nodes` (in place): nested nodes lose the names it gave them, and only those."""
    if isinstance(document, dict):
        _walk(document, None, "", True, _not_nodes())
    return document


def as_jsonld(body: bytes) -> bytes:
    """Our JSON object, as JSON-LD: the same members behind a reference to our context, nested
    nodes named under their record."""
    if not body.startswith(b"{"):
        raise ValueError("a JSON object is expected")
    body = orjson.dumps(name_nodes(orjson.loads(body)))
    return _CONTEXT_MEMBER + body[1:] if body != b"{}" else _CONTEXT_MEMBER[:-1] + b"}"
