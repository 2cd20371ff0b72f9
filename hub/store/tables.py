"""Every table, imported once so `SQLModel.metadata` is complete (migrations, tests)."""

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
from hub.people.models import Person, PersonPlace, PersonRole, PersonSkill
from hub.places.models import Equipment, Place
from hub.programmes.models import Programme
from hub.store.changes import Change, FeedState
from hub.store.db import metadata
from hub.vocabulary.models import Concept, ConceptLabel

__all__ = [
    "ApiToken",
    "Change",
    "Concept",
    "ConceptLabel",
    "Correction",
    "CorrectionLog",
    "Equipment",
    "Event",
    "EventAnimator",
    "EventConcept",
    "EventLink",
    "EventOrganizer",
    "EventOverride",
    "FeedState",
    "Occurrence",
    "Person",
    "PersonPlace",
    "PersonRole",
    "PersonSkill",
    "Place",
    "Programme",
    "Quarantine",
    "Source",
    "metadata",
]
