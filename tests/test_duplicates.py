"""Duplicate search: an event is linked to the record it duplicates, never again once a
coordinator said they are two events."""

from __future__ import annotations

from sqlmodel import select

from hub.events.links import link_duplicates, undo_link
from hub.events.models import EventLink
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.store.db import session_scope
from tests import factories

HALL = "https://fabrique.example/places/halle"
YARD = "https://fabrique.example/places/cour"


def test_an_event_a_coordinator_unlinked_is_not_linked_again_while_another_is(db, settings):
    at_the_hall = EventIn.model_validate(factories.event(place=HALL))
    in_the_yard = EventIn.model_validate(factories.event(title="Troc de graines", place=YARD))
    with session_scope(db.engine) as session:
        first, second = (save_event(session, settings, at_the_hall) for _ in range(2))
        third, fourth = (save_event(session, settings, in_the_yard) for _ in range(2))
        link_duplicates(session, [(second, False)])
        assert second.canonical_id == first.id
        [link] = session.exec(select(EventLink)).all()
        undo_link(session, link.id)
        link_duplicates(session, [(second, False), (fourth, False)])
        assert second.canonical_id is None  # the two are two events, as the coordinator said
        assert fourth.canonical_id == third.id
