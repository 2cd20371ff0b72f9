"""`/docs` (Swagger UI), with its script and styles served by the instance itself.

FastAPI's own page loads them from a CDN: without internet, or behind a strict proxy, it stays
blank. The files come from the pinned `fastapi-offline` package (Swagger UI 5, which reads
OpenAPI 3.1), mounted under `/static-docs`; nothing is loaded from elsewhere. There is no
`/redoc`: ReDoc loads its logo from its CDN whatever it is told.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/static-docs"
ASSETS_DIR = files("fastapi_offline") / "static"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=None,
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
    )


def install(app: FastAPI) -> None:
    """Serve the documentation page and its assets."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=str(ASSETS_DIR)), name="static-docs")
