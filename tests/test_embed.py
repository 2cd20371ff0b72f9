"""The embeddable agenda on a third-party site, in a real headless Chromium: the web component
loaded from the hub by a page of another origin, its iframe version, and the snippet generator."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from hub.api.app import create_app
from hub.demo.data import seed_fabrique
from hub.demo.run import register_network
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.settings import Settings
from hub.store.db import session_scope
from tests.browser import SCREENSHOTS, screenshot, serious_violations
from tests.servers import serve

# One worker builds the demo network and launches Chromium once for the whole module.
pytestmark = pytest.mark.xdist_group("embed")

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = {
    "fr": ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAY_NAMES_FR = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
HOSTILE = "<img src=x onerror=alert(1)><script>window.__pwned=1</script>"
ATELIER = "L'Atelier des Possibles, Tulle"  # the makerspace, the one place in department 19
PARTNER_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mairie de Saint-Aurèle-du-Bocage</title>
<link rel="icon" href="data:,">
<script src="{hub}/embed/agenda.js" type="module"></script>
</head>
<body>
<header><p>Mairie de Saint-Aurèle-du-Bocage (site fictif)</p></header>
<main>
<h1>Agenda du territoire</h1>
{body}
</main>
</body>
</html>
"""
# Every event as the component shows it, read through its (open) shadow root.
SHOWN = """agenda => [...agenda.shadowRoot.querySelectorAll("li.ev")].map(li => {
  const link = li.querySelector(":scope > a");
  return {
    title: link.textContent,
    href: link.href,
    when: li.querySelector("time").textContent,
    start: li.querySelector("time").getAttribute("datetime"),
    where: li.querySelector(".where")?.textContent ?? "",
    themes: [...li.querySelectorAll(".tags li")].map(tag => tag.textContent),
    badges: [...li.querySelectorAll(".badge")].map(badge => badge.textContent),
    decoration: getComputedStyle(link).textDecorationLine,
  };
})"""
DAYS = """agenda => [...agenda.shadowRoot.querySelectorAll("h3")].map(heading => ({
  day: heading.querySelector("time").getAttribute("datetime"),
  text: heading.textContent,
  starts: heading.nextElementSibling.matches("ul")
    ? [...heading.nextElementSibling.querySelectorAll("li.ev > time")].map(t => t.getAttribute("datetime"))
    : [],
}))"""
# Every day of the month grid, with the start of its events.
MONTH = """agenda => [...agenda.shadowRoot.querySelectorAll("td:has(time.full)")].map(cell => ({
  day: cell.querySelector("time.full").getAttribute("datetime"),
  starts: [...cell.querySelectorAll("li > time")].map(t => t.getAttribute("datetime")),
}))"""
# The element holding the focus, looked for through shadow roots.
FOCUSED = """() => {
  let element = document.activeElement;
  while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    text: element.textContent,
    label: element.getAttribute("aria-label"),
    href: element.href ?? null,
    pressed: element.getAttribute("aria-pressed"),
    outline: `${style.outlineStyle} ${style.outlineWidth}`,
  };
}"""


@dataclass
class ServedHub:
    url: str
    settings: Settings
    engine: Engine
    stop: Callable[[], None]


@dataclass
class Visit:
    """A browser tab, with what it logged as errors and the dialogs it opened."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def unexpected_errors(self, *allowed: str) -> list[str]:
        return [error for error in self.errors if not any(part in error for part in allowed)]


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    return chromium_browser


@pytest.fixture
def hub(db, network):
    """A hub that harvested the demo network, served over HTTP."""
    options = {"role": "hub", "allowed_private_networks": ["127.0.0.1/32"], "harvest_in_process": False}
    settings = db.settings(**options)
    nodes = [(n.base_url, t) for n, t in zip(network.nodes, network.tokens, strict=True)]
    register_network(db.engine, settings, nodes, network.calendar_url)
    # Playwright's sync API keeps an event loop running in this thread: harvest in another one.
    with ThreadPoolExecutor(1) as pool:
        harvest = pool.submit(asyncio.run, harvest_many(db.engine, settings, all_sources(db.engine)))
        reports = harvest.result()
    assert all(r.ok for r in reports), [r.error for r in reports]
    with ExitStack() as stack:
        url = stack.enter_context(
            serve(lambda base: create_app(db.settings(**options, base_url=base), engine=db.engine))
        )
        yield ServedHub(url, settings, db.engine, stack.close)


def partner_site(hub_url: str) -> Starlette:
    """A town hall's site, on another origin: the component with the attributes of the query
    string at `/`, the iframe version at `/frame`."""

    async def with_component(request: Request) -> HTMLResponse:
        attributes = "".join(
            f' {name}="{html.escape(value)}"' for name, value in request.query_params.items()
        )
        body = f"<tiers-lieux-agenda{attributes}></tiers-lieux-agenda>"
        return HTMLResponse(PARTNER_PAGE.format(hub=hub_url, body=body))

    async def with_frame(request: Request) -> HTMLResponse:
        source = html.escape(f"{hub_url}/embed/agenda?{request.url.query}")
        body = f'<iframe src="{source}" title="Agenda des tiers-lieux" width="100%" height="700"></iframe>'
        return HTMLResponse(PARTNER_PAGE.format(hub=hub_url, body=body))

    return Starlette(routes=[Route("/", with_component), Route("/frame", with_frame)])


@pytest.fixture
def partner(hub):
    with serve(lambda _: partner_site(hub.url)) as url:
        yield url


@pytest.fixture
def partner_of():
    """The partner's site embedding the agenda of the hub at a given URL."""
    return lambda hub_url: serve(lambda _: partner_site(hub_url))


@pytest.fixture
def visit(chromium):
    # A French-speaking visitor far from Paris: the agenda still shows the places' own (Paris) times.
    context = chromium.new_context(
        viewport={"width": 900, "height": 900}, locale="fr-CA", timezone_id="America/Montreal"
    )
    seen = Visit(context.new_page())
    seen.page.on(
        "console", lambda message: seen.errors.append(message.text) if message.type == "error" else None
    )
    seen.page.on("pageerror", lambda error: seen.errors.append(str(error)))
    seen.page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    yield seen
    context.close()


def open_agenda(visit: Visit, partner: str, **attributes: str) -> Locator:
    """The partner's page with `<tiers-lieux-agenda {attributes}>`, once its events are shown."""
    visit.page.goto(f"{partner}/?{urlencode(attributes)}")
    agenda = visit.page.locator("tiers-lieux-agenda")
    expect(agenda.locator("li.ev").first).to_be_visible()
    return agenda


def settled(agenda: Locator) -> None:
    """Wait until the component has shown the answer to its latest request."""
    expect(agenda.locator("[aria-busy]")).to_have_count(0)


def occurrences(hub: ServedHub, **params) -> list[dict]:
    response = httpx.get(f"{hub.url}/api/v1/occurrences", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def in_paris(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(PARIS)


def assert_dates_in(lang: str, shown: list[dict]) -> None:
    for event in shown:
        start = in_paris(event["start"])
        assert event["when"].startswith(WEEKDAYS[lang][start.weekday()]), event
        assert f"{start:%H:%M}" in event["when"], event


def add_event(hub: ServedHub, title: str, place_name: str, **fields) -> None:
    """An event of the hub's own, tomorrow at 10:00, at a place of its own."""
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    with session_scope(hub.engine) as session:
        place = create_place(session, hub.settings.base_url, PlaceIn(name=place_name))
        start, end = datetime.combine(tomorrow, time(10)), datetime.combine(tomorrow, time(12))
        save_event(
            session, hub.settings, EventIn(title=title, start=start, end=end, place=place.id, **fields)
        )


def test_embed_shows_the_network_agenda_in_french_then_in_english(hub, partner, visit):
    add_event(hub, "Webinaire des animateurs", "Réseau du bocage", attendance_mode="online")
    agenda = open_agenda(visit, partner, lang="fr", limit="50")
    expected = occurrences(hub, limit=50)
    shown = agenda.evaluate(SHOWN)
    assert [e["title"] for e in shown] == [o["title"] for o in expected]
    assert [e["href"] for e in shown] == [f"{hub.url}/events/{o['event']['uid']}" for o in expected]
    assert_dates_in("fr", shown)
    arduino = next(e for e in shown if e["title"] == "Soirée Arduino")
    assert arduino["where"] == ATELIER and arduino["themes"] == ["Fabrication numérique"]
    assert "18:00" in arduino["when"] and "21:00" in arduino["when"]  # Paris time, for a visitor in Montreal
    market = next(e for e in shown if e["title"] == "Repair café hors les murs")
    assert market["where"] == "Place du marché, Saint-Aurèle-du-Bocage (La Fabrique du Bocage)"
    badges = {e["title"]: e["badges"] for e in shown if e["badges"]}
    assert badges == {"Co-lunch du vendredi": ["Annulé"], "Webinaire des animateurs": ["En ligne"]}
    [cancelled] = [e for e in shown if e["badges"] == ["Annulé"]]
    assert cancelled["decoration"] == "line-through"
    expect(agenda.get_by_role("heading", level=2)).to_have_text("Prochains événements")
    expect(agenda.get_by_role("list", name="Agenda des tiers-lieux")).to_be_visible()

    agenda.evaluate("agenda => agenda.setAttribute('lang', 'en')")
    expect(agenda.locator(".badge")).to_have_text(["Online", "Cancelled"])
    shown = agenda.evaluate(SHOWN)
    agenda.locator("li.ev", has_text="Webinaire").screenshot(path=SCREENSHOTS / "embed-online-en.png")
    agenda.locator("li.cancelled").screenshot(path=SCREENSHOTS / "embed-cancelled-en.png")
    assert_dates_in("en", shown)
    assert next(e for e in shown if e["title"] == "Soirée Arduino")["themes"] == ["Digital fabrication"]
    expect(agenda.get_by_role("heading", level=2)).to_have_text("Upcoming events")
    expect(agenda.get_by_role("link", name="Subscribe (iCalendar)")).to_have_attribute(
        "href", f"{hub.url}/feeds/events.ics"
    )
    assert visit.errors == [] and visit.dialogs == []


def test_filters_narrow_the_embed_and_its_subscription(hub, partner, visit):
    agenda = open_agenda(visit, partner, lang="fr", department="19", limit="30")
    shown = agenda.evaluate(SHOWN)
    assert {e["where"] for e in shown} == {ATELIER}
    assert {e["title"] for e in shown} == {"Soirée Arduino", "Install party logiciel libre"}
    subscribe = agenda.get_by_role("link", name="S'abonner (iCalendar)").get_attribute("href")
    assert subscribe == f"{hub.url}/feeds/events.ics?department=19"
    feed = httpx.get(subscribe)
    assert feed.headers["content-type"].startswith("text/calendar") and "Soirée Arduino" in feed.text
    assert "Café numérique" not in feed.text

    # The component follows its attributes: another filter, another agenda.
    agenda.evaluate(
        "agenda => { agenda.removeAttribute('department'); agenda.setAttribute('theme', 'digital'); }"
    )
    settled(agenda)
    titles = {e["title"] for e in agenda.evaluate(SHOWN)}
    assert {"Install party logiciel libre", "Atelier CV et numérique pour les demandeurs d'emploi"} <= titles
    assert not titles & {"Repair café du village", "Soirée Arduino", "Co-lunch du vendredi"}
    assert visit.errors == []


def test_week_and_month_views_group_events_by_day_and_move_in_time(hub, partner, visit):
    today = datetime.now(PARIS).date()
    monday = today - timedelta(days=today.weekday())
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    agenda = open_agenda(visit, partner, lang="fr", limit="6")
    screenshot(visit.page, "embed-list-fr")

    def press(name: str) -> None:
        agenda.get_by_role("button", name=name, exact=True).click()
        settled(agenda)

    press("Semaine")
    expect(agenda.get_by_role("button", name="Semaine", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(agenda.get_by_role("button", name="Liste")).to_have_attribute("aria-pressed", "false")
    days = agenda.evaluate(DAYS)
    assert [d["day"] for d in days] == [(monday + timedelta(days=n)).isoformat() for n in range(7)]
    assert [d["text"].split()[0] for d in days] == DAY_NAMES_FR
    assert all(in_paris(start).date().isoformat() == d["day"] for d in days for start in d["starts"])
    assert any(in_paris(s).hour == 18 for s in days[2]["starts"])  # the weekly Arduino evening, even if past
    screenshot(visit.page, "embed-week-fr")
    press("Semaine suivante")
    assert agenda.evaluate(DAYS)[0]["day"] == (monday + timedelta(days=7)).isoformat()
    press("Semaine précédente")
    assert agenda.evaluate(DAYS)[0]["day"] == monday.isoformat()

    press("Mois")
    expect(agenda.get_by_role("heading", level=2)).to_have_text(f"{MONTHS_FR[today.month - 1]} {today.year}")
    days = agenda.evaluate(MONTH)
    assert [d["day"] for d in days] == [
        (today.replace(day=1) + timedelta(days=n)).isoformat() for n in range(len(days))
    ]
    assert len(days) >= 28 and all(d["day"].startswith(f"{today:%Y-%m}") for d in days)
    assert sum(len(d["starts"]) for d in days) >= 8
    assert all(in_paris(start).date().isoformat() == d["day"] for d in days for start in d["starts"])
    screenshot(visit.page, "embed-month-fr")
    press("Mois suivant")
    expect(agenda.get_by_role("heading", level=2)).to_have_text(
        f"{MONTHS_FR[following.month - 1]} {following.year}"
    )
    assert all(d["day"].startswith(f"{following:%Y-%m}") for d in agenda.evaluate(MONTH))

    agenda.evaluate("agenda => { agenda.setAttribute('lang', 'en'); agenda.setAttribute('view', 'list'); }")
    settled(agenda)
    expect(agenda.get_by_role("heading", level=2)).to_have_text("Upcoming events")
    screenshot(visit.page, "embed-list-en")
    press("Week")
    assert agenda.evaluate(DAYS)[0]["text"] == f"Monday {monday.day} {MONTHS_EN[monday.month - 1]}"
    screenshot(visit.page, "embed-week-en")
    press("Month")
    expect(agenda.get_by_role("heading", level=2)).to_have_text(f"{MONTHS_EN[today.month - 1]} {today.year}")
    screenshot(visit.page, "embed-month-en")
    assert visit.errors == []


def test_embed_fits_a_phone_without_horizontal_scroll(hub, partner, visit):
    visit.page.set_viewport_size({"width": 360, "height": 740})
    agenda = open_agenda(visit, partner, lang="fr", limit="6")
    for view in ("Semaine", "Mois", "Liste"):
        agenda.get_by_role("button", name=view, exact=True).click()
        settled(agenda)
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= 360, view
    screenshot(visit.page, "embed-list-phone")
    assert visit.errors == []


def test_keyboard_reaches_every_event_link_and_view_button(hub, partner, visit):
    agenda = open_agenda(visit, partner, lang="fr", limit="8")
    links = set(agenda.evaluate("agenda => [...agenda.shadowRoot.querySelectorAll('a')].map(a => a.href)"))
    assert len(links) > 4
    reached = []
    for _ in range(20):
        visit.page.keyboard.press("Tab")
        reached.append(visit.page.evaluate(FOCUSED))
    assert {r["text"] for r in reached if r["pressed"]} == {"Liste", "Semaine", "Mois"}
    assert links <= {r["href"] for r in reached}
    assert all(r["outline"] == "solid 3px" for r in reached if r["tag"] in ("a", "button"))

    # A view button works from the keyboard, and the focus stays on it.
    visit.page.keyboard.press("Shift+Tab")
    while visit.page.evaluate(FOCUSED)["text"] != "Semaine":
        visit.page.keyboard.press("Shift+Tab")
    visit.page.keyboard.press("Enter")
    expect(agenda.locator("h3").first).to_be_visible()
    assert visit.page.evaluate(FOCUSED)["pressed"] == "true"
    visit.page.keyboard.press("Tab")
    visit.page.keyboard.press("Tab")
    assert visit.page.evaluate(FOCUSED)["label"] == "Semaine précédente"
    visit.page.keyboard.press("Tab")
    assert visit.page.evaluate(FOCUSED)["label"] == "Semaine suivante"
    assert visit.errors == []


def test_markup_from_a_source_is_shown_as_text_and_never_run(hub, partner, visit):
    add_event(hub, f"Atelier {HOSTILE}", f"Lieu {HOSTILE}", themes=[HOSTILE])
    agenda = open_agenda(visit, partner, lang="fr", limit="4")
    [hostile] = [e for e in agenda.evaluate(SHOWN) if e["title"].startswith("Atelier <img")]
    assert hostile["title"] == f"Atelier {HOSTILE}"
    assert hostile["where"] == f"Lieu {HOSTILE}" and hostile["themes"] == [HOSTILE]
    assert agenda.evaluate("agenda => agenda.shadowRoot.querySelectorAll('img, script').length") == 0
    screenshot(visit.page, "embed-hostile-source")

    visit.page.goto(f"{hub.url}/embed/agenda")
    expect(visit.page.get_by_role("link", name=f"Atelier {HOSTILE}")).to_be_visible()
    expect(visit.page.get_by_text(f"Lieu {HOSTILE}")).to_be_visible()
    assert visit.page.locator("img, script").count() == 0

    # goto returned after the load event, which waits for every image to load or fail: an injected
    # onerror handler would have run already, and the page holds no script that could run later.
    assert visit.page.evaluate("window.__pwned") is None
    assert visit.dialogs == [] and visit.errors == []


def test_unreachable_or_failing_hub_gets_a_readable_message(hub, partner, visit):
    # The hub answers an error (an unknown region): a message, not a broken widget.
    visit.page.goto(f"{partner}/?lang=en&region=00")
    agenda = visit.page.locator("tiers-lieux-agenda")
    expect(agenda.get_by_role("status")).to_have_text("The calendar is not available right now.")

    agenda.evaluate("agenda => agenda.removeAttribute('region')")
    expect(agenda.locator("li.ev").first).to_be_visible()
    expect(agenda.get_by_role("status")).to_have_text("")

    hub.stop()
    agenda.evaluate("agenda => agenda.setAttribute('department', '23')")
    expect(agenda.get_by_role("status")).to_have_text("The calendar is not available right now.")
    expect(agenda.locator("li.ev")).to_have_count(0)
    # Chromium logs the failed requests themselves; the component adds nothing to them.
    assert visit.unexpected_errors("net::ERR_", "status of 422") == []
    assert any("net::ERR_" in error for error in visit.errors)


def test_no_serious_accessibility_violation_on_the_embed_the_iframe_page_and_the_generator(
    hub, partner, visit
):
    for view in ("list", "week", "month"):
        open_agenda(visit, partner, lang="fr", view=view, limit="10")
        assert serious_violations(visit.page) == [], view
    visit.page.goto(f"{hub.url}/embed/agenda?lang=fr")
    assert serious_violations(visit.page) == []
    visit.page.goto(f"{hub.url}/embed")
    expect(visit.page.locator("tiers-lieux-agenda li.ev").first).to_be_visible()
    assert serious_violations(visit.page) == []
    assert visit.errors == []


def test_iframe_page_may_be_framed_by_any_site_and_runs_no_script(hub, partner, visit):
    response = httpx.get(f"{hub.url}/embed/agenda", params={"department": "23"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert "<script" not in response.text and '<html lang="fr">' in response.text
    english = httpx.get(f"{hub.url}/embed/agenda", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "Upcoming events" in english.text

    visit.page.goto(f"{partner}/frame?department=23&lang=fr&limit=50")
    frame = visit.page.frame_locator("iframe")
    expect(frame.get_by_role("link", name="Café numérique").first).to_be_visible()
    assert "Soirée Arduino" not in frame.locator("main").inner_text()  # department 19
    days = frame.get_by_role("heading", level=2).all_inner_texts()
    assert days and all(day.split()[0] in DAY_NAMES_FR for day in days)
    links = frame.get_by_role("link")
    assert links.count() > 5
    for link in links.all():
        assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener"
    cancelled = frame.locator(".cancelled").first
    expect(cancelled.locator(".badge")).to_have_text("Annulé")
    expect(frame.get_by_role("link", name="S'abonner (iCalendar)")).to_have_attribute(
        "href", "/feeds/events.ics?department=23"
    )
    screenshot(visit.page, "embed-iframe-on-partner-site")
    visit.page.goto(f"{hub.url}/embed/agenda?lang=en&limit=12")
    screenshot(visit.page, "embed-iframe-en")
    assert visit.errors == []  # no refused frame, no style blocked by the page's own policy


def test_generator_previews_the_choices_and_writes_the_code_to_copy(hub, visit):
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{hub.url}/embed")
    expect(page.locator("tiers-lieux-agenda li.ev").first).to_be_visible()
    page.get_by_label("Département", exact=True).select_option("19")
    page.get_by_label("Thème", exact=True).select_option("fabrication")
    page.get_by_label("Vue au chargement", exact=True).select_option("month")
    page.get_by_label("Couleur des liens et boutons", exact=True).fill("#7a1f5c")
    preview = page.locator("tiers-lieux-agenda")
    expect(preview).to_have_attribute("department", "19")
    expect(preview.get_by_role("button", name="Mois", exact=True)).to_have_attribute("aria-pressed", "true")
    settled(preview)
    # Fabrication covers digital fabrication: the makerspace's Arduino evenings.
    assert {e["title"] for e in preview.evaluate(SHOWN)} == {"Soirée Arduino"}
    component = page.get_by_label("Avec JavaScript (recommandé)", exact=True).input_value()
    assert component == (
        f'<script src="{hub.url}/embed/agenda.js" type="module"></script>\n'
        '<tiers-lieux-agenda department="19" theme="fabrication" lang="fr" view="month" limit="50"'
        ' style="--tl-accent: #7a1f5c; --tl-text: #1f2328;"></tiers-lieux-agenda>'
    )
    frame = page.get_by_label("Sans JavaScript (iframe)", exact=True).input_value()
    assert f'src="{hub.url}/embed/agenda?department=19&theme=fabrication&lang=fr&limit=50"' in frame
    expect(page.get_by_role("status").filter(has_text="Contraste")).to_have_count(0)
    screenshot(page, "embed-generator")

    # Without the page's script, the form gives the same code for the same choices.
    page.get_by_role("button", name="Mettre à jour").click()
    expect(page).to_have_url(re.compile(r"department=19"))
    assert page.get_by_label("Avec JavaScript (recommandé)", exact=True).input_value() == component
    assert page.get_by_label("Sans JavaScript (iframe)", exact=True).input_value() == frame

    page.get_by_label("Couleur du texte", exact=True).fill("#aaaaaa")
    expect(page.locator("#text-warning")).to_contain_text("Contraste insuffisant")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Embed the calendar on your site")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_label("Department", exact=True)).to_have_value("19")
    assert visit.errors == []


def test_component_script_is_cacheable_and_loadable_from_any_site(client):
    response = client.get("/embed/agenda.js", headers={"Origin": "https://mairie.example"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["access-control-allow-origin"] == "*"
    assert len(response.content) < 15_500
    assert "innerHTML" not in response.text and "insertAdjacentHTML" not in response.text
    assert '"cancelled":"Annulé"' in response.text and '"cancelled":"Cancelled"' in response.text
    again = client.get("/embed/agenda.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_iframe_page_names_an_unknown_parameter_and_the_script_takes_a_version_tag(client):
    refused = client.get("/embed/agenda", params={"tehme": "digital"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "tehme"
    # Partner sites bust their own caches with a tag of their choice on the script's address.
    assert client.get("/embed/agenda.js", params={"v": "2"}).status_code == 200


def test_component_script_travels_gzipped_to_browsers_that_accept_it(client):
    gzipped = client.get("/embed/agenda.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert gzipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in gzipped.headers["vary"]
    assert gzipped.num_bytes_downloaded < 5_750
    plain = client.get("/embed/agenda.js", headers={"Accept-Encoding": "identity"})
    refused = client.get("/embed/agenda.js", headers={"Accept-Encoding": "gzip;q=0"})
    for response in (plain, refused):
        assert "content-encoding" not in response.headers
        assert response.content == gzipped.content
    assert plain.headers["etag"] != gzipped.headers["etag"]


def test_component_moving_past_the_horizon_shows_the_days_it_holds_and_says_where_they_stop(
    db, partner_of, visit
):
    """Three weeks ahead: the next month reaches past the horizon (wholly or in part); the
    component shows what it holds of it and says so, instead of an empty or a cut month."""
    settings = db.settings(horizon_days_ahead=21, base_url="http://127.0.0.1")
    with session_scope(db.engine) as session:
        seed_fabrique(session, settings, datetime.now(settings.zone).date())

    def make(base: str):
        return create_app(db.settings(horizon_days_ahead=21, base_url=base), engine=db.engine)

    with serve(make) as url, partner_of(url) as partner:
        last = httpx.get(f"{url}/api/v1/occurrences").json()["horizon"]["last_day"]
        agenda = open_agenda(visit, partner, lang="fr")
        note = agenda.locator("p.note")
        expect(note).to_have_text("")
        for button in ("Mois", "Mois suivant"):
            agenda.get_by_role("button", name=button, exact=True).click()
            settled(agenda)
        expect(note).to_contain_text("Les dates sont publiées du")
        expect(note).to_contain_text(f"{int(last[8:])} {MONTHS_FR[int(last[5:7]) - 1]} {last[:4]}")
        assert all(d["day"] <= last for d in agenda.evaluate(MONTH) if d["starts"])
        screenshot(visit.page, "embed-past-the-horizon-fr")
    assert visit.errors == []
