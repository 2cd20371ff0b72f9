"""gzip for what browsers read as text: pages, stylesheets, sitemaps.

Only those types are compressed: JSON answers are left as they are (the API's read cache keeps
their bytes and partner clients revalidate them with their ETag), and an answer that already
says how it is encoded (the embedded component, compressed once) passes untouched. A
compressed answer's ETag becomes weak, as it no longer names the exact bytes; the 304 checks
compare validators weakly, so conditional requests keep working.
"""

from __future__ import annotations

import zlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMPRESSIBLE = frozenset(
    {"text/html", "text/css", "text/plain", "application/xml", "text/xml", "image/svg+xml"}
)
MINIMUM_SIZE = 500
# Level 6 gives within a few percent of level 9's size for a fraction of its time.
LEVEL = 6


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an `Accept-Encoding` header allows gzip (`gzip;q=0` refuses it)."""
    for part in accept_encoding.split(","):
        coding, _, parameter = part.partition(";")
        if coding.strip().lower() == "gzip":
            name, _, value = parameter.partition("=")
            if name.strip().lower() != "q":
                return True
            try:
                return float(value) > 0
            except ValueError:
                return False
    return False


def gzipped(body: bytes) -> bytes:
    """`body` compressed as the middleware compresses it, for an answer kept compressed."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return _pack(compressor, body, more=False)


def _compressible(start: Message) -> bool:
    headers = Headers(raw=start["headers"])
    media = headers.get("content-type", "").partition(";")[0].strip().lower()
    return (
        start["status"] not in (204, 206, 304) and media in COMPRESSIBLE and "content-encoding" not in headers
    )


def _pack(compressor, body: bytes, more: bool) -> bytes:
    return compressor.compress(body) + compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)


class Compress:
    """ASGI middleware: gzip compressible answers of at least MINIMUM_SIZE bytes for clients
    that accept it, and tell caches the answer varies with `Accept-Encoding` either way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = accepts_gzip(Headers(scope=scope).get("accept-encoding", ""))
        start: Message | None = None
        compressor = None

        async def send_compressed(message: Message) -> None:
            nonlocal start, compressor
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                if not _compressible(message):
                    await send(message)
                    return
                MutableHeaders(raw=message["headers"]).add_vary_header("Accept-Encoding")
                if not wanted:
                    await send(message)
                    return
                start = message  # held until the first body part says how large the answer is
                return
            if message["type"] != "http.response.body" or (start is None and compressor is None):
                await send(message)
                return
            body, more = message.get("body", b""), message.get("more_body", False)
            if start is not None:
                held, start = start, None
                if not more and len(body) < MINIMUM_SIZE:
                    await send(held)
                    await send(message)
                    return
                compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                packed = _pack(compressor, body, more)
                headers = MutableHeaders(raw=held["headers"])
                headers["Content-Encoding"] = "gzip"
                if more:
                    del headers["Content-Length"]
                else:
                    headers["Content-Length"] = str(len(packed))
                etag = headers.get("etag")
                if etag and not etag.startswith("W/"):
                    headers["ETag"] = "W/" + etag
                await send(held)
            else:
                assert compressor is not None
                packed = _pack(compressor, body, more)
            await send({**message, "body": packed})

        await self.app(scope, receive, send_compressed)
