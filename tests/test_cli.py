"""The `hub` command, as an operator types it (settings from HUB_* variables)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.activitypub.models import Delivery
from hub.cli import main
from hub.store.db import session_scope
from tests.hostile import GOOD
from tests.mastodon import Mastodon
from tests.servers import running_node, serve

ROOT = Path(__file__).resolve().parent.parent


def test_tokens_are_created_listed_and_revoked(hub_env, capsys):
    main(["tokens", "create", "--name", "coordination", "--scope", "admin"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("tlh_")
    main(["tokens", "list"])
    assert "coordination" in capsys.readouterr().out
    main(["tokens", "revoke", "1"])
    assert "revoked" in capsys.readouterr().out


def test_sources_are_added_listed_checked_and_removed(hub_env, capsys):
    main(
        ["sources", "add", "https://noeud.example/", "--kind", "node", "--name", "Nœud fictif", "--no-check"]
    )
    main(["sources", "list"])
    assert "noeud.example" in capsys.readouterr().out
    main(["sources", "health"])
    assert "Every source is healthy" in capsys.readouterr().out
    main(["sources", "remove", "https://noeud.example/"])
    assert "removed" in capsys.readouterr().out


@pytest.fixture
def loopback_sources(hub_env, monkeypatch) -> None:
    """The hub may read sources on 127.0.0.1, where the tests serve them, and retries nothing."""
    monkeypatch.setenv("HUB_ALLOWED_PRIVATE_NETWORKS", '["127.0.0.1/32"]')
    monkeypatch.setenv("HUB_HARVEST_RETRIES", "0")


def _sources(capsys) -> str:
    main(["sources", "list"])
    return capsys.readouterr().out


def test_sources_add_reads_the_url_and_says_what_answers(loopback_sources, calendar_url, tmp_path, capsys):
    with running_node(tmp_path, "Fabrique") as node:
        main(["sources", "add", node.base_url + "/"])
        said = " ".join(capsys.readouterr().out.split())
        assert "answers, a node, 'Fabrique'" in said and "(node)" in said
    main(["sources", "add", calendar_url])
    said = " ".join(capsys.readouterr().out.split())
    assert "answers, an iCalendar file (3 events" in said and "(ics)" in said


def test_sources_add_refuses_an_unreachable_or_unrecognized_url_unless_told_not_to_check(
    loopback_sources, closed_port, page_without_events, capsys
):
    for url, verdict in ((closed_port, "unreachable"), (page_without_events, "unrecognized")):
        with pytest.raises(SystemExit) as exited:
            main(["sources", "add", url])
        said = " ".join(capsys.readouterr().out.split())
        assert exited.value.code == 1 and f"Not added, {verdict}" in said and "--no-check" in said, said
    calendar_only = Starlette(routes=[Route("/agenda.ics", lambda _: Response(GOOD))])
    with serve(lambda _: calendar_only) as base_url, pytest.raises(SystemExit):
        main(["sources", "add", base_url, "--kind", "node"])
    said = " ".join(capsys.readouterr().out.split())
    assert "Not added, unrecognized" in said and "no node descriptor there, so no node" in said, said
    assert "127.0.0.1" not in _sources(capsys)
    main(["sources", "add", closed_port, "--no-check"])
    assert "not checked" in capsys.readouterr().out
    assert "127.0.0.1" in _sources(capsys)


def test_sources_add_refuses_what_is_no_web_address_before_any_request(hub_env, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sources", "add", "ftp://agenda.example/"])
    assert exited.value.code == 1 and "url: an http(s) URL is expected" in capsys.readouterr().out


def test_sources_add_refuses_a_private_address_naming_the_setting_that_allows_it(
    hub_env, calendar_url, capsys
):
    with pytest.raises(SystemExit) as exited:
        main(["sources", "add", calendar_url])
    said = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 1 and "Not added, refused" in said
    assert "HUB_ALLOW_PRIVATE_SOURCES=true" in said and "HUB_ALLOWED_PRIVATE_NETWORKS" in said


def test_follow_asks_a_fediverse_actor_and_refuses_what_is_none(hub_env, monkeypatch, capsys):
    monkeypatch.setenv("HUB_ALLOWED_PRIVATE_NETWORKS", '["127.0.0.1/32"]')
    server = Mastodon()
    with serve(server.app) as base:
        main(["follow", f"{base}/users/alice"])
        assert f"Asked to follow {base}/users/alice" in " ".join(capsys.readouterr().out.split())
        with pytest.raises(SystemExit) as exited:
            main(["follow", f"{base}/nobody"])
    assert exited.value.code == 1 and "Not followed" in capsys.readouterr().out
    with session_scope(hub_env.engine) as session:
        (queued,) = session.exec(select(Delivery)).all()
    assert queued.inbox == f"{base}/users/alice/inbox" and orjson.loads(queued.activity)["type"] == "Follow"


def _hub(*args: str) -> subprocess.CompletedProcess:
    """`hub` as a script runs it: output piped, a terminal of 80 columns."""
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        capture_output=True,
        text=True,
        env=os.environ | {"COLUMNS": "80"},
        timeout=120,
    )


def test_harvest_fails_when_a_source_fails_unless_allowed_and_its_tables_fit_80_columns(
    loopback_sources, calendar_url, closed_port, capsys
):
    long_path = "/agenda/" + "tres-long-chemin-de-calendrier/" * 3 + "public.ics"
    main(["sources", "add", calendar_url.replace("/agenda.ics", long_path)])
    main(["sources", "add", closed_port, "--no-check"])
    done = _hub("harvest")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), done.stdout
    rows = [line for line in lines if re.match(r"\s*[12]\s+127\.0\.0\.1:", line)]
    assert len(rows) == 2 and not any("http" in row for row in rows), done.stdout
    assert "ok" in rows[0] and "connection" in rows[1] and "127.0.0.1:" in rows[0]
    assert "…" in rows[0]  # the long path, cut in the middle
    assert "#2 127.0.0.1:" in done.stdout and "(connection refused)" in done.stdout
    assert "--allow-failures" in done.stdout
    assert done.stderr == ""  # each failure said once, below the table, not logged again
    assert _hub("harvest", "--allow-failures").returncode == 0
    for listing in (_hub("sources", "list").stdout, _hub("sources", "health").stdout):
        assert all(len(line) <= 80 for line in listing.splitlines()), listing
        assert "http://" not in listing and "127.0.0.1:" in listing, listing


def test_invalid_settings_are_named_by_their_variable_in_plain_words(hub_env, monkeypatch, capsys):
    monkeypatch.setenv("HUB_PAGE_SIZE_MAX", "beaucoup")
    with pytest.raises(SystemExit) as exited:
        main(["sources", "list"])
    said = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 2 and "Invalid settings: HUB_PAGE_SIZE_MAX:" in said
    assert "pydantic.dev" not in said and "validation error for" not in said


def test_export_writes_one_json_ld_document_and_import_refuses_a_non_empty_hub(hub_env, tmp_path, capsys):
    main(["sources", "add", "https://noeud.example/", "--kind", "node", "--no-check"])
    out = tmp_path / "hub.jsonld"
    main(["export", "--out", str(out)])
    document = orjson.loads(out.read_bytes())
    assert document["type"] == "Export" and document["sources"][0]["url"] == "https://noeud.example/"
    with pytest.raises(SystemExit):
        main(["import", str(out)])
    assert "use an empty one" in " ".join(capsys.readouterr().out.split())


def test_compose_file_is_valid_where_docker_compose_exists():
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no Docker Compose on this machine")
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "deploy" / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_installs_from_the_same_pins_as_make():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-c constraints.txt" in dockerfile and "-c constraints.txt" in makefile
