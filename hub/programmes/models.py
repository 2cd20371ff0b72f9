"""The programme table: its name for lists, the rest in its published document."""

from __future__ import annotations

from sqlmodel import Field

from hub.store.records import Record


class Programme(Record, table=True):
    name: str = Field(max_length=200, index=True)
