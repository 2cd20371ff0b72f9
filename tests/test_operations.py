"""Operations: health and readiness, Prometheus metrics, request ids in JSON logs."""

from __future__ import annotations

import contextlib
import json
import logging

import pytest
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


class TcpProxy:
    """A TCP proxy to PostgreSQL that a test can cut and restore, standing for a database outage."""

    def __init__(self, target_port: int = 5432) -> None:
        import socket
        import threading

        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.connections: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, target) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        """Drop every connection as a dying server does: shutting a socket down ends the proxy's
        blocked reads and tells both ends (closing it alone would leave the clients waiting)."""
        import socket

        self.up = False
        for sock in self.connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.connections = []

    def restore(self) -> None:
        self.up = True


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_readyz_fails_while_the_database_is_down_and_recovers_when_it_is_back(db):
    from hub.store.db import make_engine

    proxy = TcpProxy()
    url = db.url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    engine = make_engine(url, db.schema)
    with TestClient(create_app(db.settings(), engine=engine)) as client:
        assert client.get("/readyz").status_code == 200
        proxy.cut()
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        proxy.restore()
        assert client.get("/readyz").status_code == 200
    engine.dispose()


def test_readyz_stays_ready_on_a_schema_newer_than_the_code_and_not_on_an_older_one(client, db):
    from sqlalchemy import text

    with db.engine.begin() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff-from-the-future'"))
    try:
        assert client.get("/readyz").status_code == 200  # an older process during an upgrade
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert client.get("/readyz").status_code == 503  # behind: `hub db upgrade` first
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
