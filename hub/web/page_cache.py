"""Pages kept while the data they show has not changed, as the API keeps its answers.

A page is a function of its path, its query, its language, whether the client asked for data,
the day (pages start "from today") and the data version: the last change of the change log and
the end of the occurrence horizon. Any write or harvested change moves the version on, so a
kept page is never stale. A reader who sends a cookie or credentials may see another page (a
signed-in local space), so their requests are computed every time, and an answer setting a
cookie is never kept.

Every page then carries an ETag, and a browser holding it gets `304`. A page is kept gzipped,
as nearly every browser asks for it: a kept page is then sent as it is, not compressed again.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from hub.http.cache import read_key, request_version
from hub.http.compression import accepts_gzip, gzipped
from hub.http.responses import etag_of, not_modified
from hub.kit.bounded import BoundedMap
from hub.web.i18n import language
from hub.web.site import wants_data

KEPT = (200, 404)


@dataclass(frozen=True)
class KeptPage:
    status: int
    headers: dict[str, str]
    packed: bytes

    def answer(self, request: Request) -> Response:
        etag = self.headers["etag"]
        gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
        if gzipped:
            headers = {**self.headers, "etag": f"W/{etag}", "content-encoding": "gzip"}
            body = self.packed
        else:
            headers, body = self.headers, zlib.decompress(self.packed, 16 + zlib.MAX_WBITS)
        if self.status == 200 and not_modified(request, etag):
            response = Response(status_code=304, headers=headers)
        else:
            response = Response(body, status_code=self.status, headers=headers)
        # The compression middleware names `Accept-Encoding` in `Vary` for the plain pages it sees;
        # a page already gzipped, or a `304`, passes it untouched.
        if gzipped or response.status_code == 304:
            response.headers.add_vary_header("Accept-Encoding")
        return response


def _personal(request: Request) -> bool:
    headers = request.headers
    return request.method not in ("GET", "HEAD") or "cookie" in headers or "authorization" in headers


def _kept(response: Response) -> KeptPage | None:
    body, headers = getattr(response, "body", None), response.headers
    page = headers.get("content-type", "").startswith("text/html") and "set-cookie" not in headers
    if response.status_code not in KEPT or not page or not isinstance(body, bytes):
        return None
    kept = {k: v for k, v in headers.items() if k != "content-length"}
    kept["etag"] = etag_of(body)
    return KeptPage(response.status_code, kept, gzipped(body))


class CachedPage(APIRoute):
    """The route class of pages that depend on the data only: `APIRouter(route_class=CachedPage)`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        compute = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if _personal(request):
                return await compute(request)
            cache: BoundedMap[KeptPage] = request.app.state.page_cache
            reader = f"{language(request, request.query_params.get('lang'))}:{wants_data(request)}"
            key = (*read_key(request, reader), await request_version(request))
            page = cache.get(key)
            if page is None:
                response = await compute(request)
                page = _kept(response)
                if page is None:
                    return response
                cache.put(key, page)
            return page.answer(request)

        return handle
