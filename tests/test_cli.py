"""The `hub` command, as an operator types it (settings from HUB_* variables)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import orjson
import pytest

from hub.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hub_env(db, monkeypatch):
    monkeypatch.setenv("HUB_DATABASE_URL", db.url)
    if db.schema:
        monkeypatch.setenv("HUB_DATABASE_SCHEMA", db.schema)
    monkeypatch.setenv("HUB_ROLE", "hub")
    return db


def test_tokens_are_created_listed_and_revoked(hub_env, capsys):
    main(["tokens", "create", "--name", "coordination", "--scope", "admin"])
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("tlh_")
    main(["tokens", "list"])
    assert "coordination" in capsys.readouterr().out
    main(["tokens", "revoke", "1"])
    assert "revoked" in capsys.readouterr().out


def test_sources_are_added_listed_checked_and_removed(hub_env, capsys):
    main(["sources", "add", "https://noeud.example/", "--kind", "node", "--name", "Nœud fictif"])
    main(["sources", "list"])
    assert "noeud.example" in capsys.readouterr().out
    main(["sources", "health"])
    assert "Every source is healthy" in capsys.readouterr().out
    main(["sources", "remove", "https://noeud.example/"])
    assert "removed" in capsys.readouterr().out


def test_export_writes_one_json_ld_document_and_import_refuses_a_non_empty_hub(hub_env, tmp_path, capsys):
    main(["sources", "add", "https://noeud.example/", "--kind", "node"])
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
