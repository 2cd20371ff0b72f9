"""Headers every answer carries, whatever produced it: a route, a problem handler, a middleware.

`X-Content-Type-Options: nosniff` keeps browsers from reading a JSON or CSV answer holding
harvested text as HTML or script; `Referrer-Policy` sends other sites our origin only, never
the path and query of a page (a search, a member's profile). No route sets either (pages set
their own Content-Security-Policy: hub/web/site.py, hub/web/embed.py), so they are appended
without looking.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


class SecurityHeaders:
    """ASGI middleware (not BaseHTTPMiddleware, whose extra task per request costs throughput)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
