"""Bearer tokens: shown once, stored hashed, revocable."""

from __future__ import annotations

from sqlmodel import select

from hub.auth.models import ApiToken
from hub.auth.tokens import create_token, revoke_token
from hub.store.db import session_scope
from tests import factories


def test_token_is_stored_only_as_a_hash(db):
    with session_scope(db.engine) as session:
        _token, clear = create_token(session, "animatrice", ["write"])
    with session_scope(db.engine) as session:
        stored = session.exec(select(ApiToken)).one()
    assert clear.startswith("tlh_") and clear not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_issued_token_writes_until_revoked(client, db):
    with session_scope(db.engine) as session:
        token, clear = create_token(session, "animatrice", ["write"])
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.post("/api/v1/places", json=factories.place(), headers=headers).status_code == 201
    with session_scope(db.engine) as session:
        revoke_token(session, token.id)
    assert client.post("/api/v1/places", json=factories.place(), headers=headers).status_code == 401


def test_unknown_token_is_refused(client):
    response = client.post(
        "/api/v1/places", json=factories.place(), headers={"Authorization": "Bearer tlh_nope"}
    )
    assert response.status_code == 401
