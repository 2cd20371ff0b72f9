"""The API contract: the exported file matches the app, and the app keeps its contract under fuzzing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hub.api.app import create_app
from hub.db import session_scope
from hub.demo.data import seed_fabrique
from hub.federation.registry import SourceIn, add_source
from tests.conftest import ADMIN_TOKEN

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"


@pytest.mark.parametrize("role", ["node", "hub"])
def test_exported_openapi_matches_the_app(db, role):
    app = create_app(db.settings(role=role), engine=db.engine)
    exported = json.loads((OPENAPI_DIR / f"{role}.json").read_text(encoding="utf-8"))
    assert exported == app.openapi(), f"openapi/{role}.json is stale: run `make openapi`"


def _operations(role: str) -> list[tuple[str, str, str]]:
    paths = json.loads((OPENAPI_DIR / f"{role}.json").read_text(encoding="utf-8"))["paths"]
    return [(role, method.upper(), path) for path, operations in paths.items() for method in operations]


NODE_OPERATIONS = _operations("node")
HUB_ONLY_OPERATIONS = [op for op in _operations("hub") if op[1:] not in {o[1:] for o in NODE_OPERATIONS}]


@pytest.fixture
def seeded_app(db, settings, request):
    role = request.node.callspec.params["role"]
    with session_scope(db.engine) as session:
        seed_fabrique(session, settings, datetime.now(settings.zone).date())
        if role == "hub":
            add_source(session, SourceIn(url="https://noeud.example/"), default_interval=3600)
    return create_app(db.settings(role=role), engine=db.engine)


# Every check but one: `positive_data_acceptance` expects every schema-valid request to succeed,
# while some rules cannot be written in JSON Schema and are checked by the domain (a cursor this
# API issued, a place that exists, 30 February, a known time zone, a readable RRULE, end after
# start). Those answers are problem documents naming the field, which the other checks verify.
@pytest.mark.parametrize(("role", "method", "path"), NODE_OPERATIONS + HUB_ONLY_OPERATIONS)
def test_operation_keeps_its_contract_under_fuzzing(seeded_app, role, method, path):
    operation = schemathesis.openapi.from_asgi("/openapi.json", seeded_app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, excluded_checks=[positive_data_acceptance]
        )

    run()
