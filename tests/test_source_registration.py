"""Registering a source, with `hub sources add` or `POST /api/v1/sources`: one check for both, the
URL read first as a harvest would read it, and what cannot be harvested refused naming `url`."""

from __future__ import annotations

import aiohttp
import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.cli import main
from tests.hostile import FixedResolver

# Sources on 127.0.0.1, where the tests serve them; nothing retried.
LOOPBACK = {"allowed_private_networks": ["127.0.0.1/32"], "harvest_retries": 0}


def _hub(db, **settings) -> TestClient:
    return TestClient(create_app(db.settings(role="hub", **settings), engine=db.engine))


@pytest.mark.parametrize(
    ("url", "resolved", "said"),
    [
        ("ftp://agenda.example/", None, "url: an http(s) URL is expected"),
        ("http://127.0.0.1:9/agenda.ics", None, "Not added, refused"),
        ("http://[::1]:9/agenda.ics", None, "Not added, refused"),
        ("http://169.254.169.254/latest/meta-data/", None, "Not added, refused"),
        ("http://intranet.example/agenda.ics", "192.168.1.10", "Not added, refused"),
        ("http://metadata.example/", "169.254.169.254", "Not added, refused"),
        ("http://v6.example/", "fd00::1", "Not added, refused"),
        ("http://v6-link.example/", "fe80::1", "Not added, refused"),
        ("@groupe@intranet.example", "10.0.0.7", "Not added, refused"),
    ],
)
def test_the_api_refuses_what_the_command_refuses_naming_the_url_before_any_connection(
    hub_env, writer, monkeypatch, connections, capsys, url, resolved, said
):
    if resolved:  # the names resolve as a hostile DNS would have them
        monkeypatch.setattr(aiohttp, "ThreadedResolver", lambda: FixedResolver(resolved))
    with _hub(hub_env) as hub:
        refused = hub.post("/api/v1/sources", json={"url": url}, headers=writer)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        [error] = refused.json()["errors"]
        assert error["field"] == "url"
        if said.endswith("refused"):
            assert "HUB_ALLOW_PRIVATE_SOURCES" in error["message"]  # the setting that would allow it
        with pytest.raises(SystemExit) as exited:
            main(["sources", "add", url])
        assert exited.value.code == 1 and said in " ".join(capsys.readouterr().out.split())
        assert hub.get("/api/v1/sources").json()["items"] == []
    assert connections == []


def test_the_api_registers_a_source_as_the_kind_it_answered_as_and_the_same_url_once(
    db, writer, calendar_url, connections
):
    with _hub(db, **LOOPBACK) as hub:
        added = hub.post("/api/v1/sources", json={"url": calendar_url}, headers=writer)
        assert added.status_code == 201, added.text
        assert added.json()["kind"] == "ics" and added.headers["location"].endswith(f"/{added.json()['id']}")
        fetched = len(connections)
        again = hub.post("/api/v1/sources", json={"url": calendar_url}, headers=writer)
        assert again.status_code == 409 and len(connections) == fetched  # refused before it is read


def test_the_api_refuses_an_unreachable_or_unrecognized_url_unless_told_not_to_check(
    db, writer, closed_port, page_without_events
):
    with _hub(db, **LOOPBACK) as hub:
        for url, verdict in ((closed_port, "unreachable"), (page_without_events, "unrecognized")):
            refused = hub.post("/api/v1/sources", json={"url": url}, headers=writer)
            assert refused.status_code == 422, refused.text
            [error] = refused.json()["errors"]
            assert error["field"] == "url" and error["message"].startswith(verdict), error
        assert hub.get("/api/v1/sources").json()["items"] == []
        unread = hub.post("/api/v1/sources", json={"url": closed_port, "check": False}, headers=writer)
        assert unread.status_code == 201 and unread.json()["kind"] == "auto"
        no_url = hub.post("/api/v1/sources", json={"url": "agenda", "check": False}, headers=writer)
        assert no_url.status_code == 422 and no_url.json()["errors"][0]["field"] == "url"
