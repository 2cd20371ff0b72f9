"""Dependencies of the routers, declared once as short `Annotated` names: who asks, and the
query models of hub/filters.py read into what the domain functions take."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.auth.tokens import name_of, require, scopes_of
from hub.events.queries import EventFilters
from hub.filters import CalendarQuery, NearQuery, PageParams, PageQuery
from hub.http.common_deps import SettingsDep, in_read_session
from hub.people.visibility import Audience
from hub.store.query import Near

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


async def _coordinator(
    request: Request,
    settings: SettingsDep,
    _: Admin,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Who a coordinator (a token with the admin scope) is, as logs name them."""
    return await in_read_session(
        request, lambda session: name_of(session, credentials.credentials, settings.admin_token)
    )


Coordinator = Annotated[str, Depends(_coordinator)]


async def get_audience(scopes: ScopesDep) -> Audience:
    """A hub holding a token this node issued reads network fields; everyone else, public ones."""
    return "network" if scopes & {"harvest", "admin"} else "public"


AudienceDep = Annotated[Audience, Depends(get_audience)]


async def get_page(settings: SettingsDep, query: Annotated[PageQuery, Query()]) -> PageParams:
    return query.page(settings)


PageDep = Annotated[PageParams, Depends(get_page)]
# Local ids are URL-safe tokens (hub/store/records.py): anything else names no record.
RecordId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="Local id of the record")
]
TotalDep = Annotated[bool, Query(description="Also count every matching item (`total` in the answer)")]


async def get_near(query: Annotated[NearQuery, Query()]) -> Near | None:
    return query.point()


NearDep = Annotated[Near | None, Depends(get_near)]


async def get_event_filters(settings: SettingsDep, query: Annotated[CalendarQuery, Query()]) -> EventFilters:
    return query.filters(settings)


async def get_upcoming_filters(
    settings: SettingsDep, query: Annotated[CalendarQuery, Query()]
) -> EventFilters:
    return query.filters(settings, upcoming=True)


EventFiltersDep = Annotated[EventFilters, Depends(get_event_filters)]
UpcomingFiltersDep = Annotated[EventFilters, Depends(get_upcoming_filters)]
