"""The needs pages in a real headless Chromium, at phone and desktop sizes: a local space posts a
need, sees its refusal next to the field, then who can help; a visitor asks to be put in touch
from the public page (refused next to the field first), the space reads the request and marks the
need answered; the public page lists it in French and English, without any private contact;
no serious axe-core violation and no console error on any of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hub.api.app import create_app
from hub.people.schemas import PersonIn
from hub.people.service import save_person
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.store.db import session_scope
from tests import factories
from tests.browser import follow, opened, screenshot, serious_violations
from tests.servers import serve
from tests.stores import ADMIN_TOKEN

SIZES = {"phone": 390, "desktop": 1280}
PRIVATE_MAIL = "karima-privee@example.org"
REPLY_MAIL = "jeanne-reponse@example.org"


@dataclass
class Node:
    base: str

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def node(db) -> Iterator[Node]:
    """A node with a fablab and a member who keeps her address private, over real HTTP."""

    def make(base_url: str):
        with session_scope(db.engine) as session:
            place = create_place(session, base_url, PlaceIn(**factories.place(name="La Fabrique")))
            member = factories.person(
                display_name="Karima Exemple",
                skills=["comptabilité"],
                places=[place.id],
                contact={"email": PRIVATE_MAIL},
            )
            save_person(session, base_url, PersonIn(**member))
        return create_app(db.settings(base_url=base_url), engine=db.engine)

    with serve(make) as base:
        yield Node(base)


@pytest.fixture
def chromium(chromium_browser):
    context = chromium_browser.new_context(locale="fr-FR")
    yield context
    context.close()


def _clean(page, name: str) -> None:
    assert serious_violations(page) == [], name
    screenshot(page, name)
    assert PRIVATE_MAIL not in page.content()


@pytest.mark.parametrize("size", SIZES)
def test_a_local_space_posts_a_need_sees_who_can_help_and_the_requests_relayed(chromium, node, size, db):
    with opened(chromium, node.url("/publish/signin"), width=SIZES[size], statuses=(422,)) as page:
        page.get_by_label("Jeton de publication").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(node.url("/publish"))
        follow(page, page.get_by_role("link", name="Besoins et offres"))
        page.get_by_role("button", name="Publier", exact=True).click()
        assert page.locator("#f-title-error").inner_text() == "Titre\xa0: ce champ est obligatoire."
        assert page.get_by_label("Titre (obligatoire)").get_attribute("aria-invalid") == "true"
        _clean(page, f"needs-publish-errors-{size}-{db.kind}")

        page.get_by_label("Titre (obligatoire)").fill("Je cherche quelqu'un pour la compta d'une asso")
        page.get_by_label("Publié par").select_option(label="La Fabrique")
        page.get_by_role("button", name="Publier", exact=True).click()
        page.wait_for_url("**/publish/needs?posted=*")
        assert "C'est publié." in page.get_by_role("status").inner_text()
        assert "Karima Exemple" in page.locator(".matches").inner_text()
        [need] = httpx.get(node.url("/api/v1/needs")).json()["items"]

        with opened(chromium, node.url("/needs"), width=SIZES[size], statuses=(422,)) as public:
            assert (
                "Je cherche quelqu'un pour la compta d'une asso" in public.locator(".needs-list").inner_text()
            )
            assert "Karima Exemple" in public.locator(".matches").inner_text()
            assert REPLY_MAIL not in public.content()
            _clean(public, f"needs-public-{size}-{db.kind}")
            follow(public, public.get_by_role("link", name="Je cherche quelqu'un pour la compta d'une asso"))
            assert "Karima Exemple" in public.locator(".matches").inner_text()
            _clean(public, f"needs-detail-{size}-{db.kind}")
            public.get_by_label("Votre message (obligatoire)").fill("Je peux aider")
            follow(public, public.get_by_role("button", name="Envoyer ma demande"))
            assert public.locator("#f-name-error").inner_text() == "Votre nom\xa0: ce champ est obligatoire."
            assert public.get_by_label("Votre message (obligatoire)").input_value() == "Je peux aider"
            _clean(public, f"needs-contact-errors-{size}-{db.kind}")
            public.get_by_label("Votre nom (obligatoire)").fill("Jeanne Fictive")
            public.get_by_label("Adresse où vous répondre").fill(REPLY_MAIL)
            follow(public, public.get_by_role("button", name="Envoyer ma demande"))
            assert "C'est transmis" in public.get_by_role("status").inner_text()
            assert REPLY_MAIL not in public.content()
            _clean(public, f"needs-contact-sent-{size}-{db.kind}")
            public.goto(node.url("/needs?lang=en"))
            assert public.get_by_role("heading", level=1).inner_text() == "Needs and offers"
            _clean(public, f"needs-public-en-{size}-{db.kind}")

        page.reload()
        assert REPLY_MAIL in page.locator(".relays").inner_text()
        _clean(page, f"needs-publish-{size}-{db.kind}")
        page.get_by_role("button", name="Marquer satisfait").click()
        page.wait_for_url("**/publish/needs")
        assert httpx.get(need["id"].replace("/needs/", "/api/v1/needs/")).json()["state"] == "answered"
