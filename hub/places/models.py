"""Place tables."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from hub.store.records import Record


class Place(Record, table=True):
    name: str = Field(max_length=200, index=True)
    description: str | None = None
    kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    street: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=120)
    department: str | None = Field(default=None, max_length=3, index=True)
    region: str | None = Field(default=None, max_length=3, index=True)
    country: str = Field(default="FR", max_length=2)
    lat: float | None = Field(default=None, index=True)
    lon: float | None = None
    website: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    opening_hours: list[dict] = Field(default_factory=list, sa_type=JSON)


class Equipment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    place_id: str = Field(
        sa_column=Column(String(64), ForeignKey("place.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    name: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=100)
    quantity: int = Field(default=1, ge=0)
    search_text: str = Field(default="", max_length=400)
