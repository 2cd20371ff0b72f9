"""Opaque cursors: the sort key of the last item served, base64url-encoded."""

from __future__ import annotations

import base64
from datetime import datetime

import orjson

from hub.errors import InvalidInput


def encode_cursor(*key: str | int | float | datetime | None) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[type, ...]) -> tuple:
    """Decode a cursor made by `encode_cursor` with values of the given types."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        return tuple(
            None if v is None else datetime.fromisoformat(v) if t is datetime else t(v)
            for v, t in zip(values, types, strict=True)
        )
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidInput("cursor", "not a cursor this API issued", location="query", code="cursor") from exc
