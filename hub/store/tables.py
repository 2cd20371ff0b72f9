"""Every table, imported once so `SQLModel.metadata` is complete (migrations, tests)."""

from hub.activitypub.models import ActorKey, Announced, Delivery, Follower, Following, Received
from hub.auth.models import ApiToken
from hub.events.models import Event, EventConcept, EventLink, EventOrganizer, EventOverride, Occurrence
from hub.federation.models import Correction, CorrectionLog, Quarantine, Source
from hub.needs.models import Need, NeedRelay, NeedSkill
from hub.people.models import Person, PersonPlace, PersonSkill
from hub.places.models import Equipment, Place
from hub.store.changes import Change, FeedState
from hub.store.db import metadata
from hub.vocabulary.models import Concept, ConceptLabel

__all__ = [
    "ActorKey",
    "Announced",
    "ApiToken",
    "Change",
    "Concept",
    "ConceptLabel",
    "Correction",
    "CorrectionLog",
    "Delivery",
    "Equipment",
    "Event",
    "EventConcept",
    "EventLink",
    "EventOrganizer",
    "EventOverride",
    "FeedState",
    "Follower",
    "Following",
    "Need",
    "NeedRelay",
    "NeedSkill",
    "Occurrence",
    "Person",
    "PersonPlace",
    "PersonSkill",
    "Place",
    "Quarantine",
    "Received",
    "Source",
    "metadata",
]
