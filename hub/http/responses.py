"""Responses built from stored JSON without re-encoding, with ETags for conditional requests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import orjson
from fastapi import Request
from starlette.responses import Response

from hub.vocabulary.jsonld import CONTEXT_IRI, JSONLD_TYPE, as_jsonld

JSON_TYPE = "application/json"
READ_CACHE = "public, max-age=60"
# Plain JSON clients may read our JSON as JSON-LD through this link (JSON-LD 1.1, section 6.1).
CONTEXT_LINK = f'<{CONTEXT_IRI}>; rel="http://www.w3.org/ns/json-ld#context"; type="{JSONLD_TYPE}"'


def list_body(
    items: Iterable[bytes | str], next_cursor: str | None, total: int | None = None, extra: dict | None = None
) -> bytes:
    """`{"items": [...], "next_cursor": ...}` from already-serialized items (and the total, if
    counted, and the `extra` members)."""
    parts = [i.encode() if isinstance(i, str) else i for i in items]
    tail = b',"total":' + orjson.dumps(total) if total is not None else b""
    if extra:
        tail += b"," + orjson.dumps(extra)[1:-1]
    return b'{"items":[' + b",".join(parts) + b'],"next_cursor":' + orjson.dumps(next_cursor) + tail + b"}"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates or "*" in candidates


def wants_jsonld(request: Request) -> bool:
    return JSONLD_TYPE in request.headers.get("accept", "")


def read_response(
    request: Request,
    body: bytes,
    media_type: str = JSON_TYPE,
    cache: str = READ_CACHE,
    headers: dict | None = None,
) -> Response:
    """A cacheable read: JSON or JSON-LD as asked, ETag from the body, `304` when the client holds it."""
    extra = dict(headers or {})
    if media_type == JSON_TYPE:
        if wants_jsonld(request):
            body, media_type = as_jsonld(body), JSONLD_TYPE
        else:
            extra["Link"] = CONTEXT_LINK
    etag = etag_of(body)
    common = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept, Authorization", **extra}
    if not_modified(request, etag):
        return Response(status_code=304, headers=common)
    return Response(body, media_type=media_type, headers=common)


def jsonld_response(request: Request, document: dict, cache: str = READ_CACHE) -> Response:
    """A read answered with a document written for JSON-LD, where our JSON for the same resource
    is not JSON-LD as it stands (integer ids: sources, links)."""
    return read_response(request, as_jsonld(orjson.dumps(document)), media_type=JSONLD_TYPE, cache=cache)


def created(body: bytes | str, location: str) -> Response:
    payload = body.encode() if isinstance(body, str) else body
    return Response(payload, status_code=201, media_type=JSON_TYPE, headers={"Location": location})


def ok(body: bytes | str) -> Response:
    payload = body.encode() if isinstance(body, str) else body
    return Response(payload, media_type=JSON_TYPE)
