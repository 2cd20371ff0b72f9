"""What an adapter hands to the harvester: records validated as our input models, with their origin
identity, a page at a time.

Adapters turn bytes into `Harvested` records and touch no database; `apply` is the only writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from hub.events.schemas import HarvestedEventIn
from hub.federation.errors import HarvestError
from hub.needs.schemas import HarvestedNeedIn
from hub.people.schemas import HarvestedPersonIn
from hub.places.schemas import PlaceIn
from hub.programmes.schemas import ProgrammeIn

RecordKind = Literal["place", "event", "person", "need", "offer", "programme"]
Input = PlaceIn | HarvestedEventIn | HarvestedPersonIn | HarvestedNeedIn | ProgrammeIn
RAW_LIMIT = 4000  # characters of a quarantined record: kept for a person to read, not whole when huge


@dataclass(frozen=True, slots=True)
class Harvested:
    """One record read from a source.

    `iri` is the record's global identity: minted by its origin node, or derived from the source
    URL and the record's own id (an iCalendar UID, a JSON-LD @id) for sources that are not nodes.
    `data` is the record as the source gave it, as plain JSON (a node's published document, the
    `EventIn` shape read from a calendar or a page): what is hashed, and kept for a node's records.
    `input` is the same record validated by the adapter as the API's input model, which `apply`
    saves. A tombstone has `deleted=True`, no data and no input.
    """

    kind: RecordKind
    iri: str
    data: dict = field(default_factory=dict)
    input: Input | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the adapter could not read; quarantined alone with its reason and the first
    RAW_LIMIT characters of what it was."""

    reason: str
    iri: str | None = None
    raw: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", self.raw[:RAW_LIMIT])


@dataclass
class Batch:
    """What one fetch of a source yields, or one page of it.

    `complete` says a snapshot's page belongs to a whole snapshot of the source; a change feed's
    page gives the cursor after it (`next_cursor`) and whether more remains (`has_more`); an
    answer that links to the rest of a snapshot (an ActivityStreams outbox) gives that link
    (`next_url`), which the harvester fetches and reads with the same adapter."""

    records: list[Harvested] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    complete: bool = True
    next_cursor: str | None = None
    has_more: bool = False
    next_url: str | None = None


def validation_reason(exc: ValidationError, kind: str) -> str:
    """Why a record is not a valid input, field by field, in our validators' own words (without
    pydantic's "Value error, ")."""
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or kind
        context = error.get("ctx") or {}
        message = (
            str(context["error"]) if error["type"] == "value_error" and "error" in context else error["msg"]
        )
        problems.append(f"{where}: {message}")
    return f"not a valid {kind}: " + "; ".join(problems)


def readable(pages: Iterator[Batch], unreadable: HarvestError) -> Iterator[Batch]:
    """The pages of a snapshot, then `unreadable` raised when it was cut short and nothing in it
    could be read: an error for the coordinator, not an empty agenda."""
    found, complete = False, True
    for page in pages:
        found, complete = found or bool(page.records or page.rejected), page.complete
        yield page
    if not complete and not found:
        raise unreadable


def event_input(data: dict, place_iri: str | None) -> HarvestedEventIn:
    """An event read from a calendar or a page (`EventIn`'s plain JSON) as our input, at the place
    its source is registered for unless it names its own. Raises pydantic's ValidationError."""
    return HarvestedEventIn.model_validate({"place": place_iri, **data})
