"""The kinds of sources a hub harvests, each with its adapter: the one registry the harvester consults.

An entry says what to ask a source of its kind for (`accept`), where to look to tell that a URL is
of its kind (`probe`: the URL itself, or a node's descriptor) and how to recognise the answer
(`sniff`), how to read an answer into batches of validated records (`read`, raising the errors of
hub/federation/errors.py itself), and whether the source is read page by page after a cursor (a
node's change feed, `feed`) or whole at each harvest (a snapshot, fetched at `probe`, whose answers
may link to the rest: a Mobilizon outbox). A snapshot of a kind that `removes_missing` is a whole
agenda, so what it no longer lists is removed; the others list a history or upcoming events only,
and only their explicit tombstones delete.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from hub.federation.adapters import gancio, ics, jsonld_page, mobilizon, node
from hub.federation.errors import HttpStatus, WrongContentType
from hub.federation.fetch import FetchResult
from hub.federation.harvested import Batch


class Read(Protocol):
    def __call__(
        self, body: bytes, content_type: str, *, url: str, place_iri: str | None, page_size: int
    ) -> Iterator[Batch]: ...


def _itself(url: str) -> str:
    return url


@dataclass(frozen=True, slots=True)
class Adapter:
    kind: str
    accept: str  # the Accept header of a request to a source of this kind
    sniff: Callable[[bytes, str, str], bool]  # (body, content type, source URL) of the answer at `probe`
    read: Read
    probe: Callable[[str], str | None] = _itself  # None: a source at this URL cannot be of this kind
    feed: bool = False
    removes_missing: bool = True


# In the order a source of unknown kind is told apart.
ADAPTERS = {
    adapter.kind: adapter
    for adapter in (
        Adapter(
            "node",
            "application/ld+json, application/json;q=0.9",
            node.sniff,
            node.read,
            probe=node.probe,
            feed=True,
        ),
        Adapter(
            "mobilizon",
            mobilizon.ACCEPT,
            mobilizon.sniff,
            mobilizon.read,
            probe=mobilizon.probe,
            removes_missing=False,
        ),
        Adapter(
            "gancio", gancio.ACCEPT, gancio.sniff, gancio.read, probe=gancio.probe, removes_missing=False
        ),
        Adapter("ics", "text/calendar, text/plain;q=0.5, */*;q=0.1", ics.sniff, ics.read),
        Adapter(
            "jsonld",
            "text/html, application/ld+json;q=0.9, application/json;q=0.8",
            jsonld_page.sniff,
            jsonld_page.read,
        ),
    )
}


async def detect(url: str, fetch: Callable[[str, str], Awaitable[FetchResult]]) -> Adapter:
    """The adapter of the source at `url`, told by what it answers: each place to look is asked
    once, for what every kind looking there accepts. An error status from a place other than the
    URL itself only says the source is not of that kind."""
    answers: dict[str, FetchResult | None] = {}
    for adapter in ADAPTERS.values():
        where = adapter.probe(url)
        if where is None:
            continue
        if where not in answers:
            accept = ", ".join(a.accept for a in ADAPTERS.values() if a.probe(url) == where)
            try:
                answers[where] = await fetch(where, accept)
            except HttpStatus:
                if where == url:
                    raise
                answers[where] = None
        answer = answers[where]
        if answer is not None and adapter.sniff(answer.body, answer.content_type, url):
            return adapter
    answer = answers.get(url)
    media = answer.content_type if answer is not None else ""
    raise WrongContentType(
        f"{url} is neither a node, a Mobilizon group or instance, a Gancio, a calendar "
        f"nor a web page ({media})"
    )
