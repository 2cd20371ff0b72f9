"""The publishing forms in a real headless Chromium, at phone and desktop sizes: a local space
signs in, previews and saves a weekly event, sees its refusals next to the fields, lists its
equipment and signs out; no serious axe-core violation and no console error on any of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest

from hub.api.app import create_app
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.store.db import session_scope
from tests import factories
from tests.browser import opened, screenshot, serious_violations
from tests.servers import serve
from tests.stores import ADMIN_TOKEN

SIZES = {"phone": 390, "desktop": 1280}


@dataclass
class Node:
    base: str
    place_id: str

    def url(self, path: str) -> str:
        return self.base + path

    def events(self) -> list[dict]:
        return httpx.get(self.url("/api/v1/events")).json()["items"]


@pytest.fixture
def node(db) -> Iterator[Node]:
    """A node with one place of its own, served over real HTTP."""
    made: dict[str, str] = {}

    def make(base_url: str):
        with session_scope(db.engine) as session:
            made["place"] = create_place(session, base_url, PlaceIn(**factories.place(name="La Fabrique"))).id
        return create_app(db.settings(base_url=base_url), engine=db.engine)

    with serve(make) as base:
        yield Node(base, made["place"])


@pytest.fixture
def chromium(chromium_browser):
    context = chromium_browser.new_context(locale="fr-FR")
    yield context
    context.close()


def _tuesday() -> date:
    first = date(factories.YEAR, 12, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


def _clean(page, name: str) -> None:
    assert serious_violations(page) == [], name
    screenshot(page, name)


def _sign_in(page, node: Node) -> None:
    page.goto(node.url("/publish"))
    assert page.url.endswith("/publish/signin")
    page.get_by_label("Jeton de publication").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(node.url("/publish"))


@pytest.mark.parametrize("size", SIZES)
def test_a_local_space_publishes_a_weekly_event_from_its_phone_or_desktop(chromium, node, size, db):
    width = SIZES[size]
    with opened(chromium, node.url("/publish/signin"), width=width, statuses=(422,)) as page:
        _clean(page, f"publish-signin-{size}-{db.kind}")
        _sign_in(page, node)
        page.get_by_role("link", name="Nouvel événement").click()
        page.get_by_label("Titre (obligatoire)", exact=True).fill("")
        page.get_by_label("Date de début").fill(_tuesday().isoformat())
        page.get_by_label("Heure de début").fill("12:30")
        page.get_by_label("Heure de fin").fill("11:00")
        page.get_by_role("button", name="Enregistrer").click()
        alert = page.get_by_role("alert")
        assert "Titre\xa0: ce champ est obligatoire." in alert.inner_text()
        title = page.get_by_label("Titre (obligatoire)", exact=True)
        assert title.get_attribute("aria-invalid") == "true"
        assert page.locator("#f-title-error").inner_text() == "Titre\xa0: ce champ est obligatoire."
        _clean(page, f"publish-event-errors-{size}-{db.kind}")

        title.fill("Co-déjeuner du mardi")
        page.get_by_label("Heure de fin").fill("13:30")
        page.get_by_label("Lieu", exact=True).select_option(label="La Fabrique")
        page.get_by_label("Se répète").select_option("weekly")
        page.get_by_label("mardi", exact=True).check()
        page.get_by_label("Jusqu'à", exact=True).select_option("count")
        page.get_by_label("Nombre de fois").fill("5")
        page.get_by_role("button", name="Aperçu des dates").click()
        # The preview is the form posted and answered again: its list is there once that page is.
        page.locator(".preview-dates li").first.wait_for()
        dates = page.locator(".preview-dates li").all_inner_texts()
        assert dates[0] == f"mardi {_tuesday().day} décembre {factories.YEAR}, 12:30" and len(dates) == 5
        assert node.events() == []
        _clean(page, f"publish-event-preview-{size}-{db.kind}")

        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url("**/publish?saved=*")
        assert "« Co-déjeuner du mardi » est enregistré." in page.get_by_role("status").inner_text()
        [event] = node.events()
        assert event["recurrence"]["rrule"] == "FREQ=WEEKLY;BYDAY=TU;COUNT=5"
        assert event["place"]["uid"] == node.place_id
        _clean(page, f"publish-dashboard-{size}-{db.kind}")

        page.get_by_role("link", name="Annuler l'événement « Co-déjeuner du mardi »").click()
        page.get_by_role("button", name="Annuler l'événement").click()
        page.wait_for_url("**/publish?saved=*")
        assert node.events()[0]["status"] == "cancelled"

        page.get_by_role("link", name="Modifier les équipements (La Fabrique)").click()
        page.get_by_label("Nom", exact=True).nth(1).fill("imprimante 3D")
        page.get_by_label("Quantité", exact=True).nth(1).fill("-1")
        page.get_by_role("button", name="Enregistrer").click()
        assert page.locator("#f-eq-1-quantity-error").inner_text() == "Quantité\xa0: au moins 0."
        _clean(page, f"publish-equipment-errors-{size}-{db.kind}")
        page.get_by_label("Quantité", exact=True).nth(1).fill("2")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url("**/publish?equipped=*")
        equipment = httpx.get(node.url(f"/api/v1/places/{node.place_id}")).json()["equipment"]
        assert [item["name"] for item in equipment] == ["découpeuse laser", "imprimante 3D"]

        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url("**/publish/signin?out=1")
        page.goto(node.url("/publish"))
        assert page.url.endswith("/publish/signin")


def test_the_forms_speak_english_on_english_pages(chromium, node, db):
    with opened(chromium, node.url("/publish/signin?lang=en"), width=SIZES["phone"], statuses=(401,)) as page:
        page.get_by_label("Publishing token").fill("tlh_not-a-token")
        page.get_by_role("button", name="Sign in").click()
        assert (
            page.locator("#f-token-error").inner_text()
            == "Publishing token: This token is unknown or was revoked."
        )
        page.get_by_label("Publishing token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="New event").click()
        page.get_by_label("Title (required)", exact=True).fill("Repair café")
        page.get_by_label("Start date").fill(_tuesday().isoformat())
        page.get_by_label("Repeats").select_option("monthly")
        page.get_by_label("Each month, the…").select_option("1")
        page.get_by_role("button", name="Preview the dates").click()
        first = page.locator(".preview-dates li").first.inner_text()
        assert first.startswith("Tuesday") and str(factories.YEAR) in first
        _clean(page, f"publish-event-preview-en-phone-{db.kind}")
