"""Query helpers shared by the list endpoints: text filters and keyset pages."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select

from hub.errors import InvalidInput
from hub.kit.paging import encode_cursor
from hub.kit.text import search_terms

T = TypeVar("T")


MOST_WORDS = 12


def query_terms(q: str, field: str = "q") -> list[str]:
    """The folded words of a text search: one at least, `MOST_WORDS` at most."""
    terms = search_terms(q)
    if not terms:
        raise InvalidInput(field, "give at least one letter or digit", location="query", code="no_words")
    if len(terms) > MOST_WORDS:
        raise InvalidInput(
            field, f"at most {MOST_WORDS} words", location="query", code="too_many_words", n=MOST_WORDS
        )
    return terms


def text_condition(column: Any, q: str) -> ColumnElement[bool]:
    """Every folded word of `q` appears in the folded `column`."""
    terms = query_terms(q)
    return and_(*(column.contains(term, autoescape=True) for term in terms))


EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    radius_km: float


def near_condition(lat_column: Any, lon_column: Any, near: Near) -> ColumnElement[bool]:
    """Within `near.radius_km` of the point: a bounding box the index can use, then the haversine distance."""
    lat, lon, radius_km = near.lat, near.lon, near.radius_km
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    box = and_(lat_column.between(lat - dlat, lat + dlat), lon_column.between(lon - dlon, lon + dlon))
    half_dlat = func.radians(lat_column - lat) / 2
    half_dlon = func.radians(lon_column - lon) / 2
    chord = func.sin(half_dlat) * func.sin(half_dlat) + math.cos(math.radians(lat)) * func.cos(
        func.radians(lat_column)
    ) * func.sin(half_dlon) * func.sin(half_dlon)
    return and_(box, 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(chord)) <= radius_km)


def parse_near(raw: str, radius_km: float) -> Near:
    try:
        lat_text, lon_text = raw.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError as exc:
        raise InvalidInput(
            "near", "expected `lat,lon` in decimal degrees", location="query", code="form", value=raw
        ) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(
            "near", "latitude within ±90 and longitude within ±180", location="query", code="form", value=raw
        )
    return Near(lat, lon, radius_km)


def after(columns: Sequence[Any], key: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `key` in ascending order of `columns` (keyset pagination). The first
    column's bound comes first on its own, so that an index on it seeks there instead of reading
    every row before the page (an `OR` alone does not bound the index range). A key value that is
    None (a one-off event's recurrence) has nothing after it among the rows equal before it."""
    clauses = []
    for i, column in enumerate(columns):
        if key[i] is None:
            continue
        equal = [c == k for c, k in zip(columns[:i], key[:i], strict=True)]
        clauses.append(and_(*equal, column > key[i]))
    return and_(columns[0] >= key[0], or_(*clauses))


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int | None = None


def page_of(rows: list[T], limit: int, key: Callable[[T], tuple], total: int | None = None) -> Page[T]:
    """Cut a `limit + 1` fetch into a page and the cursor of its last item."""
    if len(rows) <= limit:
        return Page(rows, None, total)
    rows = rows[:limit]
    return Page(rows, encode_cursor(*key(rows[-1])), total)


def count_of(session: Any, query: Any) -> int:
    """How many rows a filtered query has in all (for a client that asks for the total)."""
    return session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
