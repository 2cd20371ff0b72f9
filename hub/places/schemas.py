"""What a client sends to create or replace a place, and what it gets back."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    JsonValue,
    StrictFloat,
    StrictInt,
    UrlConstraints,
    field_validator,
)

# A record's links as its columns keep them (500 characters), http(s) only.
WebUrl = Annotated[HttpUrl, UrlConstraints(max_length=500)]

PlaceKind = Literal[
    "coworking",
    "fablab",
    "makerspace",
    "repair-cafe",
    "third-place",
    "living-lab",
    "digital-space",
    "shared-workshop",
    "incubator",
    "cultural-space",
    "farm",
    "other",
]
Weekday = Literal["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


def _refuse_nul(value: object) -> object:
    """NUL characters are refused everywhere: no store keeps them and no reader wants them."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    return value


class Strict(BaseModel):
    """Base of every input model: unknown fields and NUL characters are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return _refuse_nul(value)


class Address(Strict):
    street: str | None = Field(None, max_length=300)
    postal_code: str | None = Field(None, pattern=r"^\d{5}$")
    city: str | None = Field(None, max_length=120)
    department: str | None = Field(
        None, max_length=3, description="INSEE department code, e.g. `23`, `2A`, `974`"
    )
    region: str | None = Field(
        None,
        max_length=2,
        description="INSEE region code, e.g. `75`; derived from the department when absent",
    )
    country: str = Field("FR", pattern=r"^[A-Z]{2}$")


class Geo(Strict):
    lat: StrictFloat = Field(ge=-90, le=90)
    lon: StrictFloat = Field(ge=-180, le=180)


class OpeningHours(Strict):
    days: list[Weekday] = Field(min_length=1, max_length=7)
    opens: str = Field(pattern=HHMM, examples=["09:00"], description="HH:MM, 24-hour clock")
    closes: str = Field(pattern=HHMM, examples=["18:00"], description="HH:MM, 24-hour clock")


class Contact(Strict):
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+ ().-]{4,40}$")


class EquipmentIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["découpeuse laser"])
    category: str | None = Field(None, max_length=100, examples=["fabrication numérique"])
    quantity: StrictInt = Field(1, ge=0, le=10000)


class PlaceIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20000, description="HTML; sanitized on the way in")
    kinds: list[PlaceKind] = Field(default_factory=list, max_length=12)
    address: Address | None = None
    geo: Geo | None = None
    opening_hours: list[OpeningHours] = Field(default_factory=list, max_length=30)
    contact: Contact | None = None
    website: WebUrl | None = None
    equipment: list[EquipmentIn] = Field(default_factory=list, max_length=500)


class CorrectionMark(BaseModel):
    """On a hub: a field of a harvested record its coordinators corrected locally. The record
    carries the corrected value; this says which field, what the source says, and since when."""

    field: str = Field(
        description="Input name of the corrected field, dotted inside an object (`address.city`)"
    )
    source_value: JsonValue = Field(description="The field's value as the source last sent it")
    corrected: str = Field(description="When the correction was made (UTC)")


CORRECTIONS_DESCRIPTION = (
    "On a hub: fields its coordinators corrected locally (the record carries the corrected values)"
)


class PlaceOut(BaseModel):
    id: str = Field(description="Global IRI of the place")
    type: Literal["Place"]
    uid: str = Field(description="Local id on this instance")
    name: str
    description: str | None = None
    kinds: list[str] = []
    address: Address | None = None
    geo: Geo | None = None
    opening_hours: list[OpeningHours] = []
    contact: Contact | None = None
    website: str | None = None
    equipment: list[EquipmentIn] = []
    corrections: list[CorrectionMark] = Field(default_factory=list, description=CORRECTIONS_DESCRIPTION)
    updated: str


class PlaceList(BaseModel):
    items: list[PlaceOut]
    next_cursor: str | None
