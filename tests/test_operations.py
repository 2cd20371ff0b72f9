"""Operations: health and readiness, Prometheus metrics, request ids in JSON logs."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine

from hub.api.app import create_app
from hub.observability import JsonFormatter


def test_healthz_and_readyz_answer_when_the_database_is_up(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_fails_while_the_database_is_unreachable_and_healthz_does_not(settings):
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", poolclass=NullPool)
    with TestClient(create_app(settings, engine=broken)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert client.get("/healthz").status_code == 200


def test_metrics_parse_as_prometheus_text_with_the_request_series(client):
    client.get("/api/v1/places")
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert "hub_http_requests" in families and "hub_http_request_duration_seconds" in families
    routes = {s.labels.get("route") for s in families["hub_http_requests"].samples}
    assert "/api/v1/places" in routes


def test_every_answer_carries_a_request_id_and_honours_the_callers(client):
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"


def test_log_lines_are_json_with_the_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="hub.http"):
        client.get("/api/v1/places", headers={"X-Request-ID": "trace-42"})
    record = next(r for r in caplog.records if r.name == "hub.http")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "trace-42" and line["status"] == 200 and line["path"] == "/api/v1/places"
