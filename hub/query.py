"""Query helpers shared by the list endpoints: text filters and keyset pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_

from hub.errors import InvalidInput
from hub.pagination import encode_cursor
from hub.text import search_terms

T = TypeVar("T")


def text_condition(column: Any, q: str) -> ColumnElement[bool]:
    """Every folded word of `q` appears in the folded `column`."""
    terms = search_terms(q)
    if not terms:
        raise InvalidInput("q", "give at least one letter or digit", location="query")
    if len(terms) > 12:
        raise InvalidInput("q", "at most 12 words", location="query")
    return and_(*(column.contains(term, autoescape=True) for term in terms))


def after(columns: Sequence[Any], key: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `key` in ascending order of `columns` (keyset pagination)."""
    clauses = []
    for i, column in enumerate(columns):
        equal = [c == k for c, k in zip(columns[:i], key[:i], strict=True)]
        clauses.append(and_(*equal, column > key[i]))
    return or_(*clauses)


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_of(rows: list[T], limit: int, key: Callable[[T], tuple]) -> Page[T]:
    """Cut a `limit + 1` fetch into a page and the cursor of its last item."""
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    return Page(rows, encode_cursor(*key(rows[-1])))
