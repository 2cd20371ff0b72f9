"""The pages people read, in a real headless Chromium: a hub over the demo network, harvested and
served over HTTP. French by default and English on request, filters that narrow the agenda,
linked data behind every event, hostile text kept as text, only public profiles, figures with
accessible charts, the health of the sources; no serious axe-core violation and no console error
on any page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import httpx
import pytest
from rdflib import RDF, URIRef

from hub.api.app import create_app
from hub.demo.run import register_network
from hub.events.schemas import EventIn
from hub.events.service import delete_event, save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source, remove_source
from hub.settings import Settings
from hub.store.db import session_scope
from hub.vocabulary.jsonld import to_graph
from tests.browser import follow, opened, screenshot, serious_violations
from tests.servers import serve

HUB_NAME = "Réseau des tiers-lieux du bocage"
SCHEMA_EVENT = URIRef("http://schema.org/Event")
HOUR = timedelta(hours=1)
HOSTILE_TITLE = "<script>window.__pwned=1</script>"
HOSTILE_DESCRIPTION = '<p>Bienvenue</p><img src=x onerror="window.__pwned=2;alert(1)">'


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    """A French-speaking context; each test opens its own tabs."""
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@dataclass
class Site:
    base: str
    settings: Settings
    engine: object
    store: str

    def url(self, path: str) -> str:
        return self.base + path

    def api(self, path: str, **params) -> list[dict]:
        response = httpx.get(self.url(path), params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        return response.json()["items"]


def _harvest(engine, settings: Settings, source_ids: list[int]) -> list:
    """Harvest in a thread of its own: the browser's Playwright loop runs in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(harvest_many(engine, settings, source_ids))).result()


@pytest.fixture(scope="module")
def site(store, network) -> Iterator[Site]:
    """A hub holding the harvested demo network, served over real HTTP, harvested once for the
    module: a test that adds a record takes it away after it (`hostile_event`, `refusing_source`)."""
    holder: dict = {}

    def make(base_url: str):
        settings = store.settings(
            role="hub",
            name=HUB_NAME,
            base_url=base_url,
            allowed_private_networks=["127.0.0.1/32"],
            harvest_in_process=False,
            horizon_days_ahead=400,
        )
        nodes = [(n.base_url, t) for n, t in zip(network.nodes, network.tokens, strict=True)]
        register_network(store.engine, settings, nodes, network.calendar_url)
        reports = _harvest(store.engine, settings, all_sources(store.engine))
        assert all(r.ok for r in reports), [r.error for r in reports]
        holder["settings"] = settings
        return create_app(settings, engine=store.engine)

    try:
        with serve(make) as base:
            yield Site(base, holder["settings"], store.engine, store.kind)
    finally:
        store.empty()


@pytest.fixture
def hostile_event(site) -> Iterator[str]:
    """An event of the hub's own tomorrow, its title and description hostile markup; its id."""
    soon = datetime.now(site.settings.zone).replace(microsecond=0, tzinfo=None) + timedelta(days=1)
    with session_scope(site.engine) as session:
        uid = save_event(
            session,
            site.settings,
            EventIn(
                title=HOSTILE_TITLE,
                description=HOSTILE_DESCRIPTION,
                start=soon,
                end=soon + HOUR,
                attendance_mode="online",
            ),
        ).id
    yield uid
    with session_scope(site.engine) as session:
        delete_event(session, uid)


@pytest.fixture
def refusing_source(site) -> Iterator[int]:
    """A calendar source whose URL answers 404; its id."""
    with session_scope(site.engine) as session:
        url = f"{site.base}/no-such-calendar.ics"
        source_id = add_source(session, SourceIn(url=url, kind="ics"), default_interval=3600).id
    yield source_id
    with session_scope(site.engine) as session:
        remove_source(session, source_id)


def _uid(site: Site, title: str) -> str:
    [event] = [e for e in site.api("/api/v1/events", q=title) if e["title"] == title]
    return event["uid"]


def _place_uid(site: Site, name: str) -> str:
    return next(p["uid"] for p in site.api("/api/v1/places") if p["name"] == name)


def _titles(page) -> list[str]:
    return page.locator("a.event-link").all_inner_texts()


def _places_of_slots(page) -> set[str]:
    return {text.strip() for text in page.locator("li.occurrence .where").all_inner_texts()}


def test_every_page_reads_in_french_and_english_without_errors_or_serious_violations(site, chromium):
    pages = {
        "agenda-list": "/",
        "agenda-week": "/?view=week",
        "agenda-month": "/?view=month",
        "event": f"/events/{_uid(site, 'Co-lunch du vendredi')}",
        "place": f"/places/{_place_uid(site, 'La Fabrique du Bocage')}",
        "places": "/places",
        "people": "/people",
        "stats": "/stats",
        "sources": "/sources",
    }
    words = {"fr": ("Agenda", "Lieux", "Compétences"), "en": ("Calendar", "Places", "Skills")}
    with opened(chromium, site.url("/")) as page:
        for lang in ("fr", "en"):
            for name, path in pages.items():
                page.goto(
                    site.url(path if lang == "fr" else path + ("&" if "?" in path else "?") + "lang=en")
                )
                assert page.get_attribute("html", "lang") == lang, (name, lang)
                nav = page.locator("nav.site-nav").inner_text()
                assert all(word in nav for word in words[lang]), (name, nav)
                assert page.locator("h1").count() == 1
                assert page.locator("header").count() == page.locator("footer").count() == 1
                assert page.locator("main#main").count() == 1
                other = page.locator("a.language")
                assert other.get_attribute("lang") == ("en" if lang == "fr" else "fr")
                levels = page.locator("h1, h2, h3, h4").evaluate_all("hs => hs.map(h => +h.tagName[1])")
                assert all(b - a <= 1 for a, b in pairwise(levels)), (name, levels)
                loaded = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
                assert all(url.startswith(site.base) for url in loaded), (name, loaded)
                if site.store == "sqlite":  # the markup does not depend on the store: audit it once
                    violations = serious_violations(page)
                    assert not violations, (
                        name,
                        lang,
                        [(v["id"], v["nodes"][0]["html"]) for v in violations],
                    )
                    screenshot(page, f"{name}-{lang}")


def test_french_without_a_preference_and_the_language_link_keeps_the_query(site, chromium):
    bare = httpx.get(site.url("/places"))
    assert bare.status_code == 200 and '<html lang="fr">' in bare.text and "Annuaire des lieux" in bare.text
    assert "script-src 'none'" in bare.headers["content-security-policy"]  # no page needs a script
    english = httpx.get(site.url("/places"), headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text
    with opened(chromium, site.url("/?department=23&view=week")) as page:
        follow(page, page.locator("a.language"))
        assert page.get_attribute("html", "lang") == "en"
        assert "department=23" in page.url and "view=week" in page.url and "lang=en" in page.url
        follow(page, page.locator("nav.site-nav a", has_text="Places"))
        assert page.get_attribute("html", "lang") == "en" and "/places" in page.url


def test_agenda_filters_narrow_it_to_a_department_and_a_theme(site, chromium):
    with opened(chromium, site.url("/")) as page:
        page.locator("details.fold summary").click()
        page.select_option("#f-department", "19")
        follow(page, page.locator("form.filters button[type=submit]"))
        assert "department=19" in page.url
        assert set(_titles(page)) == {"Soirée Arduino", "Install party logiciel libre"}
        assert _places_of_slots(page) == {"L'Atelier des Possibles"}
        feeds = page.locator("link[rel=alternate][type='application/rss+xml']").get_attribute("href")
        subscribe = page.locator("a", has_text="S'abonner").get_attribute("href")
    assert "department=19" in feeds and "department=19" in subscribe
    calendar = httpx.get(site.url(subscribe))
    assert subscribe.startswith("/feeds/events.ics?")
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert "Soirée Arduino" in calendar.text and "Co-lunch" not in calendar.text
    with opened(chromium, site.url("/?theme=digital")) as page:
        titles = set(_titles(page))
        assert {"Café numérique", "Install party logiciel libre"} <= titles
        assert "Repair café du village" not in titles and "Soirée pitch" not in titles
        assert page.locator("#f-theme").input_value() == "digital"
    # The API's own checks: a range of two years at most, the page limit, the shape of a cursor.
    too_long, too_many = "start=2027-01-01&end=2029-06-01", "limit=100000"
    for wrong in (
        "department=99",
        "q=%21%21",
        "start=2026-13-01",
        "near=north",
        too_long,
        too_many,
        "cursor=a.b",
    ):
        answer = httpx.get(site.url(f"/?{wrong}"))
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html"), wrong
        assert 'role="alert"' in answer.text and "<form" in answer.text


def test_unknown_parameter_is_named_on_the_pages(site):
    for path in ("/", "/places", "/people"):
        answer = httpx.get(site.url(f"{path}?tehme=digital&view=month&utm_source=newsletter"))
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html"), path
        assert (
            'role="alert"' in answer.text and "Paramètre inconnu\u00a0: «\u00a0tehme\u00a0»" in answer.text
        ), path
    assert httpx.get(site.url("/?view=month&lang=en&utm_source=newsletter")).status_code == 200
    assert httpx.get(site.url("/places?fbclid=x&_=1")).status_code == 200


def test_week_and_month_views_group_occurrences_by_day(site, chromium):
    with opened(chromium, site.url("/?view=week")) as page:
        days = page.locator("section.day")
        assert days.count() == 7
        first = date.fromisoformat(days.first.get_attribute("data-date"))
        assert first.weekday() == 0
        for i in range(7):
            day = days.nth(i)
            assert day.get_attribute("data-date") == (first + timedelta(days=i)).isoformat()
            for start in day.locator("time").evaluate_all("ts => ts.map(t => t.dateTime)"):
                assert start.startswith(day.get_attribute("data-date"))
        follow(page, page.locator("a[rel=next]"))
        following = page.locator("section.day").first.get_attribute("data-date")
        assert following == (first + timedelta(7)).isoformat()
    with opened(chromium, site.url("/?view=month&lang=en")) as page:
        cells = page.locator("table.month td.has-events")
        dates = [cells.nth(i).get_attribute("data-date") for i in range(cells.count())]
        assert len(dates) > 5 and dates == sorted(set(dates))
        assert len({d[:7] for d in dates}) == 1
        month = dates[0][:7]
        for i in range(cells.count()):
            starts = cells.nth(i).locator("li time").evaluate_all("ts => ts.map(t => t.dateTime)")
            assert starts and all(s.startswith(dates[i]) for s in starts)
        follow(page, page.locator("a[rel=prev]"))
        assert page.locator("table.month td[data-date]").first.get_attribute("data-date")[:7] < month


def test_cancelled_co_lunch_shows_its_badge_in_the_agenda_and_among_its_next_dates(site, chromium):
    today = datetime.now(site.settings.zone).date()
    later = today + timedelta(days=21)
    cancelled = later + timedelta(days=(4 - later.weekday()) % 7)
    for lang, word in (("fr", "Annulé"), ("en", "Cancelled")):
        with opened(chromium, site.url(f"/?view=week&start={cancelled.isoformat()}&lang={lang}")) as page:
            friday = page.locator(f"section.day[data-date='{cancelled.isoformat()}']")
            lunch = friday.locator("li.occurrence", has_text="Co-lunch du vendredi")
            assert lunch.locator(".badge-cancelled").inner_text() == word
            week_before = page.locator(f"section.day[data-date='{(cancelled - timedelta(7)).isoformat()}']")
            assert week_before.count() == 0
    with opened(chromium, site.url(f"/?view=week&start={(cancelled - timedelta(7)).isoformat()}")) as page:
        lunch = page.locator("li.occurrence", has_text="Co-lunch du vendredi")
        assert lunch.count() == 1 and lunch.locator(".badge-cancelled").count() == 0
        follow(page, lunch.locator("a.event-link"))
        assert "Chaque semaine, le vendredi, 13:00 – 14:00" in page.locator("dl.facts").inner_text()
        dates = page.locator("ul.dates li")
        starts = dates.locator("time").evaluate_all("ts => ts.map(t => t.dateTime)")
        assert len(starts) == 8 and starts == sorted(starts)
        assert all(date.fromisoformat(s[:10]).weekday() == 4 for s in starts)
        marked = [starts[i][:10] for i in range(8) if dates.nth(i).locator(".badge-cancelled").count()]
        assert marked == [cancelled.isoformat()]


def _jsonld(page) -> dict:
    blocks = page.locator("script[type='application/ld+json']")
    assert blocks.count() == 1
    return json.loads(blocks.text_content())


def test_event_page_is_what_its_iri_dereferences_to(site, chromium):
    [forum] = [e for e in site.api("/api/v1/events", q="forum") if e["title"].startswith("Forum")]
    with opened(chromium, site.url("/?q=forum")) as page:
        follow(page, page.locator("a.event-link", has_text="Forum des tiers-lieux du bocage"))
        assert page.url.endswith(f"/events/{forum['uid']}")
        document = _jsonld(page)
        assert document["@id"] == forum["id"] and document["name"] == "Forum des tiers-lieux du bocage"
        graph = to_graph(document)
        assert (URIRef(forum["id"]), RDF.type, SCHEMA_EVENT) in graph
        organizers = page.locator("dd ul.plain").first.inner_text()
        assert "La Fabrique du Bocage" in organizers and "L'Escale Coworking" in organizers
        sources = page.locator("section[aria-labelledby=sources-title] li").all_inner_texts()
        assert set(sources) == {"La Fabrique du Bocage", "L'Escale Coworking"}
    linked = httpx.get(site.url(f"/events/{forum['uid']}"), headers={"Accept": "application/ld+json"})
    assert linked.status_code == 200 and linked.headers["content-type"].startswith("application/ld+json")
    assert linked.json()["id"] == forum["id"] and "@context" in linked.json()
    browser_like = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    html = httpx.get(site.url(f"/events/{forum['uid']}"), headers={"Accept": browser_like})
    assert html.headers["content-type"].startswith("text/html")
    place = _place_uid(site, "Le Fournil Partagé")
    place_ld = httpx.get(site.url(f"/places/{place}"), headers={"Accept": "application/ld+json"})
    assert place_ld.headers["content-type"].startswith("application/ld+json")
    assert place_ld.json()["name"] == "Le Fournil Partagé"
    missing = httpx.get(site.url("/events/no-such-event"), headers={"Accept": browser_like})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in missing.text and "Page introuvable" in missing.text
    with opened(chromium, site.url(f"/places/{place}?lang=en")) as page:
        assert _jsonld(page)["name"] == "Le Fournil Partagé"
        assert page.locator("a[href^='https://www.openstreetmap.org/']").count() == 1
        assert "Repair café du village" in _titles(page)
        assert "Marcel Aubusson" in page.locator("section[aria-labelledby=people-title]").inner_text()


def test_hostile_title_and_description_stay_text(site, chromium, hostile_event):
    uid = hostile_event
    for path in (f"/events/{uid}", "/?q=pwned"):
        with opened(chromium, site.url(path)) as page:
            assert page.evaluate("typeof window.__pwned") == "undefined"
            assert page.locator("main img").count() == 0
            if path.startswith("/events"):
                assert page.locator("h1").inner_text() == HOSTILE_TITLE
                assert page.locator(".description").inner_text().strip() == "Bienvenue"
                document = _jsonld(page)
                assert document["name"] == HOSTILE_TITLE and document["@id"].endswith(f"/events/{uid}")
                assert page.locator("script").count() == 1  # the JSON-LD block only
            else:
                assert HOSTILE_TITLE in _titles(page)
                online = page.locator("li.occurrence", has_text="window.__pwned").locator(".badge-online")
                assert online.inner_text() == "En ligne"
    raw = httpx.get(site.url(f"/events/{uid}")).text
    assert "\\u003cscript\\u003e" in raw and HOSTILE_TITLE not in raw


def test_places_directory_finds_who_has_a_laser_cutter_near_the_village(site, chromium):
    with opened(chromium, site.url("/places?equipment=découpeuse+laser")) as page:
        names = page.locator("li.card h3").all_inner_texts()
        assert sorted(names) == ["L'Atelier des Possibles", "La Fabrique du Bocage"]
        page.select_option("#f-near", label="Le Fournil Partagé")
        page.select_option("#f-radius_km", "20")
        follow(page, page.locator("form.filters button[type=submit]"))
        assert page.locator("li.card h3").all_inner_texts() == ["La Fabrique du Bocage"]
        follow(page, page.locator("li.card h3 a"))
        assert page.locator("h1").inner_text() == "La Fabrique du Bocage"
        equipment = page.locator("section[aria-labelledby=equipment-title] tbody").inner_text()
        assert "découpeuse laser" in equipment and "imprimante 3D\tfabrication numérique\t4" in equipment
        assert "lundi – vendredi\u00a0: 09:00 – 18:00" in page.locator("dl.facts").inner_text()


def test_skills_directory_shows_consenting_members_and_public_fields_only(site, chromium):
    with opened(chromium, site.url("/people?skill=impression+3d")) as page:
        names = page.locator("li.person h3").all_inner_texts()
        assert "Lucie Mercadier" in names and "Karim Vasseur" in names
        assert "Paul Rivière" not in names
        text = page.locator("main").inner_text()
        assert "bricole l'électronique" not in text  # Karim shows his bio to the network only
        assert "karim@exemple.example" not in text and "06 00 00 00 02" not in text
        follow(page, page.locator("li.person", has_text="Lucie Mercadier").locator("a", has_text="Python"))
        assert "skill=python" in page.url.lower()
        assert "Lucie Mercadier" in page.locator("li.person h3").all_inner_texts()
    with opened(chromium, site.url("/people")) as page:
        text = page.locator("main").inner_text()
        for hidden in ("Paul Rivière", "Jeanne Ollier", "Yannick Pérot", "Comptable indépendante"):
            assert hidden not in text
        assert "Inès Laforge" in text and "Lucie Mercadier" in text


def test_figures_have_accessible_charts_tables_and_downloads(site, chromium):
    with opened(chromium, site.url("/stats")) as page:
        charts = page.locator("svg[role=img]")
        assert charts.count() == 7  # month, place, department, region, theme, audience, skills
        for i in range(7):
            chart = charts.nth(i)
            title_id = chart.get_attribute("aria-labelledby").split()[0]
            assert chart.locator(f"title#{title_id}").text_content()
            assert chart.locator("rect").count() >= 1  # the demo network lies in one region
        tables = page.locator("table")
        assert tables.count() == 9  # and the totals, and the shared events
        for i in range(9):
            assert tables.nth(i).locator("caption").text_content()
            assert tables.nth(i).locator("th[scope=col]").count() >= 2
            assert tables.nth(i).locator("th[scope=row]").count() >= 1
        assert "La Fabrique du Bocage" in page.locator(".figure-place table").inner_text()
        links = page.locator("a.download").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(links) == 3 * 9
    for link in links:
        response = httpx.get(site.url(link))
        kind = "text/csv" if "format=csv" in link else "application/vnd.openxmlformats"
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), link


def test_sources_page_lists_the_five_demo_sources_healthy_and_a_failing_one_first(
    site, chromium, refusing_source
):
    [report] = _harvest(site.engine, site.settings, [refusing_source])
    assert not report.ok
    with opened(chromium, site.url("/sources")) as page:
        rows = page.locator("table.sources tbody tr")
        assert rows.count() == 6
        assert page.locator("table.sources tbody tr.is-healthy").count() == 5
        assert page.locator("table.sources .badge-ok").all_inner_texts() == ["En bon état"] * 5
        assert "La Grange aux Savoirs" in page.locator("table.sources").inner_text()
        failing = rows.first
        assert "is-failing" in failing.get_attribute("class")
        assert "no-such-calendar.ics" in failing.inner_text() and "En échec" in failing.inner_text()
        assert "Adresse introuvable chez la source" in failing.inner_text()  # a 404, said in words
        assert failing.locator("time").count() == 1  # failing since


def test_stats_and_sources_are_hub_pages(network):
    node = network.nodes[0].base_url
    for path in ("/stats", "/sources"):
        response = httpx.get(node + path)
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert httpx.get(node + "/").status_code == 200


def test_keyboard_reaches_the_filters_and_the_event_links(site, chromium):
    with opened(chromium, site.url("/")) as page:
        reached = []
        for _ in range(60):
            page.keyboard.press("Tab")
            reached.append(
                page.evaluate(
                    "() => { const e = document.activeElement;"
                    " return [e.tagName, e.id, e.className, getComputedStyle(e).outlineStyle]; }"
                )
            )
            if reached[-1][0] == "SUMMARY":
                page.keyboard.press("Enter")  # the filters unfold from the keyboard too
        assert reached[0][2] == "skip-link"
        ids = [r[1] for r in reached]
        assert {"f-q", "f-start", "f-theme", "f-department", "f-near"} <= set(ids)
        links = [r for r in reached if r[2] == "event-link"]
        assert links and all(r[3] != "none" for r in links)  # focus is visible
        assert ids.index("f-q") < reached.index(links[0])


def test_pages_fit_a_phone_screen(site, chromium):
    uid = _uid(site, "Repair café hors les murs")
    phone = {"agenda": "/?view=week", "event": f"/events/{uid}", "stats": "/stats", "sources": "/sources"}
    with opened(chromium, site.url("/"), width=390) as page:
        for name, path in phone.items():
            page.goto(site.url(path))
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, overflow)
            if site.store == "sqlite":
                assert serious_violations(page) == [], name
                screenshot(page, f"{name}-phone")
