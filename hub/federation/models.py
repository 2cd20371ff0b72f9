"""The source registry, the quarantine of records that could not be applied, and what the hub's
coordinators corrected or hid of harvested records (with the log of it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.store.records import utcnow

# Why a source is flagged (what it held is kept, nothing was removed), as recorded on it; pages
# tell these apart to say them in their language.
FLAG_RESYNC_CUT = "the resync from scratch was cut by the page limit; nothing was removed"
FLAG_INCOMPLETE = "the last snapshot was incomplete; nothing was removed"
FLAG_MASS_REMOVAL = "the last snapshot would remove {gone} of the {total} records held; nothing was removed"


class Source(SQLModel, table=True):
    """A source a hub harvests: a node's change feed, an iCalendar URL, a page with JSON-LD, a
    Mobilizon group or a Gancio instance."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=1000, unique=True)
    kind: str = Field(max_length=16)  # node | ics | jsonld | mobilizon | gancio
    name: str | None = Field(default=None, max_length=200)
    # For a node: its base URL (records must be minted under it). For other kinds: the URL itself.
    base_url: str = Field(max_length=1000)
    feed_url: str | None = Field(default=None, max_length=1000)
    is_hub: bool = False
    place_iri: str | None = Field(default=None, max_length=500)
    token: str | None = Field(default=None, max_length=200)
    interval_seconds: int = 3600
    cursor: str | None = Field(default=None, max_length=500)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    next_harvest_at: datetime = Field(default_factory=utcnow, index=True)
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_kind: str | None = Field(default=None, max_length=40)
    last_error_at: datetime | None = None
    failing_since: datetime | None = None
    consecutive_failures: int = 0
    flagged: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class Quarantine(SQLModel, table=True):
    """A record a source sent that was not applied, with why; shown in the source's health."""

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(
        sa_column=Column(Integer, ForeignKey("source.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    iri: str | None = Field(default=None, max_length=500)
    reason: str = Field(sa_type=Text)
    raw: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class Correction(SQLModel, table=True):
    """A coordinator's local change to a harvested record, applied again after every update from
    its source: a field corrected (`value` replacing the source's `source_value`), or, with
    `field` "hidden", the whole record withheld (`value`: what the source last sent, to bring back
    on unhiding; null once the source deleted it)."""

    __table_args__ = (UniqueConstraint("kind", "iri", "field"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    iri: str = Field(max_length=500, index=True)
    # The record's local id here: a hidden record comes back under the same URL.
    uid: str = Field(max_length=64, index=True)
    field: str = Field(max_length=40)
    value: object = Field(default=None, sa_column=Column(JSON))
    source_value: object = Field(default=None, sa_column=Column(JSON))
    reason: str = Field(default="", max_length=500)
    by: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)


class CorrectionLog(SQLModel, table=True):
    """Every correction, undo, hiding and unhiding: who, when, what, the old and new values, why.
    Rows are only ever added."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    by: str = Field(max_length=120)
    action: str = Field(max_length=10)  # correct | undo | hide | unhide
    kind: str = Field(max_length=16)
    iri: str = Field(max_length=500, index=True)
    uid: str = Field(max_length=64)
    field: str = Field(max_length=40)
    old: object = Field(default=None, sa_column=Column(JSON))
    new: object = Field(default=None, sa_column=Column(JSON))
    reason: str = Field(default="", max_length=500)
