"""The adapter registry tells a source's kind by what its URL answers (unit tests: answers given
in memory; tests/test_federation.py and tests/test_hostile_sources.py harvest real servers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from hub.federation.adapters.kinds import ADAPTERS, detect
from hub.federation.errors import HttpStatus, WrongContentType
from hub.federation.fetch import FetchResult
from hub.web.i18n import MESSAGES

DESCRIPTOR = orjson.dumps(
    {
        "type": "NodeDescriptor",
        "id": "https://lieu.example/",
        "name": "Le Lieu",
        "feeds": {"changes": "https://lieu.example/api/v1/changes"},
    }
)
FEDIVERSE = Path(__file__).parent / "fediverse"
CALENDAR = b"\xef\xbb\xbfBEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def detected(url: str, answers: dict[str, tuple[int, str, bytes]]) -> tuple[str, list[tuple[str, str]]]:
    """The kind detected at `url` and the requests made (URL, Accept); a URL not in `answers` is a 404."""
    asked: list[tuple[str, str]] = []

    async def fetch(where: str, accept: str) -> FetchResult:
        asked.append((where, accept))
        status, content_type, body = answers.get(where, (404, "text/plain", b""))
        if status >= 400:
            raise HttpStatus(f"{where} answered {status}", status)
        return FetchResult(url=where, status=status, body=body, content_type=content_type)

    return asyncio.run(detect(url, fetch)).kind, asked


def test_a_base_url_whose_descriptor_answers_is_a_node_after_one_request():
    answers = {"https://lieu.example/.well-known/tiers-lieux": (200, "application/ld+json", DESCRIPTOR)}
    kind, asked = detected("https://lieu.example/", answers)
    assert kind == "node"
    assert asked == [("https://lieu.example/.well-known/tiers-lieux", ADAPTERS["node"].accept)]


def test_a_base_url_without_a_descriptor_is_told_by_what_it_answers_itself():
    kind, asked = detected("https://lieu.example/", {"https://lieu.example/": (200, "text/plain", CALENDAR)})
    assert kind == "ics"
    assert [where for where, _ in asked] == [
        "https://lieu.example/.well-known/tiers-lieux",
        "https://lieu.example/relay",
        "https://lieu.example/api/events?show_recurrent=true",
        "https://lieu.example/",
    ]


def test_a_page_is_asked_once_for_what_a_calendar_or_a_page_would_be():
    url = "https://lieu.example/agenda"
    kind, asked = detected(url, {url: (200, "text/html; charset=utf-8", b"<!doctype html><html></html>")})
    assert kind == "jsonld"
    accepts = (ADAPTERS[kind].accept for kind in ("mobilizon", "ics", "jsonld"))
    assert asked == [(url, ", ".join(accepts))]


def test_an_answer_of_no_known_kind_is_the_wrong_content_type():
    url = "https://lieu.example/logo"
    neither = (
        r"neither a node, a Mobilizon group or instance, a Gancio, a calendar nor a web page \(image/png\)"
    )
    with pytest.raises(WrongContentType, match=neither):
        detected(url, {url: (200, "image/png", b"\x89PNG\r\n")})


def test_a_mobilizon_group_is_told_by_its_activitystreams_answer_naming_mobilizon():
    url = "https://mobilizon.example/@la-ruche"
    group = (FEDIVERSE / "mobilizon-group.json").read_bytes()
    kind, asked = detected(url, {url: (200, "application/activity+json", group)})
    assert kind == "mobilizon"
    assert asked[0] == (url, ", ".join(ADAPTERS[k].accept for k in ("mobilizon", "ics", "jsonld")))


def test_an_activitystreams_actor_of_another_software_is_no_mobilizon_group():
    url = "https://mastodon.example/users/ruche"
    actor = orjson.dumps(
        {"@context": "https://www.w3.org/ns/activitystreams", "type": "Person", "outbox": f"{url}/outbox"}
    )
    kind, _ = detected(url, {url: (200, "application/activity+json", actor)})
    assert kind == "jsonld"  # JSON, read as a document that may hold events: none, said at harvest


def test_a_mobilizon_instance_is_told_by_its_relay_actor():
    relay = (FEDIVERSE / "mobilizon-relay.json").read_bytes()
    answers = {"https://mobilizon.example/relay": (200, "application/activity+json", relay)}
    kind, asked = detected("https://mobilizon.example/", answers)
    assert kind == "mobilizon"
    assert asked[-1] == ("https://mobilizon.example/relay", ADAPTERS["mobilizon"].accept)


@pytest.mark.parametrize(
    ("url", "actor"),
    [
        ("https://mobilizon.example/@la-ruche", "https://mobilizon.example/@la-ruche"),
        ("https://mobilizon.example/@la-ruche/events", "https://mobilizon.example/@la-ruche"),
        ("https://autre.example/@la-ruche@mobilizon.example", "https://mobilizon.example/@la-ruche"),
        (
            "https://mobilizon.example/@la-ruche/outbox?page=2",
            "https://mobilizon.example/@la-ruche/outbox?page=2",
        ),
        ("https://mobilizon.example/", "https://mobilizon.example/relay"),
    ],
)
def test_a_mobilizon_source_is_read_from_the_actor_its_url_names(url, actor):
    assert ADAPTERS["mobilizon"].probe(url) == actor


@pytest.mark.parametrize("url", ["https://gancio.example/", "https://gancio.example/api/events"])
def test_a_gancio_is_told_by_its_list_of_events_occurrences_included(url):
    events = (FEDIVERSE / "gancio-events.json").read_bytes()
    api = "https://gancio.example/api/events"
    answers = {
        "https://gancio.example/": (200, "text/html", b"<!doctype html><title>Gancio</title>"),
        api: (200, "application/json; charset=utf-8", events),
        f"{api}?show_recurrent=true": (200, "application/json; charset=utf-8", events),
    }
    kind, _ = detected(url, answers)
    assert kind == "gancio"
    assert ADAPTERS["gancio"].probe(url) == f"{api}?show_recurrent=true"


def test_a_gancio_api_url_keeps_its_own_filters():
    probe = ADAPTERS["gancio"].probe
    assert probe("https://gancio.example/api/events?tags=couture") == (
        "https://gancio.example/api/events?tags=couture&show_recurrent=true"
    )
    assert probe("https://gancio.example/api/events?show_recurrent=false") == (
        "https://gancio.example/api/events?show_recurrent=false"
    )


def test_an_error_status_of_the_url_itself_is_the_error():
    with pytest.raises(HttpStatus, match="404"):
        detected("https://lieu.example/agenda.ics", {})


@pytest.mark.parametrize(
    ("status", "kind"),
    [(404, "not-found"), (410, "not-found"), (403, "forbidden"), (400, "http-status"), (502, "server-error")],
)
def test_an_error_status_is_labelled_by_whose_fault_it_is(status, kind):
    error = HttpStatus(f"https://tiers-lieu.example/agenda.ics answered {status}", status)
    assert error.kind == kind
    assert f"error_kind.{kind}" in MESSAGES["fr"] and f"error_kind.{kind}" in MESSAGES["en"]
