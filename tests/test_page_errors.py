"""Pages say what is wrong with their query in their own language, the field named in words,
without a library's text (a pattern, pydantic's wording, a client library's error)."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.federation.harvester import harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.settings import Settings
from hub.store.db import session_scope
from tests.browser import screenshot, serious_violations
from tests.hostile import Hostile, harvesting_hub
from tests.servers import serve

# Text that is a library's, or the API's English, never a page's (case counts).
LEAKS = (
    "Input should",
    "pydantic",
    "pattern",
    "literal",
    "ISO 8601",
    "^(",
    "\\d",
    "`",
    "[type=",
    "ssl:default",
    "did you mean `",
    "unknown parameter (",
    "thesaurus",
    "not a cursor",
    "expected `lat,lon`",
)

# (path, query, what the French page says, what the English page says)
CASES = [
    ("/", {"start": "2027-02-30"}, ["Date de début", "n'est pas une date"], ["Start date", "is not a date"]),
    ("/stats", {"end": "demain"}, ["Date de fin", "n'est pas une date"], ["End date", "is not a date"]),
    (
        "/places",
        {"limit": "abc"},
        ["Nombre de résultats", "nombre entier"],
        ["Number of results", "whole number"],
    ),
    ("/people", {"limit": "0"}, ["Nombre de résultats", "1 au moins"], ["Number of results", "at least 1"]),
    (
        "/",
        {"limit": "100000"},
        ["Nombre de résultats : 500 au plus"],
        ["Number of results: at most 500"],
    ),
    (
        "/places",
        {"limit": "501"},
        ["Nombre de résultats : 500 au plus"],
        ["Number of results: at most 500"],
    ),
    (
        "/",
        {"tehme": "numerique"},
        ["Paramètre inconnu", "tehme", "Thème"],
        ["Unknown parameter", "tehme", "Theme"],
    ),
    ("/people", {"skil": "compta"}, ["Paramètre inconnu", "skil"], ["Unknown parameter", "skil"]),
    (
        "/",
        {"theme": "licornes"},
        ["Thème", "licornes", "n'est pas connu"],
        ["Theme", "licornes", "is not known"],
    ),
    ("/people", {"skill": "jonglage lunaire"}, ["Compétence", "n'est pas connu"], ["Skill", "is not known"]),
    ("/places", {"region": "99"}, ["Région", "choix possibles"], ["Region", "not one of the choices"]),
    (
        "/",
        {"start": "2027-03-10", "end": "2027-03-01"},
        ["date de fin doit venir après"],
        ["end date must come"],
    ),
    ("/stats", {"start": "2020-01-01", "end": "2027-01-01"}, ["dépasse 5 ans"], ["longer than 5 years"]),
    ("/people", {"q": "!!!"}, ["Mots-clés", "au moins une lettre"], ["Keywords", "at least one letter"]),
    ("/places", {"cursor": "abc"}, ["lien de page n'est plus valable"], ["page link is no longer valid"]),
    ("/places", {"near": "north"}, ["À proximité de", "forme attendue"], ["Near", "expected form"]),
    (
        "/places",
        {"equipment": "?!"},
        ["Équipement", "au moins une lettre"],
        ["Equipment", "at least one letter"],
    ),
]


@pytest.fixture
def pages(db) -> Iterator[TestClient]:
    with TestClient(
        create_app(db.settings(role="hub", harvest_in_process=False), engine=db.engine)
    ) as client:
        yield client


def _alert(page) -> str:
    """The words of the page's alert, without its tags."""
    found = re.search(r'<div class="alert" role="alert">(.*?)</div>', page.text, flags=re.DOTALL)
    assert found, page.text[:2000]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[1])).split())


@pytest.mark.parametrize(("path", "query", "french", "english"), CASES, ids=[str(c[1]) for c in CASES])
def test_a_refused_filter_is_said_in_the_pages_language_without_library_text(
    pages, path, query, french, english
):
    for lang, expected in (("fr", french), ("en", english)):
        page = pages.get(path, params={**query, "lang": lang})
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html"), page.text
        said = _alert(page)
        assert all(words in said for words in expected), (lang, said)
        assert not [leak for leak in LEAKS if leak in said], (lang, said)


def test_a_french_page_says_nothing_in_english_and_the_other_way_round(pages):
    french = _alert(pages.get("/", params={"tehme": "numerique", "start": "x"}))
    english = _alert(pages.get("/", params={"tehme": "numerique", "start": "x", "lang": "en"}))
    assert "Filtre invalide" in french and "Invalid" not in french and "Unknown" not in french
    assert "Invalid filter" in english and "inconnu" not in english


def test_a_hostile_value_is_quoted_back_short_and_as_text(pages):
    page = pages.get("/", params={"start": "<script>alert(1)</script>"})
    assert "<script>alert" not in page.text
    assert "« <script>alert(1)</script> » n'est pas une date" in _alert(page)
    long = pages.get("/", params={"theme": "<b>" + "x" * 150})
    assert "<b>x" not in long.text and "«\u00a0&lt;b&gt;" + "x" * 37 + "…\u00a0»" in long.text


def _harvest(db, settings, ids: list[int]) -> list:
    """Harvest in a thread of its own: a browser's Playwright loop may run in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(harvest_many(db.engine, settings, ids))).result()


@pytest.fixture
def failing_sources(db) -> Settings:
    """A hub whose sources failed or were flagged for reasons of each family; its settings."""
    settings = harvesting_hub(db, harvest_retries=0)
    hostile, flagged = Hostile(), Hostile()
    hostile.mode = "wrong-type"
    with serve(hostile.app) as page, serve(flagged.app) as calendar, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        urls = [
            f"{page}/agenda.ics",
            f"http://127.0.0.1:{closed.getsockname()[1]}/agenda.ics",
            "http://192.168.12.34/agenda.ics",
            f"{calendar}/agenda.ics",
        ]
        with session_scope(db.engine) as session:
            ids = [
                add_source(session, SourceIn(url=url, kind="ics"), default_interval=3600).id for url in urls
            ]
        _harvest(db, settings, ids)
        flagged.mode = "mass-deletion"
        reports = _harvest(db, settings, ids)
    assert [r.error_kind for r in reports] == ["content-type", "connection", "refused-address", None]
    assert reports[-1].flagged
    return settings


def test_the_sources_page_says_why_a_source_fails_in_its_language_without_exception_text(db, failing_sources):
    with TestClient(create_app(failing_sources, engine=db.engine)) as client:
        pages = {lang: client.get("/sources", params={"lang": lang}) for lang in ("fr", "en")}
    for lang, expected in (
        (
            "fr",
            [
                "Pas le format attendu",
                "Connexion impossible",
                "HUB_ALLOWED_PRIVATE_NETWORKS",
                "retirerait 2 des 3 fiches",
            ],
        ),
        (
            "en",
            [
                "Not the expected format",
                "Could not connect",
                "HUB_ALLOW_PRIVATE_SOURCES",
                "remove 2 of the 3",
            ],
        ),
    ):
        page = pages[lang]
        assert page.status_code == 200
        table = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text.split("<tbody>", 1)[1])).split())
        assert all(words in table for words in expected), (lang, table)
        raw = (
            "answered",
            "Cannot connect",
            "ssl:default",
            "resolves to",
            "records held",
            "a web page",
        )
        assert not [words for words in raw if words in table], (lang, table)


def test_failing_sources_read_well_on_a_phone(db, failing_sources, chromium_browser):
    with serve(lambda _: create_app(failing_sources, engine=db.engine)) as base_url:
        page = chromium_browser.new_page()
        page.set_viewport_size({"width": 390, "height": 900})
        try:
            page.goto(f"{base_url}/sources?lang=fr")
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            assert page.locator("table.sources tbody tr.is-failing").count() == 4
            assert page.locator("table.sources .badge-flagged").all_inner_texts() == ["Signalée"]
            if db.kind == "sqlite":
                assert serious_violations(page) == []
                screenshot(page, "sources-failing-phone")
        finally:
            page.close()


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_an_address_naming_no_page_gets_a_page_saying_so_and_a_client_a_problem(pages):
    page = pages.get("/nulle-part", headers=BROWSER | {"Accept-Language": "en-GB,en;q=0.8"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and 'lang="en"' in page.text
    assert "Page introuvable" in pages.get("/nulle-part", headers=BROWSER).text
    for client in ({}, {"Accept": "application/json"}, BROWSER):
        problem = pages.get("/api/v1/nulle-part", headers=client)
        assert problem.headers["content-type"] == "application/problem+json", client


def test_a_browser_past_its_budget_gets_a_page_saying_when_to_come_back(db):
    settings = db.settings(role="hub", rate_limit_per_minute=1, rate_limit_burst=1)
    with TestClient(create_app(settings, engine=db.engine)) as client:
        assert client.get("/", headers=BROWSER).status_code == 200
        page = client.get("/places", headers=BROWSER)
        assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
        assert "Trop de pages demandées" in page.text and f"{page.headers['retry-after']}\u00a0s" in page.text
        problem = client.get("/places", headers={"Accept": "application/json"})
        assert problem.status_code == 429 and problem.headers["content-type"] == "application/problem+json"
