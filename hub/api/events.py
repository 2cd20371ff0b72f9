"""`/api/v1/events` (series) and `/api/v1/occurrences` (expanded, sorted by start)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from hub.api.deps import EventFiltersDep, PageDep, RecordId, TotalDep, UpcomingFiltersDep, Writer
from hub.api.problems import problem_responses
from hub.events import queries, service
from hub.events.links import merged_documents
from hub.events.occurrences import covered
from hub.events.schemas import EventIn, EventList, EventOut, OccurrenceList
from hub.http.cache import cached_read
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, WriteSessionDep
from hub.http.responses import created, list_body, ok, read_response
from hub.people.animators import name_animators
from hub.store.records import utcnow

router = APIRouter(tags=["events"], responses=problem_responses(422), dependencies=[KnownParameters])


@router.get("/api/v1/events", response_model=EventList, summary="List events (series)")
async def list_events(
    request: Request, page: PageDep, filters: EventFiltersDep, total: TotalDep = False
) -> Response:
    def read(session: Session) -> bytes:
        result = queries.list_events(session, filters, limit=page.limit, cursor=page.cursor, with_total=total)
        merged = merged_documents(session, result.items)
        docs = (merged.get(e.id) or e.doc for e in result.items)
        return list_body(docs, result.next_cursor, result.total)

    return read_response(request, await cached_read(request, "public", read))


@router.get(
    "/api/v1/occurrences",
    response_model=OccurrenceList,
    summary="List occurrences, recurring events expanded, sorted by start (from today by default)",
    description="Occurrences are stored over a rolling horizon (`HUB_HORIZON_DAYS_BACK` and `_AHEAD`): "
    "the answer gives its days in `horizon`, and a `start` or `end` past them gets a problem document "
    "of type `outside-horizon` naming the field.",
)
async def list_occurrences(
    request: Request,
    settings: SettingsDep,
    page: PageDep,
    filters: UpcomingFiltersDep,
    total: TotalDep = False,
) -> Response:
    def read(session: Session) -> bytes:
        window = covered(session, settings, utcnow())
        queries.refuse_outside(filters, window)
        result = queries.list_occurrences(
            session, filters, limit=page.limit, cursor=page.cursor, with_total=total
        )
        items = (o.to_json() for o in result.items)
        return list_body(items, result.next_cursor, result.total, {"horizon": window.as_json()})

    return read_response(request, await cached_read(request, "public", read))


@router.get(
    "/api/v1/events/{event_id}",
    response_model=EventOut,
    responses=problem_responses(404),
    summary="One event",
)
def get_event(request: Request, session: SessionDep, event_id: RecordId) -> Response:
    event = service.get_event(session, event_id)
    merged = merged_documents(session, [event])
    return read_response(request, merged.get(event.id) or event.doc.encode())


@router.post(
    "/api/v1/events",
    status_code=201,
    response_model=EventOut,
    responses=problem_responses(401, 403),
    summary="Create an event",
)
def create_event(session: WriteSessionDep, settings: SettingsDep, _: Writer, data: EventIn) -> Response:
    event = service.save_event(session, settings, data, animators=name_animators(session, data))
    session.commit()
    return created(event.doc, f"/api/v1/events/{event.id}")


@router.put(
    "/api/v1/events/{event_id}",
    response_model=EventOut,
    responses=problem_responses(401, 403, 404),
    summary="Replace an event",
)
def replace_event(
    session: WriteSessionDep, settings: SettingsDep, _: Writer, event_id: RecordId, data: EventIn
) -> Response:
    event = service.save_event(
        session,
        settings,
        data,
        event=service.get_event(session, event_id, for_update=True),
        animators=name_animators(session, data),
    )
    session.commit()
    return ok(event.doc)


@router.delete(
    "/api/v1/events/{event_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Delete an event",
)
def delete_event(session: WriteSessionDep, _: Writer, event_id: RecordId) -> Response:
    service.delete_event(session, event_id)
    session.commit()
    return Response(status_code=204)
