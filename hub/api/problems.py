"""RFC 9457 problem documents: the one shape of every error this API answers."""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount

from hub.errors import PROBLEM_BASE, HubError
from hub.events.schemas import Horizon
from hub.web.page_problems import missing_page, reads_pages

log = logging.getLogger(__name__)
QUERY_CANCELED = "57014"  # PostgreSQL: statement_timeout reached

PROBLEM_TYPE = "application/problem+json"
# In a read's `openapi_extra`: it answers JSON only (a coordinator's log is no linked data).
JSON_ONLY = "x-json-only"
METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. `address.postal_code`")
    location: str = Field(description="`body`, `query`, `path` or `header`")
    message: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = []
    horizon: Horizon | None = Field(
        None, description="With `outside-horizon`: the days whose occurrences are served in full"
    )


def problem_response(
    status: int,
    type_uri: str,
    title: str,
    detail: str,
    instance: str,
    errors: list[dict] | None = None,
    extensions: dict | None = None,
) -> Response:
    body = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    body.update(extensions or {})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_TYPE)


# Parts of a pydantic error location that name a union member or validator, not a field.
TYPE_TAGS = {"datetime", "date", "str", "int", "float", "bool", "list", "dict", "none", "json-or-python"}


def _field_path(loc: tuple) -> tuple[str, str]:
    location = str(loc[0]) if loc else "body"
    path = ""
    for part in loc[1:]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in TYPE_TAGS or "[" in part or part.startswith("function-"):
            continue
        else:
            path += f".{part}" if path else part
    return location, path or location


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    """One entry per offending field (alternatives of a union merged)."""
    merged: dict[tuple[str, str], list[str]] = {}
    for error in exc.errors():
        key = _field_path(tuple(error.get("loc", ())))
        message = error.get("msg", "invalid")
        if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
            message = str(error["ctx"]["error"])  # our own words, without pydantic's "Value error, "
        if message not in merged.setdefault(key, []):
            merged[key].append(message)
    return [
        {"field": field, "location": location, "message": "; or ".join(messages)}
        for (location, field), messages in merged.items()
    ]


class RefuseNul:
    """ASGI middleware: a NUL character in the path or the query is refused before any route runs."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").lower()
            where = (
                "path"
                if "\x00" in scope.get("path", "")
                else "query"
                if b"%00" in query or b"\x00" in query
                else None
            )
            if where is not None:
                response = problem_response(
                    422,
                    PROBLEM_BASE + "invalid-input",
                    "Invalid input",
                    f"{where}: NUL characters are refused",
                    scope.get("path", "").replace("\x00", ""),
                    [{"field": where, "location": where, "message": "NUL character"}],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem document."""
    app.add_middleware(RefuseNul)

    @app.exception_handler(HubError)
    async def _hub_error(request: Request, exc: HubError) -> Response:
        return problem_response(
            exc.status, exc.type_uri, exc.title, exc.detail, request.url.path, exc.errors, exc.extensions
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem_response(
            422, PROBLEM_BASE + "invalid-input", "Invalid input", detail, request.url.path, errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and reads_pages(request):
            return missing_page(request, request.app.state.settings)
        slug = {400: "unreadable-body", 404: "not-found", 405: "method-not-allowed"}.get(
            exc.status_code, "http-error"
        )
        response = problem_response(
            exc.status_code, PROBLEM_BASE + slug, str(exc.detail), str(exc.detail), request.url.path
        )
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed(request))
        return response

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> Response:
        if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
            return problem_response(
                422,
                PROBLEM_BASE + "query-too-costly",
                "Query too costly",
                "this query takes longer than the time a read may take: narrow it (dates, place, region)",
                request.url.path,
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(
            500,
            PROBLEM_BASE + "internal-error",
            "Internal error",
            "the server failed; it is logged",
            request.url.path,
        )


def _allowed(request: Request) -> list[str]:
    """Every method the path takes: the router's 405 names those of the first route matching it."""
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    return [
        method
        for method in METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]


def problem_responses(*statuses: int) -> dict:
    """OpenAPI declarations of the problem documents a route may answer."""
    return {status: {"model": Problem, "description": "Problem document (RFC 9457)"} for status in statuses}


def problems_in_openapi(schema: dict) -> dict:
    """Declare every error response as `application/problem+json` with the Problem schema.

    Reads take a token optionally (a hub's token reveals network fields), so their security
    requirement also lists the empty alternative; and they answer JSON-LD when asked.
    """
    schema.setdefault("components", {}).setdefault("schemas", {}).pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method == "get" and operation.get("security"):
                operation["security"] = [{}, *operation["security"]]
            if "requestBody" in operation:
                # A body that is not JSON (or not UTF-8) is refused before it is validated.
                operation.setdefault("responses", {}).setdefault("400", {})
            ok = operation.get("responses", {}).get("200", {}).get("content", {})
            if method == "get" and "application/json" in ok and not operation.pop(JSON_ONLY, False):
                ok["application/ld+json"] = ok["application/json"]
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                    response["description"] = "Problem document (RFC 9457)"
    return schema
