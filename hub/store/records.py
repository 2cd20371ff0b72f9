"""What every published record (place, event, person) has in common."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, Table, Text, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Field, Session, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from hub.errors import NotFound


def utcnow() -> datetime:
    """Now, in UTC, as the store keeps every instant."""
    return datetime.now(UTC)


def new_id() -> str:
    """A short, URL-safe, unguessable local id."""
    return secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")


class Record(SQLModel):
    """Columns shared by places, events and people. `doc` is the published JSON document.

    Harvested records also keep where they came from: the source, when, and a hash of what the
    source sent, so an unchanged record costs no write.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    iri: str = Field(max_length=500, unique=True)
    doc: str = Field(default="{}", sa_type=Text)
    # Accent- and case-folded words for text search.
    search_text: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)
    source_id: int | None = Field(default=None, foreign_key="source.id", index=True, ondelete="SET NULL")
    content_hash: str | None = Field(default=None, max_length=80)
    harvested_at: datetime | None = None
    provenance: dict | None = Field(default=None, sa_type=JSON)

    def mark_origin(self, origin: Origin | None) -> None:
        """Record where a harvested record came from (nothing for records this instance owns)."""
        if origin is None:
            return
        for key, value in origin.columns(self.updated_at).items():
            setattr(self, key, value)

    def with_provenance(self, document: dict) -> dict:
        """The published document, with where it came from when it was harvested."""
        return {**document, "provenance": self.provenance} if self.provenance else document


class RecordValues(SimpleNamespace):
    """The column values of one record, read and set as attributes like the record they store:
    what a new harvested record is built as, with no ORM object (building one costs more than
    its INSERT)."""

    mark_origin = Record.mark_origin
    with_provenance = Record.with_provenance


def values_of(row: SQLModel) -> RecordValues:
    """The column values of a row, to compute its new ones on."""
    return RecordValues(**{column.key: getattr(row, column.key) for column in type(row).__table__.columns})


def insert_rows(session: Session, tables: dict[type[SQLModel], list[dict]]) -> None:
    """One INSERT for the rows of each table (none for a table without any), each row a dict of
    the same columns: no ORM object, and the values handed to the driver as its own executemany
    takes them, converted by each column's type (SQLAlchemy's bulk path spends as long building
    its parameters as SQLite spends storing the rows)."""
    connection = session.connection()
    for model, rows in tables.items():
        if rows:
            statement, parameters = _insert_statement(model.__table__, tuple(rows[0]), connection.dialect)
            connection.exec_driver_sql(statement, parameters(rows))


Parameters = Callable[[list[dict]], list]


@lru_cache(maxsize=64)
def _insert_statement(table: Table, keys: tuple[str, ...], dialect: Dialect) -> tuple[str, Parameters]:
    """The INSERT of these columns of `table` in the dialect's words, and what turns rows into its
    parameters, each value converted by its column's type: tuples in the statement's order for a
    positional driver, dicts for the others."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    if missing := set(names) - set(keys):
        raise ValueError(f"rows of {table.name} miss the columns {sorted(missing)}, which have defaults")
    converters = {name: _converter(table.c[name], dialect) for name in names}
    if not compiled.positional:
        return compiled.string, lambda rows: [
            {key: convert(row[key]) if convert else row[key] for key, convert in converters.items()}
            for row in rows
        ]
    # Most values go as they are (strings, numbers): taken at once, and only the others converted.
    values = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    converting = [(i, convert) for i, convert in enumerate(converters.values()) if convert]

    def positional(rows: list[dict]) -> list[tuple]:
        parameters = []
        for row in rows:
            converted = list(values(row))
            for i, convert in converting:
                converted[i] = convert(converted[i])
            parameters.append(tuple(converted))
        return parameters

    return compiled.string, positional


def _converter(column: Column, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What turns a column's value into the driver's (None when it takes the value as it is)."""
    convert = column.type.dialect_impl(dialect).bind_processor(dialect)
    if convert is None or dialect.name != "sqlite" or not isinstance(column.type, UTCDateTime):
        return convert

    def instant(value: Any) -> Any:
        # SQLite's text of an instant in UTC, as SQLAlchemy writes it (YYYY-MM-DD HH:MM:SS.ffffff),
        # in a third of the time for the usual case: an instant already in UTC.
        if value.__class__ is datetime and value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:26]
        return convert(value)

    return instant


def save_row(session: Session, row: SQLModel, *, fresh: bool) -> None:
    """Write `row`; a `fresh` one (just built) with one core INSERT, then attached to the session
    as if loaded: the ORM flush of one new object costs several times the statement."""
    if not fresh:
        session.add(row)
        session.flush()
        return
    table = type(row).__table__
    # Values as parameters, not in the statement: its compiled form is cached.
    session.execute(insert(table), {column.key: getattr(row, column.key) for column in table.columns})
    make_transient_to_detached(row)
    session.add(row)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a harvested record comes from, and the document as its origin published it (None
    for sources that publish no documents of ours, such as calendars: we render it).

    `corrections` lists the fields the hub's coordinators corrected (hub/federation/overrides.py),
    None when they never touched the record: a record they did touch is rendered from its
    (corrected) input, and its document lists the corrections."""

    source_id: int
    document: dict | None
    provenance: dict
    content_hash: str
    harvested_at: datetime
    corrections: tuple[dict, ...] | None = None

    def columns(self, updated_at: datetime) -> dict:
        """The columns a record harvested from this origin holds; `updated_at` unless it says when
        it last changed."""
        return {
            "source_id": self.source_id,
            "content_hash": self.content_hash,
            "harvested_at": self.harvested_at,
            "provenance": self.provenance,
            "updated_at": self.updated or updated_at,
        }

    @property
    def updated(self) -> datetime | None:
        """When the origin last changed the record (its `updated`), if it says so readably."""
        return self.moment("updated")

    def moment(self, key: str) -> datetime | None:
        """An instant the origin's document gives under `key`, if it gives one readably."""
        value = (self.document or {}).get(key)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        except ValueError:
            return None
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)

    @property
    def published(self) -> dict | None:
        """The origin's document to serve as is: none once coordinators touched the record."""
        return self.document if self.corrections is None else None

    def marked(self, document: dict) -> dict:
        """A rendered document, with the corrections it carries."""
        return {**document, "corrections": list(self.corrections)} if self.corrections else document


R = TypeVar("R", bound=Record)


def get_record(session: Session, table: type[R], record_id: str, what: str, *, for_update: bool = False) -> R:
    """The record of `table` with this local id; a problem document naming `what` when none is."""
    row = session.get(table, record_id, with_for_update=for_update)
    if row is None:
        raise NotFound(f"no {what} with id {record_id!r}")
    return row


def own_record(session: Session, table: type[R], record_id: str, what: str, *, for_update: bool = False) -> R:
    """A record this instance publishes itself: a harvested one is its origin's to change."""
    row = get_record(session, table, record_id, what, for_update=for_update)
    if row.harvested_at is not None or row.source_id is not None:
        raise NotFound(f"no {what} of this instance with id {record_id!r}")
    return row
