"""RFC 9457 problem documents: the one shape of every error this API answers."""

from __future__ import annotations

import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hub.errors import PROBLEM_BASE, HubError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


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


def problem_response(
    status: int,
    type_uri: str,
    title: str,
    detail: str,
    instance: str,
    errors: list[dict] | None = None,
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
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_TYPE)


def _field_path(loc: tuple) -> tuple[str, str]:
    location = str(loc[0]) if loc else "body"
    parts = [
        p
        for p in loc[1:]
        if not (isinstance(p, str) and ("[" in p or p in {"function-after", "function-before"}))
    ]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return location, path or location


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    errors = []
    for error in exc.errors():
        location, field = _field_path(tuple(error.get("loc", ())))
        errors.append({"field": field, "location": location, "message": error.get("msg", "invalid")})
    return errors


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a problem document."""

    @app.exception_handler(HubError)
    async def _hub_error(request: Request, exc: HubError) -> Response:
        return problem_response(exc.status, exc.type_uri, exc.title, exc.detail, request.url.path, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem_response(
            422, PROBLEM_BASE + "invalid-input", "Invalid input", detail, request.url.path, errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        response = problem_response(
            exc.status_code, PROBLEM_BASE + slug, str(exc.detail), str(exc.detail), request.url.path
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

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


def problem_responses(*statuses: int) -> dict:
    """OpenAPI declarations of the problem documents a route may answer."""
    return {status: {"model": Problem, "description": "Problem document (RFC 9457)"} for status in statuses}


def problems_in_openapi(schema: dict) -> dict:
    """Declare every error response as `application/problem+json` with the Problem schema."""
    schema.setdefault("components", {}).setdefault("schemas", {}).pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                    response["description"] = "Problem document (RFC 9457)"
    return schema
