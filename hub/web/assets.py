"""The site's static files, linked with a version so browsers may keep them for a year.

Pages link `/static/style.css?v=<first 12 hex of its SHA-256>`: a new stylesheet has a new URL,
so the old one can be cached as immutable. A request without that version (or with an old one)
gets a short cache, as a file that may change under the same URL.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from hub.web.templating import STATIC, VERSIONS

LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=3600"


class Assets(StaticFiles):
    """The static files, cached for a year when asked at their current version."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [])
        current = VERSIONS.get(path)
        response.headers["Cache-Control"] = LONG_CACHE if current and asked == [current] else SHORT_CACHE
        if response.status_code == 304:  # gzip (hub.http.compression) says so on the full answers
            response.headers.add_vary_header("Accept-Encoding")
        return response
