"""`/api/v1/skills`, `/api/v1/themes`, `/api/v1/audiences`: the shared thesauri."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from hub.api.deps import AudienceDep, PageDep
from hub.api.problems import problem_responses
from hub.http.common_deps import KnownParameters, SessionDep
from hub.http.responses import list_body, read_response
from hub.people.service import skill_counts
from hub.vocabulary.concepts import (
    ConceptPage,
    ThesaurusConcept,
    describe,
    get_concept,
    list_concepts,
)
from hub.vocabulary.thesaurus import SCHEMES, scheme_base

router = APIRouter(tags=["vocabulary"], responses=problem_responses(422), dependencies=[KnownParameters])


def _dump(concept: ThesaurusConcept) -> bytes:
    return orjson.dumps(concept.model_dump(exclude_none=True))


def _people(session, audience, concepts) -> dict[str, int]:
    return skill_counts(session, audience, [c.iri for c in concepts])


def _register(scheme: str) -> None:
    path = f"/api/v1/{SCHEMES[scheme]}"

    def list_scheme(
        request: Request,
        session: SessionDep,
        audience: AudienceDep,
        page: PageDep,
        q: Annotated[
            str | None, Query(min_length=1, max_length=200, description="Words in any label")
        ] = None,
        broader: Annotated[
            str | None, Query(max_length=500, description="IRI of the broader concept")
        ] = None,
    ) -> Response:
        result = list_concepts(session, scheme, limit=page.limit, cursor=page.cursor, q=q, broader=broader)
        counts = _people(session, audience, result.items) if scheme == "skill" else None
        items = describe(session, result.items, scheme_base(scheme), counts)
        return read_response(request, list_body((_dump(c) for c in items), result.next_cursor))

    def get_one(request: Request, session: SessionDep, audience: AudienceDep, slug: str) -> Response:
        concept = get_concept(session, scheme, slug)
        counts = _people(session, audience, [concept]) if scheme == "skill" else None
        return read_response(request, _dump(describe(session, [concept], scheme_base(scheme), counts)[0]))

    router.add_api_route(
        path,
        list_scheme,
        methods=["GET"],
        response_model=ConceptPage,
        summary=f"List the {SCHEMES[scheme]} thesaurus",
        operation_id=f"list_{SCHEMES[scheme]}",
    )
    router.add_api_route(
        path + "/{slug}",
        get_one,
        methods=["GET"],
        response_model=ThesaurusConcept,
        responses=problem_responses(404),
        summary=f"One concept of the {SCHEMES[scheme]} thesaurus",
        operation_id=f"get_{scheme}",
    )


for _scheme in SCHEMES:
    _register(_scheme)
