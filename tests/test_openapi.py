"""The API contract: the exported file matches the app, and a live instance keeps it under fuzzing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hub.api.app import create_app
from tests import contract

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"


@pytest.mark.parametrize("role", ["node", "hub"])
def test_exported_openapi_matches_the_app(db, role):
    app = create_app(db.settings(role=role), engine=db.engine)
    exported = json.loads((OPENAPI_DIR / f"{role}.json").read_text(encoding="utf-8"))
    assert exported == app.openapi(), f"openapi/{role}.json is stale: run `make openapi`"


# Examples each operation gets in the suite, in the examples and fuzzing phases; the full run
# (`python -m tests.contract`, figures in bench/RESULTS.md) gives each 100 and adds the coverage
# phase, whose boundary values take minutes. The node is served from SQLite, the hub (whose
# contract holds the node's) from PostgreSQL.
EXAMPLES = 8
STORE_OF = {"node": "sqlite", "hub": "postgresql"}


@pytest.mark.parametrize("role", ["node", "hub"])
def test_live_instance_keeps_its_contract_under_every_check(db, role, tmp_path):
    """schemathesis over real HTTP, every check, derandomized: no 5xx, every status and header
    documented, every body true to its schema, schema-invalid input refused."""
    if db.kind != STORE_OF[role]:
        pytest.skip(f"the {role} is fuzzed on {STORE_OF[role]}")

    def make_settings(base_url: str):
        return db.settings(
            role=role, base_url=base_url, admin_token=contract.ADMIN_TOKEN, harvest_in_process=False
        )

    with contract.seeded(db.engine, make_settings) as base_url:
        options = [
            *("--max-examples", str(EXAMPLES), "--phases", "examples,fuzzing"),
            *("--seed", "1", "--generation-deterministic", "--workers", "1"),
            *("--no-color", "--report", "junit", "--report-dir", str(tmp_path)),
        ]
        run = subprocess.run(
            contract.command(base_url, contract.ADMIN_TOKEN, *options),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
