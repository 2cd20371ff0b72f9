"""Figures for coordinators and funders, over the demo network harvested over HTTP: totals and
breakdowns named (Creuse, not 23) in the page's language, the next or the past twelve months,
CSV for French spreadsheets, an Excel workbook holding the JSON's numbers, and the annual report
that prints on A4 without its navigation and names no skill a private or network-only profile
offers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import openpyxl
import pytest
from bs4 import BeautifulSoup

from hub import stats
from hub.api.app import create_app
from hub.api.sheets import csv_bytes, xlsx_bytes
from tests.browser import screenshot, serious_violations
from tests.network import harvested_once
from tests.servers import serve

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BREAKDOWNS = ("totals", "month", "place", "department", "region", "theme", "audience", "shared", "events")


@pytest.fixture(scope="module")
def hub(store, network):
    """A hub that harvested the demo network once for the module; its tests only read."""
    with harvested_once(store, network) as client:
        yield client


@pytest.fixture(scope="module")
def site(hub, store) -> Iterator[str]:
    """The same hub served over real HTTP, for the pages."""
    with serve(lambda _: create_app(hub.app.state.settings, engine=store.engine)) as base:
        yield base


def _json(hub, **params) -> dict:
    response = hub.get("/api/v1/stats", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _today(hub) -> date:
    return datetime.now(hub.app.state.settings.zone).date()


def test_breakdowns_keep_their_codes_and_add_names_in_the_language_asked(hub):
    departments = {row[0]: row[1] for row in _json(hub, by="department")["rows"]}
    assert departments == {"23": "Creuse", "19": "Corrèze"}
    assert {row[0]: row[1] for row in _json(hub, by="region")["rows"]} == {"75": "Nouvelle-Aquitaine"}
    french = {row[0]: row[1] for row in _json(hub, by="theme")["rows"]}
    english = {row[0]: row[1] for row in _json(hub, by="theme", lang="en")["rows"]}
    repair = "https://w3id.org/tiers-lieux/themes/repair"
    assert french[repair] == "Réparation" and english[repair] == "Repair"
    audiences = {row[0]: row[1] for row in _json(hub, by="audience", lang="en")["rows"]}
    assert audiences["https://w3id.org/tiers-lieux/audiences/everyone"] == "Everyone"


def test_totals_agree_with_the_breakdowns(hub):
    totals = dict(_json(hub, by="totals")["rows"])
    by_place = _json(hub, by="place")["rows"]
    assert totals["events"] == sum(row[2] for row in by_place) > 0
    assert totals["occurrences"] == sum(row[2] for row in _json(hub, by="month")["rows"])
    assert totals["places"] == len(by_place)
    assert totals["occurrences_per_event"] == round(totals["occurrences"] / totals["events"], 2)
    assert totals["shared_events"] == len(_json(hub, by="shared")["rows"]) == 1
    assert totals["events"] == len(_json(hub, by="events")["rows"])
    public, network = (
        totals,
        dict(hub.get("/api/v1/stats", params={"by": "totals"}, headers=hub.admin).json()["rows"]),
    )
    assert network["people"] > public["people"] and network["skills"] > public["skills"]


def test_shared_events_name_the_places_organizing_them(hub):
    [forum] = _json(hub, by="shared")["rows"]
    assert forum[1] == "Forum des tiers-lieux du bocage"
    assert forum[5] == "L'Escale Coworking; La Fabrique du Bocage"
    assert date.fromisoformat(forum[4][:10]) >= _today(hub)


def test_period_is_the_next_twelve_months_by_default_and_the_past_twelve_on_request(hub):
    today = _today(hub)
    default, coming = _json(hub, by="month"), _json(hub, by="month", period="next-12-months")
    past = _json(hub, by="month", period="past-12-months")
    assert default == coming and default["period"] == "next-12-months" and past["period"] == "past-12-months"
    start, end = (datetime.fromisoformat(default[k]) for k in ("start", "end"))
    assert start.date() == today and past["end"] == default["start"]
    assert (
        365 <= (end - start).days <= 366
        and 365 <= (start - datetime.fromisoformat(past["start"])).days <= 366
    )
    explicit = _json(hub, by="month", start=today.isoformat(), end=(today + timedelta(days=30)).isoformat())
    assert explicit["period"] == "explicit"
    refused = hub.get("/api/v1/stats", params={"period": "past-12-months", "start": today.isoformat()})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "period"
    unknown = hub.get("/api/v1/stats", params={"period": "last-year"})
    assert unknown.status_code == 422 and "period" in unknown.text


def test_csv_for_french_spreadsheets_has_semicolons_and_decimal_commas(hub):
    totals = dict(_json(hub, by="totals")["rows"])
    for sep, delimiter, mean in (
        ("semicolon", ";", str(totals["occurrences_per_event"]).replace(".", ",")),
        ("comma", ",", str(totals["occurrences_per_event"])),
    ):
        response = hub.get("/api/v1/stats", params={"by": "totals", "format": "csv", "sep": sep})
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))
        assert rows[0] == ["figure", "value"] and dict(rows[1:])["occurrences_per_event"] == mean
    default = hub.get("/api/v1/stats", params={"by": "department", "format": "csv"}).content.decode(
        "utf-8-sig"
    )
    assert default.splitlines()[0] == "department,label,events,occurrences" and "23,Creuse," in default


def test_xlsx_reads_back_with_the_numbers_of_the_json(hub):
    for by in BREAKDOWNS:
        response = hub.get("/api/v1/stats", params={"by": by, "format": "xlsx", "period": "next-12-months"})
        assert response.status_code == 200 and response.headers["content-type"] == XLSX
        assert f'filename="stats-{by}.xlsx"' in response.headers["content-disposition"]
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        assert book.sheetnames == [by]
        rows = [list(row) for row in book[by].iter_rows(values_only=True)]
        document = _json(hub, by=by)
        assert rows == [document["columns"], *document["rows"]], by


def test_one_workbook_holds_every_figure_of_the_period_with_the_numbers_of_the_json(hub):
    period = {"period": "past-12-months", "lang": "en"}
    response = hub.get("/api/v1/stats/workbook", params=period)
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == [*BREAKDOWNS, "animators", "programmes", "skills", "needs"]
    for by in book.sheetnames:
        document = _json(hub, by=by, **period)
        assert [list(row) for row in book[by].iter_rows(values_only=True)] == [
            document["columns"],
            *document["rows"],
        ], by
    refused = hub.get("/api/v1/stats/workbook", params={"period": "past-12-months", "end": "2026-01-01"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "period"


def test_text_from_sources_never_becomes_a_spreadsheet_formula():
    table = stats.Table(["title", "n"], [['=HYPERLINK("https://evil.example","x")', 1], ["+33 5 55", 2.5]])
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"t": table})))
    assert [cell.data_type for cell in book["t"]["A"]] == ["s", "s", "s"]
    assert book["t"]["A2"].value == table.rows[0][0]
    rows = list(csv.reader(io.StringIO(csv_bytes(table, "semicolon").decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == [["'" + table.rows[0][0], "1"], ["'+33 5 55", "2,5"]]


def _page(site: str, path: str, **params) -> BeautifulSoup:
    response = httpx.get(site + path, params=params)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def test_stats_page_shows_totals_and_named_breakdowns_in_french_and_english(site):
    french = _page(site, "/stats")
    text = french.get_text(" ")
    for words in (
        "En bref",
        "Creuse (23)",
        "Nouvelle-Aquitaine (75)",
        "Réparation",
        "Tout public",
        "co-organisés",
    ):
        assert words in text, words
    assert "Forum des tiers-lieux du bocage" in french.select_one(".figure-shared").get_text()
    current = french.select(".period-choices a[aria-current]")
    assert [a.get_text() for a in current] == ["12 prochains mois"]
    english = _page(site, "/stats", lang="en", period="past-12-months")
    assert "Repair" in _page(site, "/stats", lang="en").get_text() and "At a glance" in english.get_text()
    assert [a.get_text() for a in english.select(".period-choices a[aria-current]")] == ["Past 12 months"]
    downloads = [a["href"] for a in english.select(".figure-department a.download")]
    assert len(downloads) == 3 and all("period=past-12-months" in href for href in downloads)
    for href in downloads:
        response = httpx.get(site + href)
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            ("text/csv", "application/vnd")
        )
    assert "Creuse" in httpx.get(site + downloads[1]).content.decode("utf-8-sig")
    workbook = httpx.get(site + english.select_one("a.workbook")["href"])
    assert openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames[0] == "totals"


def test_a_refused_period_is_said_on_the_page(site):
    response = httpx.get(site + "/stats", params={"period": "past-12-months", "start": "2026-01-01"})
    assert response.status_code == 422 and "period" in response.text


def test_annual_report_lists_the_years_events_and_counts_skills_without_naming_hidden_ones(hub, site):
    year = _today(hub).year
    report = _page(site, "/stats/report", year=year)
    assert report.h1.get_text() == f"Rapport d'activité {year}"
    events = _json(hub, by="events", start=f"{year}-01-01", end=f"{year}-12-31")["rows"]
    listed = report.select(".figure-events tbody tr")
    assert len(listed) == len(events) > 0
    assert {row.th.get_text() for row in listed} == {row[1] for row in events}
    assert "L'Escale Coworking; La Fabrique du Bocage" in report.select_one(".figure-shared").get_text()
    network = dict(hub.get("/api/v1/stats", params={"by": "totals"}, headers=hub.admin).json()["rows"])
    skills_text = report.select_one(".figure-skills-available").get_text(" ")
    assert (
        f"{network['people_offering_skills']} personnes proposent {network['skills']} compétences"
        in skills_text
    )
    public = {row[1] for row in _json(hub, by="skills")["rows"]}
    hidden = {
        row[1] for row in hub.get("/api/v1/stats", params={"by": "skills"}, headers=hub.admin).json()["rows"]
    }
    assert hidden - public and not any(label in skills_text for label in hidden - public)
    workbook = report.select_one("a.workbook")["href"]
    assert f"start={year}-01-01" in workbook and f"end={year}-12-31" in workbook
    english = _page(site, "/stats/report", year=year, lang="en")
    assert english.h1.get_text() == f"Activity report {year}" and english.html["lang"] == "en"
    assert httpx.get(site + "/stats/report", params={"year": "20x6"}).status_code == 422


def test_annual_report_prints_to_pdf_and_reads_on_a_phone(site, hub, store, chromium_browser):
    year = _today(hub).year
    context = chromium_browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{site}/stats/report?year={year}")
        page.emulate_media(media="print")
        assert page.locator("nav.site-nav").is_hidden() and page.locator(".site-footer").is_hidden()
        breaks = page.locator(".figure-events").evaluate("e => getComputedStyle(e).breakBefore")
        assert breaks == "page"
        pdf = page.pdf(format="A4", print_background=False)
        pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
        assert pdf.startswith(b"%PDF-") and pages >= 3  # the programme and the places start a page each
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 390, "height": 844})
        for path in (f"/stats/report?year={year}", "/stats"):
            page.goto(site + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
            if store.kind == "sqlite":
                assert serious_violations(page) == [], path
                screenshot(page, "report-phone" if "report" in path else "stats-periods-phone")
    finally:
        context.close()
