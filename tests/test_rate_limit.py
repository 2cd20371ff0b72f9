"""Anonymous clients get a budget of expensive reads (text searches, figures, pages): past it,
a 429 problem document with Retry-After. Cheap reads, and clients with a valid token, are never
limited. Here the budget is three reads, refilled at one a minute: slow enough that no token
comes back while a test runs, however loaded the machine."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.api import ratelimit
from hub.api.app import create_app
from hub.api.ratelimit import Buckets

BURST = 3


@pytest.fixture
def settings(db):
    return db.settings(role="hub", rate_limit_per_minute=1, rate_limit_burst=BURST)


def _spend(client, path: str, **params) -> None:
    for _ in range(BURST):
        assert client.get(path, params=params).status_code == 200


def _limited(response) -> int:
    """The seconds a 429 problem document asks to wait."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/too-many-requests") and problem["status"] == 429
    return int(response.headers["retry-after"])


def test_text_searches_past_the_budget_get_429_with_retry_after(client):
    _spend(client, "/api/v1/events", q="atelier")
    assert 59 <= _limited(client.get("/api/v1/events", params={"q": "atelier"})) <= 60
    _limited(client.get("/api/v1/places", params={"q": "fablab"}))


def test_pages_and_figures_draw_on_the_same_budget(client):
    _spend(client, "/", lang="en")
    _limited(client.get("/api/v1/stats", params={"by": "month"}))
    _limited(client.get("/places"))


def test_the_needs_pages_their_contact_form_and_the_programmes_draw_on_the_budget(client):
    _spend(client, "/needs")
    _limited(client.get("/needs/a-need"))
    _limited(client.post("/needs/a-need/contact", data={"name": "Léo", "message": "Bonjour"}))
    _limited(client.get("/programmes/a-programme"))


def test_cheap_reads_are_never_limited(client):
    _spend(client, "/api/v1/stats", by="month")
    for path in ("/api/v1/events", "/api/v1/occurrences", "/feeds/events.ics"):
        assert client.get(path, params={"department": "23"}).status_code == 200, path
    for path in ("/api/v1/changes", "/healthz"):
        assert client.get(path).status_code == 200, path
    assert client.get("/embed/agenda.js").status_code == 200


def test_a_client_with_a_valid_token_is_not_limited_and_a_made_up_one_is(client, writer):
    _spend(client, "/api/v1/events", q="atelier")
    assert client.get("/api/v1/events", params={"q": "atelier"}, headers=writer).status_code == 200
    made_up = {"Authorization": "Bearer not-a-token-of-this-hub"}
    _limited(client.get("/api/v1/events", params={"q": "atelier"}, headers=made_up))


def test_each_client_address_has_its_own_budget(db, settings):
    app = create_app(settings, engine=db.engine)
    first, second = TestClient(app, client=("192.0.2.1", 5000)), TestClient(app, client=("192.0.2.2", 5000))
    _spend(first, "/people")
    _limited(first.get("/people"))
    assert second.get("/people").status_code == 200


def test_no_budget_when_the_limit_is_off(db):
    client = TestClient(create_app(db.settings(rate_limit_per_minute=0), engine=db.engine))
    for _ in range(BURST * 3):
        assert client.get("/api/v1/events", params={"q": "atelier"}).status_code == 200


def test_a_bucket_refills_at_the_rate():
    now = [0.0]
    buckets = Buckets(per_minute=30, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0, 0]
    assert buckets.take("a") == pytest.approx(2.0)
    now[0] = 1.0
    assert buckets.take("a") == pytest.approx(1.0)  # half a read back: not yet
    now[0] = 2.0
    assert buckets.take("a") == 0


def test_buckets_forget_the_least_recently_seen_client_past_their_bound(monkeypatch):
    monkeypatch.setattr(ratelimit, "MOST_CLIENTS", 2)
    buckets = Buckets(per_minute=1, burst=1, clock=lambda: 0.0)
    for client in ("a", "b", "c"):
        assert buckets.take(client) == 0
    assert buckets.take("b") > 0 and buckets.take("c") > 0
    assert buckets.take("a") == 0  # forgotten: a full bucket again


def test_the_contract_declares_the_429_of_the_limited_reads(app):
    responses = {
        path: ops["get"]["responses"] for path, ops in app.openapi()["paths"].items() if "get" in ops
    }
    assert "429" in responses["/api/v1/stats"] and "429" in responses["/api/v1/occurrences"]
    assert "Retry-After" in responses["/api/v1/people"]["429"]["headers"]
    assert "429" not in responses["/api/v1/changes"] and "429" not in responses["/api/v1/events/{event_id}"]
