"""The agenda as people read it on a phone and on a desktop, at dates that broke date-sensitive
code: events in the first screen with the filters folded away, the month as a calendar grid (in
the pages and in the web component), a jump to any date, the way back to earlier events, and a
place's weekly series named once. A hub over the demo network, harvested once per moment and
served over real HTTP; no serious axe-core violation, no console error."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from hub.api.app import create_app
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.settings import Settings
from hub.store.db import session_scope
from tests.browser import follow, opened, screenshot, serious_violations
from tests.clock import PARIS, frozen_at
from tests.network import demo_network
from tests.servers import serve

# One worker runs the module, so each moment's network is served and harvested once.
pytestmark = pytest.mark.xdist_group("agenda-views")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
WEEKDAYS = {
    "fr": ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
BUSY_DAY_EVENTS = ("Atelier couture", "Atelier vélo", "Atelier soudure", "Atelier compost", "Atelier pain")
# The component on a page of another site, the visitor's clock at the moment's date.
PARTNER_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Mairie</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main><h1>Agenda</h1>
<tiers-lieux-agenda view="month" lang="{lang}"></tiers-lieux-agenda>
<script src="{hub}/embed/agenda.js" type="module"></script></main></body></html>"""


@dataclass
class Hub:
    url: str
    settings: Settings
    engine: object
    today: date
    audits: bool  # whether its pages are checked by axe-core and shot

    def api(self, path: str, **params) -> list[dict]:
        response = httpx.get(self.url + path, params={"limit": 500, **params})
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def place_uid(self, name: str) -> str:
        return next(p["uid"] for p in self.api("/api/v1/places") if p["name"] == name)


MOMENTS = ["new-years-eve", "leap-day"]


@pytest.fixture(scope="module", params=MOMENTS)
def moment(request) -> Iterator[str]:
    """The clock frozen for the module at new year's day in Paris (a month starting on a Friday,
    the earlier events in the year before) or at 29 February (the last day of a short month)."""
    with frozen_at(request.param):
        yield request.param


@pytest.fixture(scope="module")
def network(moment, tmp_path_factory):
    """The demo network, seeded and served at the moment's date."""
    with demo_network(tmp_path_factory.mktemp("network")) as running:
        yield running


@pytest.fixture(scope="module")
def hub(store, network, moment) -> Iterator[Hub]:
    """A hub that harvested the network once for the module, with a busy day ten days on. Its
    pages are audited once, on SQLite at the first moment: the markup depends neither on the store
    nor on the day (what does, the grid's weeks and the dates in it, is asserted at every moment),
    and a screenshot taken again would replace the first under the same name."""
    options = {"role": "hub", "allowed_private_networks": ["127.0.0.1/32"], "harvest_in_process": False}
    settings = store.settings(**options)
    # Playwright's sync API keeps an event loop running in this thread: harvest in another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(network.harvested_by, store.engine, settings).result()
    today = datetime.now(PARIS).date()
    busy = today + timedelta(days=10)
    with session_scope(store.engine) as session:
        for hour, title in enumerate(BUSY_DAY_EVENTS, start=9):
            start = datetime.combine(busy, time(hour))
            save_event(session, settings, EventIn(title=title, start=start, end=start + timedelta(hours=1)))
    try:
        with serve(
            lambda base: create_app(store.settings(**options, base_url=base), engine=store.engine)
        ) as url:
            audits = store.kind == "sqlite" and moment == MOMENTS[0]
            yield Hub(url, settings, store.engine, today, audits)
    finally:
        store.empty()


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    """A French-speaking context; each test opens its own tabs."""
    context = chromium_browser.new_context(locale="fr-FR")
    yield context
    context.close()


def audited(hub: Hub, page, name: str, *, full_page: bool = True) -> None:
    """No serious axe-core violation on the page, and its screenshot, when the hub's pages are audited."""
    if hub.audits:
        violations = serious_violations(page)
        assert not violations, (name, [(v["id"], v["nodes"][0]["html"]) for v in violations])
        screenshot(page, name, full_page=full_page)


def starts(page, selector: str = "li.occurrence time") -> list[str]:
    return page.locator(selector).evaluate_all("ts => ts.map(t => t.dateTime)")


def test_phone_and_desktop_show_events_in_the_first_screen_with_the_filters_folded(hub, chromium):
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        with opened(chromium, hub.url + "/", **size) as page:
            assert page.locator("details.fold").evaluate("d => d.open") is False
            assert not page.locator("#f-q").is_visible()
            first = page.locator("a.event-link").first.bounding_box()
            assert first["y"] + first["height"] <= size["height"], (name, first)
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, name
            audited(hub, page, f"agenda-first-screen-{name}", full_page=False)

            page.locator("details.fold summary").click()
            later = hub.today + timedelta(days=9)
            page.fill("#f-start", later.isoformat())
            page.select_option("#f-department", "23")
            audited(hub, page, f"agenda-filters-open-{name}", full_page=False)
            follow(page, page.locator("form.filters button[type=submit]"))
            assert "department=23" in page.url and f"start={later.isoformat()}" in page.url
            assert page.locator("details.fold").evaluate("d => d.open") is False
            assert "(2 filtres actifs)" in page.locator("details.fold summary").inner_text()
            shown = starts(page)
            assert shown and all(s[:10] >= later.isoformat() for s in shown)
            first = page.locator("a.event-link").first.bounding_box()
            assert first["y"] + first["height"] <= size["height"], (name, first)


def _grid_dates(page) -> list[list[str | None]]:
    """The weeks of the month grid, each day as its date (None outside the month)."""
    return page.locator("table.month tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.dataset.date ?? null))"
    )


def test_month_view_is_a_grid_of_weeks_starting_on_monday(hub, chromium):
    first = hub.today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    month = [first + timedelta(days=n) for n in range((following - first).days)]
    for lang in ("fr", "en"):
        with opened(chromium, f"{hub.url}/?view=month&lang={lang}", **DESKTOP) as page:
            assert page.locator("table.month thead th[scope=col]").all_inner_texts() == WEEKDAYS[lang]
            weeks = _grid_dates(page)
            assert all(len(week) == 7 for week in weeks)
            assert weeks[0][: first.weekday()] == [None] * first.weekday()
            assert [d for week in weeks for d in week if d] == [d.isoformat() for d in month]
            today = page.locator("td.is-today")
            assert today.get_attribute("data-date") == hub.today.isoformat()
            cells = page.locator("td.has-events")
            assert cells.count() > 5
            for i in range(cells.count()):
                day = cells.nth(i).get_attribute("data-date")
                assert all(s.startswith(day) for s in starts(cells.nth(i), "li time"))
            audited(hub, page, f"agenda-month-desktop-{lang}")
    with opened(chromium, f"{hub.url}/?view=month", **DESKTOP) as page:
        follow(page, page.locator("a[rel=next]"))
        assert next(d for d in _grid_dates(page)[0] if d) == following.isoformat()


def test_a_busy_day_shows_three_events_and_a_link_to_its_list(hub, chromium):
    busy = (hub.today + timedelta(days=10)).isoformat()
    with opened(chromium, f"{hub.url}/?view=month&start={busy}", **DESKTOP) as page:
        cell = page.locator(f"td[data-date='{busy}']")
        every = cell.locator("li").count()
        assert every >= len(BUSY_DAY_EVENTS)
        assert cell.locator("li:visible").count() == 3
        more = cell.locator(".more-day a")
        assert more.inner_text().startswith(f"+{every - 3}")
        assert more.locator(".visually-hidden").inner_text().startswith(f"{every - 3} autres événements le ")
        follow(page, more)
        heading = page.locator("#results-title").inner_text().split()
        day = date.fromisoformat(busy)
        assert heading[0] == WEEKDAYS["fr"][day.weekday()] and heading[-1] == str(day.year)
        assert starts(page) and all(s.startswith(busy) for s in starts(page))
        assert len(starts(page)) == every
        assert set(BUSY_DAY_EVENTS) <= set(page.locator("a.event-link").all_inner_texts())


def test_month_is_the_list_of_its_days_with_events_on_a_phone(hub, chromium):
    busy = (hub.today + timedelta(days=10)).isoformat()
    with opened(chromium, f"{hub.url}/?view=month&start={busy}", **PHONE) as page:
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        assert page.locator("table.month thead").bounding_box()["height"] <= 1  # for screen readers only
        assert page.locator("td.outside:visible").count() == 0
        shown = page.locator("td:visible")
        assert shown.count() == page.locator("td.has-events").count()
        cell = page.locator(f"td[data-date='{busy}']")
        assert cell.locator("li:visible").count() == cell.locator("li").count()  # every event, no "+N"
        assert not cell.locator(".more-day").is_visible()
        assert (
            cell.locator(".full").is_visible()
            and cell.locator(".full").inner_text().split()[0] in WEEKDAYS["fr"]
        )
        first = page.locator("td.has-events a.event-link").first.bounding_box()
        assert first["y"] + first["height"] <= PHONE["height"]
        audited(hub, page, "agenda-month-phone")


def test_list_jumps_to_a_date_and_goes_back_to_earlier_events(hub, chromium):
    with opened(chromium, hub.url + "/", **DESKTOP) as page:
        assert min(starts(page))[:10] >= hub.today.isoformat()
        earlier = page.locator("a[rel=prev]", has_text="Événements précédents")
        follow(page, earlier)
        back = page.url.split("start=")[1][:10]
        assert back < hub.today.isoformat() and starts(page)[0].startswith(back)
        assert page.locator("#results-title").inner_text().startswith("À partir du ")
        before_today = [s for s in starts(page) if s[:10] < hub.today.isoformat()]
        assert 0 < len(before_today) <= 50
        audited(hub, page, "agenda-earlier-desktop")
    for view in ("list", "month"):
        wrong = httpx.get(f"{hub.url}/?view={view}&start={hub.today.year + 1}-02-30")
        assert wrong.status_code == 422 and 'role="alert"' in wrong.text and "start" in wrong.text
        assert '<details class="fold" open>' in wrong.text  # the form with the wrong date is in sight
    later = date(hub.today.year + 1, 3, 15) if hub.today.month < 3 else date(hub.today.year, 12, 15)
    with opened(chromium, f"{hub.url}/?view=month&lang=en", **PHONE) as page:
        page.locator("details.fold summary").click()
        page.fill("#f-start", later.isoformat())
        follow(page, page.locator("form.filters button[type=submit]"))
        assert page.locator("#results-title").inner_text() == f"{later:%B} {later.year}"
        assert all(s[:7] == later.isoformat()[:7] for s in starts(page, "td time[datetime*=':']"))


def test_place_page_names_a_weekly_series_once_with_its_next_dates(hub, chromium):
    fabrique = hub.place_uid("La Fabrique du Bocage")
    for lang, every, pitch in (
        ("fr", "Tous les vendredis, 13:00 – 14:00", "Chaque mois, le 3e jeudi, 19:00 – 21:30"),
        ("en", "Every Friday, 13:00 – 14:00", "Every month, on the third Thursday, 19:00 – 21:30"),
    ):
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            with opened(chromium, f"{hub.url}/places/{fabrique}?lang={lang}", **size) as page:
                series = page.locator("ul.series > li")
                lunch = series.filter(has_text="Co-lunch du vendredi")
                assert lunch.count() == 1
                assert lunch.locator(".rule").inner_text() == every
                dates = starts(lunch, "time")
                assert len(dates) == 4 and dates == sorted(dates) and dates[0][:10] >= hub.today.isoformat()
                assert all(date.fromisoformat(d[:10]).weekday() == 4 for d in dates)
                assert series.filter(has_text="Soirée pitch").locator(".rule").inner_text() == pitch
                others = page.locator("section.day a.event-link").all_inner_texts()
                assert "Co-lunch du vendredi" not in others and "Soirée pitch" not in others
                assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
                audited(hub, page, f"place-series-{name}-{lang}")
    # A place known by its shared calendar only: its series are read from the harvested file.
    grange = hub.place_uid("La Grange aux Savoirs")
    with opened(chromium, f"{hub.url}/places/{grange}", **PHONE) as page:
        permanence = page.locator("ul.series > li").filter(has_text="Permanence emploi")
        assert permanence.locator(".rule").inner_text() == "Tous les lundis, 09:00 – 12:00"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_component_month_is_a_grid_on_a_wide_site_and_a_list_in_a_narrow_one(hub, chromium_browser, lang):
    first = hub.today.replace(day=1)
    busy = (hub.today + timedelta(days=10)).isoformat()
    following = {"fr": "Mois suivant", "en": "Next month"}[lang]
    for name, size in (("desktop", {"width": 1000, "height": 900}), ("phone", PHONE)):
        context = chromium_browser.new_context(locale="fr-FR", viewport=size)
        context.clock.set_fixed_time(datetime.now(PARIS))  # the visitor's clock at the moment too
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.set_content(PARTNER_PAGE.format(hub=hub.url, lang=lang))
        agenda = page.locator("tiers-lieux-agenda")
        expect(agenda.locator("table.grid")).to_be_attached()
        expect(agenda.locator("[aria-busy]")).to_have_count(0)
        names = agenda.locator("th[scope=col]").all_text_contents()
        assert [n.capitalize() for n in names] == WEEKDAYS[lang]
        days = agenda.locator("td time.full").evaluate_all("ts => ts.map(t => t.dateTime)")
        assert days[0] == first.isoformat() and all(d[:7] == days[0][:7] for d in days)
        assert agenda.locator("tbody tr").first.locator("td.out").count() == first.weekday()
        assert agenda.locator("td.today time.full").get_attribute("datetime") == hub.today.isoformat()
        if hub.audits:
            assert serious_violations(page) == [], (name, lang)
            screenshot(page, f"embed-month-{name}-{lang}")
        if busy[:7] != days[0][:7]:
            agenda.get_by_role("button", name=following).click()
            expect(agenda.locator(f"time.full[datetime='{busy}']")).to_be_attached()
            expect(agenda.locator("[aria-busy]")).to_have_count(0)
        cell = agenda.locator("td", has=page.locator(f"time.full[datetime='{busy}']"))
        every = cell.locator("li").count()
        assert every >= len(BUSY_DAY_EVENTS)
        if name == "desktop":
            assert agenda.locator("th").first.is_visible()
            assert cell.locator("li:visible").count() == 3
            more = cell.locator("a.more")
            assert more.inner_text().startswith(f"+{every - 3}")
            href = more.get_attribute("href")
            assert href.startswith(f"{hub.url}/?") and f"start={busy}&end={busy}" in href
        else:
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            assert not agenda.locator("th").first.is_visible()
            assert agenda.locator("td.out:visible").count() == 0
            assert cell.locator("li:visible").count() == every and not cell.locator("a.more").is_visible()
        assert errors == []
        context.close()
