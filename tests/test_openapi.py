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
from tests.conftest import ADMIN_TOKEN

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"


def test_exported_node_openapi_matches_the_app(db):
    app = create_app(db.settings(role="node"), engine=db.engine)
    exported = json.loads((OPENAPI_DIR / "node.json").read_text(encoding="utf-8"))
    assert exported == app.openapi(), (
        "openapi/node.json is stale: run `hub openapi --role node --out openapi/node.json`"
    )


NODE_OPERATIONS = [
    (method.upper(), path)
    for path, operations in json.loads((OPENAPI_DIR / "node.json").read_text(encoding="utf-8"))[
        "paths"
    ].items()
    for method in operations
]


@pytest.fixture
def seeded_app(app, db, settings):
    with session_scope(db.engine) as session:
        seed_fabrique(session, settings, datetime.now(settings.zone).date())
    return app


# Every check but one: `positive_data_acceptance` expects every schema-valid request to succeed,
# while some rules cannot be written in JSON Schema and are checked by the domain (a cursor this
# API issued, a place that exists, 30 February, a known time zone, a readable RRULE, end after
# start). Those answers are problem documents naming the field, which the other checks verify.
@pytest.mark.parametrize(("method", "path"), NODE_OPERATIONS)
def test_node_operation_keeps_its_contract_under_fuzzing(seeded_app, method, path):
    operation = schemathesis.openapi.from_asgi("/openapi.json", seeded_app)[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, excluded_checks=[positive_data_acceptance]
        )

    run()
