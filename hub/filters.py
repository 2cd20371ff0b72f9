"""Query parameters, parsed in one place: the models the API, the pages and the embed read their
filters with, and the checks every one of them gets (date ranges, limits, INSEE codes, points)."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from difflib import get_close_matches
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.calendar.dates import parse_bound
from hub.errors import InvalidInput, QueryTooCostly, UnknownParameters
from hub.events.queries import EventFilters
from hub.events.schemas import AttendanceMode, EventStatus
from hub.kit import geo
from hub.places.schemas import PlaceKind
from hub.settings import PAGE_SIZE_CEILING, Settings
from hub.store.query import Near, parse_near
from hub.store.records import utcnow

M = TypeVar("M", bound=BaseModel)

LONGEST_RANGE = timedelta(days=2 * 366)
LONGEST_PERIOD = timedelta(days=5 * 366)
DATE_HELP = "ISO 8601 date-time with offset, or a date alone (read in the instance's zone)"
# Days that exist, in the years events may have (1900 to 2999): 29 February of leap years only.
DATE_PATTERN = (
    r"^((19|2\d)\d{2}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)"
    r"|02-(0[1-9]|1\d|2[0-8]))|((19|2\d)(0[48]|[2468][048]|[13579][26])|2[048]00)-02-29)"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"
)
# Latitude within ±90, longitude within ±180, in decimal degrees.
POINT_PATTERN = r"^-?(90(\.0+)?|[1-8]?\d(\.\d+)?),-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
RegionCode = Literal[tuple(sorted(geo.REGIONS))]  # type: ignore[valid-type]
DepartmentCode = Literal[tuple(sorted(geo.DEPARTMENTS))]  # type: ignore[valid-type]

Point = Annotated[
    str | None,
    Field(
        max_length=60,
        pattern=POINT_PATTERN,
        description="A point, `lat,lon` in decimal degrees (WGS 84)",
        examples=["46.05,1.83"],
    ),
]
Radius = Annotated[float, Field(gt=0, le=500, description="Distance from `near`, in km")]
Region = Annotated[RegionCode | None, Field(description="INSEE region code, e.g. `75`")]
Department = Annotated[DepartmentCode | None, Field(description="INSEE department, e.g. `23`")]
Text = Annotated[str | None, Field(min_length=1, max_length=200)]
PlaceRef = Annotated[str | None, Field(max_length=500, description="Local id or IRI of a place")]
Cursor = Annotated[
    str | None,
    Field(max_length=500, pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page"),
]


# Taken everywhere besides a route's own parameters: the reader's language (ignored where nothing
# is translated), the cache buster some script libraries add, and the campaign tags that links
# shared in newsletters and social networks carry.
TOLERATED = frozenset({"lang", "_", "fbclid", "gclid"})
TOLERATED_PREFIX = "utm_"


# A problem names this many unknown parameters at most, each cut to this length: a hostile query
# string is not echoed back whole.
MOST_NAMED = 20
LONGEST_NAME = 100


def refuse_unknown(asked: Iterable[str], known: Collection[str]) -> None:
    """Refuse the parameters neither `known` nor `TOLERATED` names, each with a close known name."""
    unknown: dict[str, str | None] = {}
    for name in asked:
        if name not in known and name not in TOLERATED and not name.startswith(TOLERATED_PREFIX):
            if len(unknown) == MOST_NAMED:
                break
            close = get_close_matches(name[:LONGEST_NAME], sorted(known), n=1)
            shown = name if len(name) <= LONGEST_NAME else name[:LONGEST_NAME] + "…"
            unknown[shown] = close[0] if close else None
    if unknown:
        raise UnknownParameters(unknown)


def names_of(*models: type[BaseModel]) -> set[str]:
    """The query parameters these models read."""
    return {field.alias or name for model in models for name, field in model.model_fields.items()}


class QueryModel(BaseModel):
    """Query values read by name; values the model does not name are left to the page."""

    model_config = ConfigDict(extra="ignore")


# What went wrong, by pydantic's error type: our code for it (pages say it in their language), the
# bound it names if any, and words for a person where pydantic's would quote a pattern or a
# hundred department codes.
ERROR_CODES = {
    "string_pattern_mismatch": ("form", None, "not in the expected form"),
    "literal_error": ("choice", None, "not a known value"),
    "enum": ("choice", None, "not a known value"),
    "int_parsing": ("integer", None, "not a whole number"),
    "int_from_float": ("integer", None, "not a whole number"),
    "float_parsing": ("number", None, "not a number"),
    "less_than_equal": ("at_most", "le", None),
    "less_than": ("below", "lt", None),
    "greater_than_equal": ("at_least", "ge", None),
    "greater_than": ("above", "gt", None),
    "string_too_long": ("too_long", "max_length", None),
    "string_too_short": ("too_short", "min_length", None),
}


def read_query(model: type[M], values: dict[str, str]) -> M:
    """`values` (a page's query) read by `model`: the API's checks, a refusal naming the field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "query"
        code, bound, words = ERROR_CODES.get(error["type"], ("invalid", None, None))
        params = {"n": error.get("ctx", {}).get(bound)} if bound else {}
        if field in ("start", "end") and code == "form":
            code = "date"
        raise InvalidInput(
            field, words or error["msg"], location="query", code=code, value=values.get(field, ""), **params
        ) from exc


def parse_date_param(raw: str, field: str, settings: Settings, *, end: bool = False) -> datetime:
    """A `start`/`end` query value as an instant; a problem document naming the field if unreadable."""
    try:
        return parse_bound(raw, settings.zone, end=end)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(
            field, f"not an ISO 8601 date or date-time: {exc}", location="query", code="date", value=raw
        ) from exc


def check_range(start: datetime, end: datetime, longest: timedelta, too_long: str) -> None:
    """A range ends after it starts, and spans `longest` at most (`too_long` says so otherwise)."""
    if end <= start:
        raise InvalidInput("end", "must be after start", location="query", code="end_before_start")
    if end - start > longest:
        years = longest.days // 366
        raise QueryTooCostly(f"{too_long}: ask for a shorter one", code="range_too_long", years=years)


def near_point(near: str | None, radius_km: float) -> Near | None:
    return parse_near(near, radius_km) if near else None


class NearQuery(QueryModel):
    near: Point = None
    radius_km: Radius = 10

    def point(self) -> Near | None:
        return near_point(self.near, self.radius_km)


class PlaceQuery(QueryModel):
    """The filters of the places (the API's list and the directory page); `near` is a `NearQuery`."""

    q: Text = None
    kind: PlaceKind | None = None
    department: Department = None
    region: Region = None
    equipment: Annotated[
        str | None,
        Field(min_length=1, max_length=200, description="Equipment by name, e.g. `découpeuse laser`"),
    ] = None


class PersonQuery(QueryModel):
    """The filters of the profiles (the API's list and the people page); `near` is a `NearQuery`."""

    skill: Annotated[
        str | None, Field(max_length=200, description="Skill IRI, slug or any label; narrower skills match")
    ] = None
    place: PlaceRef = None
    q: Text = None


class NeedQuery(QueryModel):
    """The filters of needs and offers (the API's list and the needs page); `near` is a `NearQuery`."""

    kind: Annotated[Literal["need", "offer"] | None, Field(description="Needs or offers only")] = None
    state: Annotated[
        Literal["open", "answered", "closed"], Field(description="Open ones unless asked otherwise")
    ] = "open"
    skill: Annotated[str | None, Field(max_length=200, description="Skill IRI, slug or any label")] = None
    place: PlaceRef = None
    region: Region = None
    department: Department = None
    author: Annotated[str | None, Field(max_length=500, description="IRI of a member or a place")] = None
    q: Text = None


class WallQuery(QueryModel):
    """What a live wall shows: the network, or a region or a department of it; and the place its
    screen hangs in, whose day it shows besides."""

    place: PlaceRef = None
    region: Region = None
    department: Department = None


class AnimatorQuery(QueryModel):
    """The filter of who animates where."""

    place: PlaceRef = None


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


class LimitQuery(QueryModel):
    """The one `limit` of every list, feed and embed: one default and one largest value, the
    instance's settings."""

    limit: Annotated[
        int | None,
        Field(
            ge=1,
            le=PAGE_SIZE_CEILING,
            description="Most items answered: without it, `HUB_PAGE_SIZE_DEFAULT` (50 unless set); "
            "at most `HUB_PAGE_SIZE_MAX` (500 unless set)",
        ),
    ] = None

    def most(self, settings: Settings, default: int | None = None) -> int:
        """The items asked, within the instance's largest page; `default` (the instance's) when absent."""
        if self.limit is not None and self.limit > settings.page_size_max:
            raise InvalidInput(
                "limit",
                f"at most {settings.page_size_max}",
                location="query",
                code="at_most",
                n=settings.page_size_max,
            )
        return self.limit or default or settings.page_size_default


class PageQuery(LimitQuery):
    cursor: Cursor = None

    def page(self, settings: Settings) -> PageParams:
        """The page asked, within the instance's largest page."""
        return PageParams(self.most(settings), self.cursor)


class CalendarQuery(QueryModel):
    """The filters of events and occurrences, their feeds, the agenda page and the embed."""

    start: Annotated[str | None, Field(max_length=40, pattern=DATE_PATTERN, description=DATE_HELP)] = None
    end: Annotated[
        str | None,
        Field(max_length=40, pattern=DATE_PATTERN, description=DATE_HELP + "; a day alone includes it"),
    ] = None
    place: PlaceRef = None
    region: Region = None
    department: Department = None
    theme: Annotated[
        str | None, Field(max_length=200, description="Theme IRI, slug or label; narrower themes match too")
    ] = None
    audience: Annotated[str | None, Field(max_length=200, description="Audience IRI, slug or label")] = None
    programme: Annotated[
        str | None,
        Field(max_length=500, description="Local id or IRI of a programme (a series across places)"),
    ] = None
    attendance_mode: AttendanceMode | None = None
    status: EventStatus | None = None
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = None
    q: Annotated[Text, Field(description="Words to find (accents and case ignored)")] = None
    near: Point = None
    radius_km: Radius = 10

    def filters(self, settings: Settings, *, upcoming: bool = False) -> EventFilters:
        """The filters as instants, the range checked (after its start, two years at most). With
        `upcoming`, `start` defaults to the beginning of today in the instance's zone, or to the
        back of the horizon if that is later (it keeps no day behind)."""
        filters = EventFilters(
            **self.model_dump(exclude={"start", "end", "near", "radius_km"}),
            start=parse_date_param(self.start, "start", settings) if self.start else None,
            end=parse_date_param(self.end, "end", settings, end=True) if self.end else None,
            near=near_point(self.near, self.radius_km),
        )
        if filters.start and filters.end:
            check_range(filters.start, filters.end, LONGEST_RANGE, "the date range is longer than two years")
        if upcoming and filters.start is None:
            filters.start = max(today_start(settings), utcnow() - settings.horizon_back)
        return filters


def today_start(settings: Settings) -> datetime:
    return parse_bound(datetime.now(settings.zone).date().isoformat(), settings.zone)


PeriodChoice = Literal["next-12-months", "past-12-months"]


def _months_later(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), or the month's last day if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


class PeriodQuery(QueryModel):
    """The period of the figures: the next twelve months by default, the past twelve, or from
    `start` to `end` (five years at most; twelve months from the one given when only one is)."""

    period: Annotated[
        PeriodChoice | None,
        Field(
            description="`next-12-months` (the default: today and the following days) or "
            "`past-12-months` (up to yesterday); not with `start` or `end`"
        ),
    ] = None
    start: Annotated[
        str | None,
        Field(max_length=40, pattern=DATE_PATTERN, description=f"Start of an explicit period: {DATE_HELP}"),
    ] = None
    end: Annotated[
        str | None,
        Field(max_length=40, pattern=DATE_PATTERN, description="Last day of an explicit period"),
    ] = None

    def choice(self) -> str:
        """`next-12-months`, `past-12-months` or `explicit`."""
        if self.period and (self.start or self.end):
            raise InvalidInput("period", "give either `period` or `start` and `end`", location="query")
        return "explicit" if self.start or self.end else self.period or "next-12-months"

    def bounds(self, settings: Settings) -> tuple[str, str]:
        """The first and the last day (or instant) of the period, as asked or as its choice makes them."""
        day = timedelta(days=1)
        choice = self.choice()
        if choice == "explicit":
            first = self.start or (_months_later(date.fromisoformat(self.end[:10]), -12) + day).isoformat()
            last = self.end or (_months_later(date.fromisoformat(self.start[:10]), 12) - day).isoformat()
            return first, last
        today = datetime.now(settings.zone).date()
        if choice == "past-12-months":
            return _months_later(today, -12).isoformat(), (today - day).isoformat()
        return today.isoformat(), (_months_later(today, 12) - day).isoformat()

    def instants(self, settings: Settings) -> tuple[datetime, datetime]:
        """The period as instants: its first moment, and the moment after its last."""
        first, last = self.bounds(settings)
        begin = parse_date_param(first, "start", settings)
        finish = parse_date_param(last, "end", settings, end=True)
        check_range(begin, finish, LONGEST_PERIOD, "the period is longer than five years")
        return begin, finish


class YearQuery(QueryModel):
    """The year of the annual activity report."""

    year: Annotated[int | None, Field(ge=1900, le=2999, description="The year (default: this one)")] = None
