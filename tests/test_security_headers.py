"""Every answer tells browsers not to sniff its type and what referrer to send; pages, the
embedded agenda and the snippet generator carry a Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def answers(client, writer) -> dict:
    place = client.post("/api/v1/places", json=factories.place(), headers=writer).json()["uid"]
    listed = client.get("/api/v1/events")
    return {
        "a JSON list": listed,
        "a 304": client.get("/api/v1/events", headers={"If-None-Match": listed.headers["etag"]}),
        "a problem document": client.get("/api/v1/events/nothing-here"),
        "a refused write": client.post("/api/v1/events", json=factories.event()),
        "a calendar": client.get("/feeds/events.ics"),
        "the contract": client.get("/openapi.json"),
        "a page": client.get(f"/places/{place}"),
        "a stylesheet": client.get("/static/style.css"),
        "the component": client.get("/embed/agenda.js"),
        "the API documentation": client.get("/docs"),
    }


def test_every_answer_says_nosniff_and_its_referrer_policy(answers):
    for what, response in answers.items():
        assert response.headers.get("x-content-type-options") == "nosniff", what
        assert response.headers.get("referrer-policy") == "strict-origin-when-cross-origin", what
    assert answers["a 304"].status_code == 304 and answers["a refused write"].status_code == 401


def test_pages_forbid_scripts_and_the_embedded_agenda_may_be_framed_by_any_site(client):
    page = client.get("/").headers["content-security-policy"]
    assert "script-src 'none'" in page and "frame-ancestors 'self'" in page
    frame = client.get("/embed/agenda").headers["content-security-policy"]
    assert "default-src 'none'" in frame and "frame-ancestors *" in frame


def test_snippet_generator_runs_only_its_own_script_a_new_nonce_each_time(client):
    first, second = client.get("/embed"), client.get("/embed")
    policy = first.headers["content-security-policy"]
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'nonce="{nonce}"' in first.text
    assert nonce not in second.headers["content-security-policy"]
