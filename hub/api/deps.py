"""Dependencies of the routers, declared once as short `Annotated` names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.auth.tokens import require, scopes_of
from hub.calendar.dates import parse_bound
from hub.errors import InvalidInput, QueryTooCostly
from hub.events.queries import EventFilters
from hub.events.schemas import AttendanceMode, EventStatus
from hub.kit import geo
from hub.people.visibility import Audience
from hub.query import Near, parse_near
from hub.settings import Settings
from hub.store.records import utcnow

T = TypeVar("T")


# Dependencies that do no I/O are `async def`: FastAPI runs them inline instead of handing
# each one to the thread pool (a hop per dependency costs more than the work).


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading. On PostgreSQL a read gets a time budget: a query too wide for it
    ends in a problem document asking to narrow it, not in a timeout of the client."""
    with Session(engine, expire_on_commit=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL statement_timeout = {READ_BUDGET_MS}"))
        yield session


def get_session(request: Request) -> Iterator[Session]:
    with read_session(request.app.state.read_engine) as session:
        yield session


async def in_read_session(request: Request, work: Callable[[Session], T]) -> T:
    """Run `work` with a read session in the thread pool: one hop for a whole read."""

    def run() -> T:
        with read_session(request.app.state.read_engine) as session:
            return work(session)

    return await run_in_threadpool(run)


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for writing; the route commits."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
READ_BUDGET_MS = 5000
LONGEST_RANGE = timedelta(days=2 * 366)
SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]

bearer = HTTPBearer(auto_error=False, description="Token issued by `hub tokens create`")


async def get_scopes(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> set[str]:
    if credentials is None:
        return set()
    return await in_read_session(
        request, lambda session: scopes_of(session, credentials.credentials, settings.admin_token)
    )


ScopesDep = Annotated[set[str], Depends(get_scopes)]


async def _writer(scopes: ScopesDep) -> set[str]:
    require(scopes, "write")
    return scopes


async def _admin(scopes: ScopesDep) -> set[str]:
    require(scopes, "admin")
    return scopes


Writer = Annotated[set[str], Depends(_writer)]
Admin = Annotated[set[str], Depends(_admin)]


async def get_audience(scopes: ScopesDep) -> Audience:
    """A hub holding a token this node issued reads network fields; everyone else, public ones."""
    return "network" if scopes & {"harvest", "admin"} else "public"


AudienceDep = Annotated[Audience, Depends(get_audience)]


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def get_page(
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, le=5000, description="Items per page")] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=500, pattern=r"^[A-Za-z0-9_-]+$", description="`next_cursor` of the previous page"),
    ] = None,
) -> PageParams:
    if limit is not None and limit > settings.page_size_max:
        raise InvalidInput("limit", f"at most {settings.page_size_max}", location="query")
    return PageParams(limit or settings.page_size_default, cursor)


PageDep = Annotated[PageParams, Depends(get_page)]
# Local ids are URL-safe tokens (hub/store/records.py): anything else names no record.
RecordId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Local id of the record")
]
TotalDep = Annotated[bool, Query(description="Also count every matching item (`total` in the answer)")]

DATE_HELP = "ISO 8601 date-time with offset, or a date alone (read in the instance's zone)"
# Days that exist, in the years events may have (1900 to 2999): 29 February of leap years only.
DATE_PATTERN = (
    r"^((19|2\d)\d{2}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)"
    r"|02-(0[1-9]|1\d|2[0-8]))|((19|2\d)(0[48]|[2468][048]|[13579][26])|2[048]00)-02-29)"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?$"
)
# Latitude within ±90, longitude within ±180, in decimal degrees.
POINT_PATTERN = r"^-?(90(\.0+)?|[1-8]?\d(\.\d+)?),-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)$"
RegionCode = Literal[tuple(sorted(geo.REGIONS))]  # type: ignore[valid-type]
DepartmentCode = Literal[tuple(sorted(geo.DEPARTMENTS))]  # type: ignore[valid-type]


def parse_date_param(raw: str, field: str, settings: Settings, *, end: bool = False) -> datetime:
    """A `start`/`end` query value as an instant; a problem document naming the field if unreadable."""
    try:
        return parse_bound(raw, settings.zone, end=end)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(field, f"not an ISO 8601 date or date-time: {exc}", location="query") from exc


async def get_near(
    near: Annotated[
        str | None,
        Query(
            max_length=60,
            pattern=POINT_PATTERN,
            description="A point, `lat,lon` in decimal degrees (WGS 84)",
            examples=["46.05,1.83"],
        ),
    ] = None,
    radius_km: Annotated[float, Query(gt=0, le=500, description="Distance from `near`, in km")] = 10,
) -> Near | None:
    return parse_near(near, radius_km) if near else None


NearDep = Annotated[Near | None, Depends(get_near)]


async def get_event_filters(
    settings: SettingsDep,
    start: Annotated[str | None, Query(max_length=40, pattern=DATE_PATTERN, description=DATE_HELP)] = None,
    end: Annotated[
        str | None,
        Query(max_length=40, pattern=DATE_PATTERN, description=DATE_HELP + "; a day alone includes it"),
    ] = None,
    place: Annotated[str | None, Query(max_length=500, description="Local id or IRI of a place")] = None,
    region: Annotated[RegionCode | None, Query(description="INSEE region code, e.g. `75`")] = None,
    department: Annotated[DepartmentCode | None, Query(description="INSEE department, e.g. `23`")] = None,
    theme: Annotated[
        str | None,
        Query(max_length=200, description="Theme IRI, slug or label; narrower themes match too"),
    ] = None,
    audience: Annotated[str | None, Query(max_length=200, description="Audience IRI, slug or label")] = None,
    attendance_mode: AttendanceMode | None = None,
    status: EventStatus | None = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Words to find (accents and case ignored)"),
    ] = None,
    near: NearDep = None,
) -> EventFilters:
    filters = EventFilters(
        start=parse_date_param(start, "start", settings) if start else None,
        end=parse_date_param(end, "end", settings, end=True) if end else None,
        place=place,
        region=region,
        department=department,
        theme=theme,
        audience=audience,
        attendance_mode=attendance_mode,
        status=status,
        language=language,
        q=q,
        near=near,
    )
    if filters.start and filters.end and filters.end <= filters.start:
        raise InvalidInput("end", "must be after start", location="query")
    if filters.start and filters.end and filters.end - filters.start > LONGEST_RANGE:
        raise QueryTooCostly("the date range is longer than two years: ask for a shorter one")
    return filters


EventFiltersDep = Annotated[EventFilters, Depends(get_event_filters)]


async def get_upcoming_filters(settings: SettingsDep, filters: EventFiltersDep) -> EventFilters:
    """The same filters, with `start` defaulting to the beginning of today (in the instance's zone),
    or to the back of the horizon if that is later (it keeps no day behind)."""
    if filters.start is None:
        today = parse_bound(datetime.now(settings.zone).date().isoformat(), settings.zone)
        filters.start = max(today, utcnow() - settings.horizon_back)
    return filters


UpcomingFiltersDep = Annotated[EventFilters, Depends(get_upcoming_filters)]
