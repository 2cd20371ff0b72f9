"""What an adapter hands to the harvester: records in our input shape, with their origin identity.

Adapters turn bytes into `Harvested` records and touch no database; `apply` is the only writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

RecordKind = Literal["place", "event", "person"]


@dataclass(frozen=True, slots=True)
class Harvested:
    """One record read from a source.

    `iri` is the record's global identity: minted by its origin node, or derived from the source
    URL and the record's own id (an iCalendar UID, a JSON-LD @id) for sources that are not nodes.
    `data` follows the input models of the API (`PlaceIn`, `EventIn`, `PersonIn`) as plain JSON;
    the applier validates it. A tombstone has `deleted=True` and no data.
    """

    kind: RecordKind
    iri: str
    data: dict = field(default_factory=dict)
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the adapter could not read; quarantined alone with its reason."""

    reason: str
    iri: str | None = None
    raw: str = ""


@dataclass
class Batch:
    """What one fetch of a source yields. `complete` says it is a whole snapshot of the source."""

    records: list[Harvested] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    complete: bool = True
