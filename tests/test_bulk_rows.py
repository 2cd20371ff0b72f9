"""Rows inserted in bulk (`insert_rows`, no ORM object) hold the same values as the ORM writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from hub.store.changes import Change
from hub.store.db import session_scope
from hub.store.records import insert_rows

INSTANTS = [
    datetime(2026, 12, 6, 0, 30, 15, 123456, tzinfo=UTC),
    datetime(2026, 12, 6, 0, 30, tzinfo=UTC),  # no microseconds: still written with them
    datetime(2026, 7, 14, 21, 0, tzinfo=ZoneInfo("Europe/Paris")),
    datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-3))),
    datetime(999, 1, 1, tzinfo=UTC),
]


def test_instants_inserted_in_bulk_are_found_by_the_orms_own_comparison(db):
    rows = [
        {"kind": "event", "iri": f"https://lieu.example/events/{i}", "deleted": False, "changed_at": moment}
        for i, moment in enumerate(INSTANTS)
    ]
    with session_scope(db.engine) as session:
        insert_rows(session, {Change: rows})
    with Session(db.engine) as session:
        for i, moment in enumerate(INSTANTS):
            found = session.exec(select(Change).where(Change.changed_at == moment)).all()
            assert [change.iri for change in found] == [f"https://lieu.example/events/{i}"]
            assert found[0].changed_at == moment
