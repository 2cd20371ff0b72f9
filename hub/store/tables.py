"""Every table, imported once so `SQLModel.metadata` is complete (migrations, tests)."""

from hub.activitypub.models import ActorKey, Announced, Delivery, Follower, Following, Received
from hub.auth.models import ApiToken
from hub.events.models import (
    Event,
    EventAnimator,
    EventConcept,
    EventLink,
    EventOrganizer,
    EventOverride,
    Occurrence,
)
from hub.federation.models import Correction, CorrectionLog, Quarantine, Source
from hub.needs.models import Need, NeedRelay, NeedSkill
from hub.people.models import Person, PersonPlace, PersonRole, PersonSkill
from hub.places.models import Equipment, Place
from hub.programmes.models import Programme
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
    "EventAnimator",
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
    "PersonRole",
    "PersonSkill",
    "Place",
    "Programme",
    "Quarantine",
    "Received",
    "Source",
    "metadata",
]
