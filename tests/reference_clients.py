"""Independent clients the tests read our outputs with: ical.js (the parser of Thunderbird) and
jsonld.js, run by node from tests/js, where `make test` installs their pinned versions (`npm ci`).

A test never installs them itself: that would reach a registry from a test."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

JS_DIR = Path(__file__).resolve().parent / "js"
NODE_TIMEOUT = 120


def run_node(script: str, *args: str, stdin: bytes) -> object:
    """What a script of tests/js prints (JSON), given `stdin`."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the reference clients (Node.js 18+)")
    if not (JS_DIR / "node_modules").is_dir():
        pytest.fail(f"the reference clients are not installed: run `make test`, or `npm ci` in {JS_DIR}")
    result = subprocess.run(
        [node, str(JS_DIR / script), *args],
        input=stdin,
        capture_output=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def ical_js_occurrences(calendar: bytes, start: datetime, end: datetime) -> list[dict]:
    """The occurrences ical.js finds in a calendar, starting in [start, end): uid, recurrence_id,
    start and end (UTC instants with `Z`, or dates for all-day events, the end exclusive), status
    and summary."""
    return run_node("expand_ics.mjs", start.isoformat(), end.isoformat(), stdin=calendar)


def jsonld_js_expand(documents: list[dict], contexts: dict[str, object]) -> list[dict]:
    """Each document expanded by jsonld.js in safe mode, with a document loader that serves the
    bundled `contexts` (by IRI) and refuses anything else: per document, the error if any, and the
    number of nodes expanded."""
    return run_node(
        "expand_jsonld.mjs", stdin=json.dumps({"contexts": contexts, "documents": documents}).encode()
    )
