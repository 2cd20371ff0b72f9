"""What search engines and browsers get besides the pages: absolute hreflang and canonical links,
robots.txt, a sitemap whose every URL answers, gzip for text, and a year of cache for versioned
static files, without breaking the API's conditional requests."""

from __future__ import annotations

import gzip
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hub.api.app import create_app
from hub.web import sitemap
from tests import factories
from tests.servers import serve
from tests.stores import BASE_URL

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def _links(page: str) -> dict[str, str]:
    """The page's `hreflang` alternates and canonical link, by language (`canonical` for the latter)."""
    pairs = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page)
    pairs += [("canonical", href) for href in re.findall(r'<link rel="canonical" href="([^"]+)">', page)]
    return {name: html.unescape(href) for name, href in pairs}


def test_pages_name_their_language_versions_and_themselves_with_absolute_urls(client):
    french = _links(client.get("/places?department=23").text)
    assert french == {
        "fr": f"{BASE_URL}/places?department=23&lang=fr",
        "en": f"{BASE_URL}/places?department=23&lang=en",
        "x-default": f"{BASE_URL}/places?department=23",
        "canonical": f"{BASE_URL}/places?department=23",
    }
    english = _links(client.get("/?lang=en").text)
    assert english["canonical"] == f"{BASE_URL}/?lang=en" and english["x-default"] == f"{BASE_URL}/"
    missing = client.get("/events/nothing-here")
    assert missing.status_code == 404 and "canonical" not in _links(missing.text)


def test_pages_and_stylesheets_travel_gzipped_and_say_they_vary_with_accept_encoding(client):
    page = client.get("/", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip" and "Accept-Encoding" in page.headers["vary"]
    assert page.num_bytes_downloaded < len(page.content) / 2
    plain = client.get("/", headers=IDENTITY)
    assert "content-encoding" not in plain.headers and "Accept-Encoding" in plain.headers["vary"]
    assert plain.text == page.text
    style = client.get("/static/style.css", headers=GZIP)
    assert style.headers["content-encoding"] == "gzip" and "Accept-Encoding" in style.headers["vary"]
    refused = client.get("/", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_json_and_the_precompressed_component_are_not_compressed_again(client):
    listed = client.get("/api/v1/places", headers=GZIP)
    assert listed.status_code == 200 and "content-encoding" not in listed.headers
    with client.stream("GET", "/embed/agenda.js", headers=GZIP) as script:
        assert script.headers["content-encoding"] == "gzip"
        once = gzip.decompress(b"".join(script.iter_raw()))
    assert once == client.get("/embed/agenda.js", headers=IDENTITY).content


def test_conditional_requests_still_answer_304_with_gzip_on(client, writer):
    client.post("/api/v1/places", json=factories.place(), headers=writer)
    listed = client.get("/api/v1/places", headers=GZIP)
    again = client.get("/api/v1/places", headers={**GZIP, "If-None-Match": listed.headers["etag"]})
    assert again.status_code == 304
    style = client.get("/static/style.css", headers=GZIP)
    assert style.headers["etag"].startswith("W/")  # the compressed bytes are not the file's
    cached = client.get("/static/style.css", headers={**GZIP, "If-None-Match": style.headers["etag"]})
    assert cached.status_code == 304 and "Accept-Encoding" in cached.headers["vary"]


def test_the_versioned_stylesheet_is_kept_a_year_and_any_other_request_an_hour(client):
    linked = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', client.get("/").text)
    assert linked, "pages link the stylesheet with its version"
    versioned = client.get(linked.group(1))
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    for url in ("/static/style.css", "/static/style.css?v=000000000000"):
        assert client.get(url).headers["cache-control"] == "public, max-age=3600", url


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_off_the_api_and_the_embed(client):
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines and f"Sitemap: {BASE_URL}/sitemap.xml" in lines
    assert {"Disallow: /api/", "Disallow: /embed"} <= set(lines)
    assert "/robots.txt" not in client.get("/openapi.json").json()["paths"]
    assert "/sitemap.xml" not in client.get("/openapi.json").json()["paths"]


@dataclass
class Served:
    base: str
    places: list[str]
    upcoming: list[str]
    past: str


@pytest.fixture(params=["node", "hub"])
def served(request, db, writer) -> Iterator[Served]:
    """A node (or a hub) with two places, two upcoming events and a past one, over real HTTP."""
    holder: dict = {}

    def make(base_url: str):
        holder["settings"] = db.settings(base_url=base_url, role=request.param, harvest_in_process=False)
        return create_app(holder["settings"], engine=db.engine)

    with serve(make) as base:
        with httpx.Client(base_url=base, headers=writer) as http:
            places = [http.post("/api/v1/places", json=factories.place()).json()["uid"] for _ in range(2)]
            upcoming = [
                http.post("/api/v1/events", json=factories.event(title=f"À venir {n}")).json()["uid"]
                for n in range(2)
            ]
            past = http.post(
                "/api/v1/events",
                json=factories.event(start="2020-03-01T18:00:00+01:00", end="2020-03-01T20:00:00+01:00"),
            ).json()["uid"]
        yield Served(base, places, upcoming, past)


def _urlset(document: bytes, base: str) -> dict[str, dict[str, str]]:
    """The sitemap's URLs with their alternates, checking its shape on the way."""
    root = ET.fromstring(document)
    assert root.tag == f"{SITEMAP}urlset"
    found = {}
    for entry in root.findall(f"{SITEMAP}url"):
        loc = entry.findtext(f"{SITEMAP}loc")
        links = {link.get("hreflang"): link.get("href") for link in entry.findall(f"{XHTML}link")}
        assert links.keys() == {"fr", "en", "x-default"} and loc in links.values(), loc
        assert all(href.startswith(base + "/") for href in [loc, *links.values()]), loc
        found[loc] = links
    return found


def test_the_sitemap_lists_every_public_page_in_both_languages_and_each_answers(served):
    response = httpx.get(f"{served.base}/sitemap.xml", headers=GZIP)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    listed = _urlset(response.content, served.base)
    pages = (
        ["/", "/places"] + [f"/places/{p}" for p in served.places] + [f"/events/{e}" for e in served.upcoming]
    )
    expected = {
        f"{served.base}{page}{'&' if '?' in page else '?'}lang={lang}"
        for page in pages
        for lang in ("fr", "en")
    }
    assert set(listed) == expected
    assert not any(served.past in loc for loc in listed)
    with httpx.Client() as http:
        for loc, links in listed.items():
            answer = http.get(loc)
            assert answer.status_code == 200, loc
            lang = "en" if loc.endswith("lang=en") else "fr"
            assert f'<html lang="{lang}">' in answer.text, loc
            assert _links(answer.text) == {**links, "canonical": loc}, loc


def test_past_fifty_thousand_urls_the_sitemap_becomes_an_index_of_files(served, monkeypatch):
    whole = _urlset(httpx.get(f"{served.base}/sitemap.xml").content, served.base)
    monkeypatch.setattr(sitemap, "URLS_PER_FILE", 4)  # two pages a file
    index = ET.fromstring(httpx.get(f"{served.base}/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    files = [entry.findtext(f"{SITEMAP}loc") for entry in index.findall(f"{SITEMAP}sitemap")]
    assert files == [f"{served.base}/sitemap-{n}.xml" for n in (1, 2, 3)]
    parts: dict = {}
    for url in files:
        part = _urlset(httpx.get(url).content, served.base)
        assert 0 < len(part) <= 4 and not parts.keys() & part.keys()
        parts |= part
    assert parts == whole
    assert httpx.get(f"{served.base}/sitemap-4.xml").status_code == 404
