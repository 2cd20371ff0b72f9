"""The source registry: what a hub harvests, and how each source is doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, StrictInt
from sqlmodel import Session, col, func, select

from hub.errors import Conflict, InvalidInput, NotFound
from hub.federation.adapters import mobilizon, node
from hub.federation.adapters.kinds import ADAPTERS, detect
from hub.federation.apply import TABLES, counts_by_source, delete_record, of_kind
from hub.federation.errors import ContentError, HarvestError, HttpStatus, InvalidFeed, RefusedAddress
from hub.federation.fetch import Fetcher, FetchResult
from hub.federation.models import Quarantine, Source
from hub.places.service import find_place
from hub.settings import Settings
from hub.store.records import utcnow

SourceKind = Literal["auto", "node", "ics", "jsonld", "mobilizon", "gancio"]


class SourceIn(BaseModel):
    model_config = {"extra": "forbid"}

    url: str = Field(
        max_length=1000,
        description="Base URL of a node, a Gancio or a Mobilizon instance; URL of a calendar, a web page "
        "or a Mobilizon group, or the group's handle (@group@instance)",
    )
    kind: SourceKind = "auto"
    name: str | None = Field(None, max_length=200)
    place: str | None = Field(
        None, max_length=500, description="Place the events belong to (all kinds but node)"
    )
    token: str | None = Field(None, max_length=200, description="Harvest token the node issued to this hub")
    interval_seconds: StrictInt | None = Field(None, ge=60, le=7 * 86400)
    check: bool = Field(
        True,
        description="Read the URL first, as a harvest would (the same address guard and limits), and "
        "refuse it, naming `url`, when it cannot be harvested: a private, loopback or link-local address, "
        "no answer, or no kind of source known (`kind` is then the one it answered as); false registers "
        "it unread",
    )


class QuarantinedOut(BaseModel):
    iri: str | None
    reason: str
    at: str


class SourceOut(BaseModel):
    id: int
    url: str
    kind: str
    name: str | None
    base_url: str
    is_hub: bool
    place: str | None
    has_token: bool
    interval_seconds: int
    healthy: bool
    last_success_at: str | None
    last_attempt_at: str | None
    last_error: str | None
    last_error_kind: str | None
    failing_since: str | None
    consecutive_failures: int
    flagged: str | None
    records_held: int
    records_quarantined: int
    quarantine: list[QuarantinedOut]
    next_harvest_at: str


class SourceList(BaseModel):
    items: list[SourceOut]


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z") if moment else None


def _check_url(url: str) -> str:
    """`url` when it is an http(s) URL; a Mobilizon group's handle as its actor's URL."""
    url = mobilizon.handle_url(url) or url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url", "an http(s) URL is expected")
    return url


@dataclass(frozen=True)
class Checked:
    """What answers at a source's URL: its kind, and what it calls itself (a node) or holds."""

    kind: str
    name: str | None = None
    events: int = 0


async def check_source(settings: Settings, url: str, kind: SourceKind, token: str | None = None) -> Checked:
    """Read the source at `url` as a harvest would (same address guard, limits and adapters):
    its kind, told from what it answers unless given, and its first page of events read. Raises the
    HarvestError that says why it cannot be harvested (unreachable, refused, not of its kind), or
    InvalidInput for what is no http(s) URL."""
    url = _check_url(url)
    answers: dict[str, FetchResult] = {}
    async with Fetcher(settings) as fetcher:

        async def fetch(where: str, accept: str) -> FetchResult:
            if where not in answers:
                answers[where] = await fetcher.get(where, accept=accept, token=token)
            return answers[where]

        adapter = await detect(url, fetch) if kind == "auto" else ADAPTERS[kind]
        if adapter.feed:
            try:
                answer = await fetch(node.descriptor_url(url), adapter.accept)
            except HttpStatus as exc:
                if exc.kind != "not-found":
                    raise
                raise InvalidFeed(f"{exc.message}: there is no node descriptor there, so no node") from exc
            descriptor = node.parse_descriptor(answer.body, answer.content_type, url=url)
            return Checked(adapter.kind, name=descriptor.name)
        where = adapter.probe(url) or url  # a Gancio's API, for one registered by its base URL
        answer = await fetch(where, adapter.accept)
    pages = adapter.read(
        answer.body, answer.content_type, url=where, place_iri=None, page_size=settings.harvest_page_size
    )
    events = 0
    for page in pages:  # until a page holds events: the adapter raises at the end of one holding none
        events = len(page.records)
        if events:
            break
    return Checked(adapter.kind, events=events)


class SourceRefused(InvalidInput):
    """A URL read as a harvest would and found unharvestable: its `verdict` (`refused` address,
    `unreachable`, `unrecognized` answer) and the HarvestError that says why (`reason`)."""

    def __init__(self, reason: HarvestError) -> None:
        self.verdict = (
            "refused"
            if isinstance(reason, RefusedAddress)
            else "unrecognized"
            if isinstance(reason, ContentError)
            else "unreachable"
        )
        self.reason = reason
        super().__init__("url", f"{self.verdict} ({reason.kind}): {reason.message}", code=self.verdict)


async def checked_source(settings: Settings, data: SourceIn) -> tuple[SourceIn, Checked | None]:
    """`data` as it may be registered (by `hub sources add` and `POST /api/v1/sources` alike): its
    URL read first by `check_source`, its kind the one it answered as; unless `data.check` is
    false, then its form only is checked. Raises SourceRefused, or InvalidInput for what is no
    http(s) URL, both naming `url`."""
    if not data.check:
        _check_url(data.url)
        return data, None
    try:
        checked = await check_source(settings, data.url, data.kind, data.token)
    except HarvestError as exc:
        raise SourceRefused(exc) from exc
    return data.model_copy(update={"kind": checked.kind}), checked


def unregistered(session: Session, url: str) -> str:
    """`url` as a source's URL (a Mobilizon handle as its actor's URL) when no source has it yet:
    asked before it is read, so that a URL registered already is not fetched again. Raises
    InvalidInput for what is no http(s) URL, Conflict for a URL registered already."""
    url = _check_url(url)
    if session.exec(select(Source.id).where(Source.url == url)).first() is not None:
        raise Conflict(f"{url} is already a source")
    return url


def add_source(session: Session, data: SourceIn, *, default_interval: int) -> Source:
    url = unregistered(session, data.url)
    place_iri = None
    if data.place:
        place = find_place(session, data.place)
        if place is None and not data.place.startswith(("http://", "https://")):
            raise InvalidInput("place", f"no place with id {data.place!r}")
        place_iri = place.iri if place else data.place
    source = Source(
        url=url,
        kind=data.kind,
        name=data.name,
        base_url=url.rstrip("/"),  # a node's real base comes from its descriptor
        place_iri=place_iri,
        token=data.token,
        interval_seconds=data.interval_seconds or default_interval,
        next_harvest_at=utcnow(),
    )
    session.add(source)
    session.flush()
    return source


def find_source(session: Session, ref: str | int) -> Source:
    source = None
    if (isinstance(ref, int) or str(ref).isdigit()) and 0 < int(ref) < 2**31:
        source = session.get(Source, int(ref))
    if source is None:
        source = session.exec(select(Source).where(Source.url == str(ref))).first()
    if source is None:
        raise NotFound(f"no source {ref!r}")
    return source


def remove_source(session: Session, ref: str | int) -> int:
    """Forget a source and every record it brought (hubs downstream get tombstones)."""
    source = find_source(session, ref)
    removed = 0
    for kind, table in TABLES.items():
        for iri in session.exec(select(table.iri).where(table.source_id == source.id, *of_kind(kind))).all():
            removed += delete_record(session, kind, iri)
    session.delete(source)
    return removed


def list_sources(session: Session, *, failing_only: bool = False) -> list[Source]:
    query = select(Source).order_by(col(Source.id))
    if failing_only:
        query = query.where((col(Source.consecutive_failures) > 0) | col(Source.flagged).is_not(None))
    return list(session.exec(query).all())


def describe(session: Session, sources: list[Source]) -> list[SourceOut]:
    """Each source with its health: last success, last error and why, records held and quarantined."""
    held = counts_by_source(session)
    ids = [s.id for s in sources]
    quarantined = (
        dict(
            session.exec(
                select(Quarantine.source_id, func.count())
                .where(col(Quarantine.source_id).in_(ids))
                .group_by(Quarantine.source_id)
            ).all()
        )
        if ids
        else {}
    )
    described = []
    for s in sources:
        recent = session.exec(
            select(Quarantine)
            .where(Quarantine.source_id == s.id)
            .order_by(col(Quarantine.id).desc())
            .limit(5)
        ).all()
        described.append(
            SourceOut(
                id=s.id,
                url=s.url,
                kind=s.kind,
                name=s.name,
                base_url=s.base_url,
                is_hub=s.is_hub,
                place=s.place_iri,
                has_token=bool(s.token),
                interval_seconds=s.interval_seconds,
                healthy=s.consecutive_failures == 0 and s.flagged is None,
                last_success_at=_iso(s.last_success_at),
                last_attempt_at=_iso(s.last_attempt_at),
                last_error=s.last_error,
                last_error_kind=s.last_error_kind,
                failing_since=_iso(s.failing_since),
                consecutive_failures=s.consecutive_failures,
                flagged=s.flagged,
                records_held=held.get(s.id, 0),
                records_quarantined=quarantined.get(s.id, 0),
                quarantine=[
                    QuarantinedOut(iri=q.iri, reason=q.reason, at=_iso(q.created_at)) for q in recent
                ],
                next_harvest_at=_iso(s.next_harvest_at),
            )
        )
    return described
