"""`/api/v1/people`: consented member profiles, each field shown only to the audience it allows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from hub.api.deps import AudienceDep, NearDep, PageDep, RecordId, Writer
from hub.api.problems import problem_responses
from hub.calendar.dates import iso_utc
from hub.errors import NotFound
from hub.filters import PersonQuery
from hub.http.cache import cached_read
from hub.http.common_deps import KnownParameters, SessionDep, SettingsDep, WriteSessionDep
from hub.http.responses import created, list_body, ok, read_response
from hub.needs.service import follow_author
from hub.people import service
from hub.people.schemas import (
    DEFAULT_VISIBILITY,
    ConsentIn,
    ConsentOut,
    PersonIn,
    PersonList,
    PersonOut,
)

router = APIRouter(
    prefix="/api/v1/people", tags=["people"], responses=problem_responses(422), dependencies=[KnownParameters]
)


@router.get("", response_model=PersonList, summary="List consented profiles")
async def list_people(
    request: Request,
    audience: AudienceDep,
    filters: Annotated[PersonQuery, Query()],
    page: PageDep,
    near: NearDep = None,
) -> Response:
    def read(session: Session) -> bytes:
        result = service.list_people(
            session, audience, limit=page.limit, cursor=page.cursor, near=near, **filters.model_dump()
        )
        docs = (service.person_json(p, audience) or "{}" for p in result.items)
        return list_body(docs, result.next_cursor)

    return read_response(request, await cached_read(request, audience, read))


@router.get(
    "/{person_id}",
    response_model=PersonOut,
    responses=problem_responses(404),
    summary="One profile",
)
def get_person(request: Request, session: SessionDep, audience: AudienceDep, person_id: RecordId) -> Response:
    person = session.get(service.Person, person_id)
    doc = service.person_json(person, audience) if person else None
    if doc is None:
        # Same answer for "absent" and "not consented": existence is not disclosed.
        raise NotFound(f"no person with id {person_id!r}")
    return read_response(request, doc.encode())


@router.post(
    "",
    status_code=201,
    response_model=ConsentOut,
    responses=problem_responses(401, 403),
    summary="Create a profile",
)
def create_person(session: WriteSessionDep, settings: SettingsDep, _: Writer, data: PersonIn) -> Response:
    person = service.save_person(session, settings.base_url, data)
    follow_author(session, person.iri)
    session.commit()
    return created(_consent_out(person).model_dump_json(), f"/api/v1/people/{person.id}")


@router.put(
    "/{person_id}",
    response_model=ConsentOut,
    responses=problem_responses(401, 403, 404),
    summary="Replace a profile",
)
def replace_person(
    session: WriteSessionDep, settings: SettingsDep, _: Writer, person_id: RecordId, data: PersonIn
) -> Response:
    person = service.save_person(
        session, settings.base_url, data, person=service.get_person(session, person_id)
    )
    follow_author(session, person.iri)
    session.commit()
    return ok(_consent_out(person).model_dump_json())


@router.delete(
    "/{person_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Delete a profile",
)
def delete_person(session: WriteSessionDep, _: Writer, person_id: RecordId) -> Response:
    iri = service.get_person(session, person_id).iri
    service.delete_person(session, person_id)
    follow_author(session, iri)
    session.commit()
    return Response(status_code=204)


def _consent_out(person: service.Person) -> ConsentOut:
    return ConsentOut(
        person=person.iri,
        uid=person.id,
        given_at=iso_utc(person.consent_given_at) if person.consent_given_at else None,
        fields=person.consent_fields,
        withdrawn_at=iso_utc(person.consent_withdrawn_at) if person.consent_withdrawn_at else None,
        visibility={**DEFAULT_VISIBILITY, **person.visibility},
    )


@router.get(
    "/{person_id}/consent",
    response_model=ConsentOut,
    responses=problem_responses(401, 403, 404),
    summary="Consent record",
)
def get_consent(session: WriteSessionDep, _: Writer, person_id: RecordId) -> Response:
    return ok(_consent_out(service.get_person(session, person_id)).model_dump_json())


@router.put(
    "/{person_id}/consent",
    response_model=ConsentOut,
    responses=problem_responses(401, 403, 404),
    summary="Give consent",
)
def give_consent(session: WriteSessionDep, _: Writer, person_id: RecordId, data: ConsentIn) -> Response:
    person = service.give_consent(session, person_id, data)
    follow_author(session, person.iri)
    session.commit()
    return ok(_consent_out(person).model_dump_json())


@router.delete(
    "/{person_id}/consent",
    response_model=ConsentOut,
    responses=problem_responses(401, 403, 404),
    summary="Withdraw consent: the profile leaves every output, hubs get a tombstone",
)
def withdraw_consent(session: WriteSessionDep, _: Writer, person_id: RecordId) -> Response:
    person = service.withdraw_consent(session, person_id)
    follow_author(session, person.iri)
    session.commit()
    return ok(_consent_out(person).model_dump_json())
