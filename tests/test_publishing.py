"""Publishing without the API: a local space signs in with its token and creates, edits and
cancels events and lists its equipment in web forms, checked as the API checks them, in French
or English, every change reaching the API and the change feed. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.auth.tokens import create_token, revoke_token
from hub.events.models import Event
from hub.store.db import session_scope
from hub.store.records import utcnow
from tests import factories
from tests.stores import ADMIN_TOKEN

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FIELD_ERROR = re.compile(r'<p class="field-error" id="f-([\w-]+)-error">([^<]+)</p>')
LIBRARY_WORDS = ("Input should", "Value error", "String should", "pattern", "Field required", "URL input")


def _tuesday() -> date:
    first = date(factories.YEAR, 12, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


class Publisher:
    """A browser-like client signed in to the publishing pages."""

    def __init__(self, client: TestClient, lang: str = "fr") -> None:
        self.client, self.lang = client, lang
        self.csrf = ""

    def sign_in(self, token: str = ADMIN_TOKEN):
        page = self.client.get("/publish/signin", params={"lang": self.lang})
        self.csrf = CSRF.search(page.text)[1]
        answer = self.post("/publish/signin", token=token)
        if answer.status_code == 303:
            self.csrf = CSRF.search(self.client.get("/publish").text)[1]
        return answer

    def post(self, path: str, **fields):
        return self.client.post(
            path, params={"lang": self.lang}, data={"csrf": self.csrf, **fields}, follow_redirects=False
        )

    def event(self, path: str = "/publish/events/new", **fields):
        form = {
            "title": "Co-déjeuner",
            "start_date": _tuesday().isoformat(),
            "start_time": "12:30",
            "end_time": "13:30",
            "freq": "none",
            "ends": "never",
            "action": "save",
            **fields,
        }
        return self.post(path, **form)


def _errors(html: str) -> dict[str, str]:
    return dict(FIELD_ERROR.findall(html))


@pytest.fixture
def publisher(client) -> Publisher:
    publisher = Publisher(client)
    assert publisher.sign_in().status_code == 303
    return publisher


@pytest.fixture
def place_id(client, writer) -> str:
    return client.post("/api/v1/places", json=factories.place(name="La Fabrique"), headers=writer).json()[
        "uid"
    ]


def test_signing_in_exchanges_the_token_for_a_signed_http_only_cookie(client):
    assert client.get("/publish", follow_redirects=False).headers["location"] == "/publish/signin"
    answer = Publisher(client).sign_in()
    assert answer.status_code == 303 and answer.headers["location"] == "/publish?lang=fr"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/publish" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie
    assert ADMIN_TOKEN not in cookie
    page = client.get("/publish")
    assert page.status_code == 200 and "Vos événements" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_when_the_site_is_served_over_https(db):
    app = create_app(db.settings(base_url="https://node.example.org"), engine=db.engine)
    with TestClient(app, base_url="https://node.example.org") as client:
        assert "Secure" in Publisher(client).sign_in().headers["set-cookie"]


def test_an_unknown_token_is_refused_in_the_pages_language(client):
    french = Publisher(client).sign_in(token="tlh_inconnu")
    assert french.status_code == 401 and "Ce jeton est inconnu ou a été révoqué." in french.text
    english = Publisher(client, "en").sign_in(token="tlh_unknown")
    assert english.status_code == 401 and "This token is unknown or was revoked." in english.text
    assert 'aria-describedby="f-token-hint f-token-error"' in english.text
    assert client.get("/publish", follow_redirects=False).status_code == 303


def test_a_token_without_the_write_scope_cannot_sign_in(client, db):
    with session_scope(db.engine) as session:
        _, clear = create_token(session, "a hub", ["harvest"])
    answer = Publisher(client).sign_in(token=clear)
    assert answer.status_code == 403 and "droit « write »" in answer.text


def test_revoking_the_token_ends_its_sign_ins(client, db):
    with session_scope(db.engine) as session:
        token, clear = create_token(session, "La Fabrique", ["write"])
        token_id = token.id
    assert Publisher(client).sign_in(token=clear).status_code == 303
    assert client.get("/publish").status_code == 200
    with session_scope(db.engine) as session:
        revoke_token(session, token_id)
    assert client.get("/publish", follow_redirects=False).headers["location"] == "/publish/signin"


def test_a_tampered_or_expired_cookie_signs_nobody_in(client, publisher):
    signed = client.cookies["hub_session"]
    client.cookies.set("hub_session", signed[:-2] + "xx", path="/publish")
    assert client.get("/publish", follow_redirects=False).status_code == 303
    client.cookies.set("hub_session", signed, path="/publish")
    assert client.get("/publish").status_code == 200
    with time_machine.travel(datetime.now() + timedelta(hours=13)):
        assert client.get("/publish", follow_redirects=False).status_code == 303


def test_signing_out_forgets_the_session(client, publisher):
    answer = publisher.post("/publish/signout")
    assert answer.status_code == 303 and 'hub_session=""' in answer.headers["set-cookie"]
    assert client.get("/publish", follow_redirects=False).status_code == 303
    assert "Vous êtes déconnecté." in client.get(answer.headers["location"]).text


@pytest.mark.parametrize("csrf", ["", "forged"])
def test_every_form_refuses_a_post_without_its_csrf_token(client, publisher, place_id, csrf):
    assert publisher.event().status_code == 303
    [event] = client.get("/api/v1/events").json()["items"]
    publisher.csrf = csrf
    for path in (
        "/publish/signin",
        "/publish/signout",
        "/publish/events/new",
        f"/publish/events/{event['uid']}",
        f"/publish/events/{event['uid']}/cancel",
        f"/publish/places/{place_id}/equipment",
    ):
        answer = publisher.post(path, token=ADMIN_TOKEN, title="Forgé", rows="1", **{"eq-0-name": "x"})
        assert answer.status_code == 403, path
        assert "Formulaire refusé" in answer.text
    assert client.get(f"/api/v1/events/{event['uid']}").json()["status"] == "scheduled"
    assert len(client.get("/api/v1/events").json()["items"]) == 1
    assert client.get("/publish").status_code == 200


def test_a_post_from_another_origin_is_refused_even_with_the_token(client, publisher):
    answer = client.post(
        "/publish/events/new",
        data={"csrf": publisher.csrf, "title": "Forgé", "start_date": _tuesday().isoformat()},
        headers={"Origin": "https://attacker.example"},
    )
    assert answer.status_code == 403
    assert client.get("/api/v1/events").json()["items"] == []


def test_a_weekly_event_created_in_the_form_reaches_the_api_and_the_change_feed(client, publisher, place_id):
    assert client.get("/api/v1/occurrences", params={"limit": 50}).json()["items"] == []
    answer = publisher.event(place=place_id, freq="weekly", days=["TU", "TH"], ends="count", count="6")
    assert answer.status_code == 303
    [event] = client.get("/api/v1/events").json()["items"]
    assert answer.headers["location"] == f"/publish?saved={event['uid']}&lang=fr"
    assert event["title"] == "Co-déjeuner" and event["place"]["uid"] == place_id
    assert event["recurrence"]["rrule"] == "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6"
    assert event["start"] == f"{_tuesday().isoformat()}T12:30:00+01:00"
    assert len(client.get("/api/v1/occurrences", params={"limit": 50}).json()["items"]) == 6
    changed = [item["id"] for item in client.get("/api/v1/changes").json()["items"]]
    assert event["id"] in changed
    assert "« Co-déjeuner » est enregistré." in client.get(answer.headers["location"]).text


def test_a_monthly_rule_on_the_first_monday_with_an_end_date(client, publisher):
    first = date(factories.YEAR, 9, 1)
    monday = first + timedelta(days=-first.weekday() % 7)
    answer = publisher.event(
        start_date=monday.isoformat(),
        start_time="",
        end_time="",
        freq="monthly",
        ordinal="1",
        days="MO",
        ends="until",
        until=f"{factories.YEAR + 1}-06-30",
    )
    assert answer.status_code == 303, _errors(answer.text)
    [event] = client.get("/api/v1/events").json()["items"]
    assert event["all_day"] is True
    assert event["recurrence"]["rrule"] == f"FREQ=MONTHLY;BYDAY=1MO;UNTIL={factories.YEAR + 1}0630"


def test_the_preview_lists_the_dates_in_words_without_saving(client, publisher):
    french = publisher.event(freq="weekly", ends="count", count="20", action="preview")
    assert french.status_code == 200
    dates = re.findall(r"<li>([^<]+)</li>", french.text.split('class="preview-dates"')[1].split("</ol>")[0])
    assert len(dates) == 12 and "Les premières des 20 dates" in french.text
    day = _tuesday().day
    assert dates[0] == f"mardi {day} décembre {factories.YEAR}, 12:30"
    assert client.get("/api/v1/events").json()["items"] == []
    english = Publisher(client, "en")
    english.sign_in()
    answer = english.event(freq="weekly", ends="count", count="3", action="preview")
    assert f"Tuesday {day} December {factories.YEAR}, 12:30" in answer.text
    assert "3 date(s):" in answer.text


def test_refusals_name_the_field_in_french_next_to_it_without_library_text(client, publisher):
    answer = publisher.event(
        title="", registration_url="pas une adresse", count="0", freq="weekly", ends="count"
    )
    assert answer.status_code == 422
    errors = _errors(answer.text)
    assert errors["title"] == "Titre\xa0: ce champ est obligatoire."
    assert errors["count"] == "Nombre de fois\xa0: au moins 1."
    assert 'aria-describedby="f-title-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert '<a href="#f-title">Titre\xa0: ce champ est obligatoire.</a>' in answer.text
    answer = publisher.event(registration_url="pas une adresse")
    assert _errors(answer.text) == {
        "registration_url": "Lien d&#39;inscription\xa0: une adresse web complète est attendue, "
        "commençant par https:// ou http://."
    }
    assert not any(words in answer.text for words in LIBRARY_WORDS)
    assert 'value="Co-déjeuner"' in answer.text, "what was typed is shown again"


def test_refusals_are_in_english_on_english_pages(client):
    english = Publisher(client, "en")
    english.sign_in()
    answer = english.event(start_date="", end_time="11:00")
    errors = _errors(answer.text)
    assert errors["start_date"] == "Start date: this field is required."
    answer = english.event(end_time="11:00")
    assert _errors(answer.text) == {"end_time": "End time: the end is before the start."}
    assert not any(words in answer.text for words in LIBRARY_WORDS)


def test_the_form_refuses_what_the_api_refuses_naming_the_same_field(client, publisher, writer):
    """A start that is no date of its rule: the API names `start`, the form the start date."""
    start = _tuesday()
    api = client.post(
        "/api/v1/events",
        json=factories.event(
            start=f"{start}T12:30:00", end=f"{start}T13:30:00", recurrence={"rrule": "FREQ=WEEKLY;BYDAY=WE"}
        ),
        headers=writer,
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "start"
    answer = publisher.event(freq="weekly", days="WE")
    assert answer.status_code == 422
    wednesday = start + timedelta(days=1)
    assert _errors(answer.text)["start_date"].startswith("Date de début\xa0: le début ne tombe pas")
    assert f"mercredi {wednesday.day} décembre {factories.YEAR}, 12:30" in answer.text
    before = publisher.event(freq="weekly", ends="until", until=(start - timedelta(days=7)).isoformat())
    assert _errors(before.text) == {
        "until": "Dernière date\xa0: cette récurrence ne donne aucune date à partir du début."
    }
    every = publisher.event(freq="weekly", interval="1001")
    assert _errors(every.text) == {"interval": "Toutes les … semaines ou mois\xa0: au plus 1000."}
    too_many = publisher.event(freq="weekly", ends="count", count="10001")
    assert _errors(too_many.text) == {"count": "Nombre de fois\xa0: au plus 10000."}
    assert client.get("/api/v1/events").json()["items"] == []


def test_editing_keeps_what_the_form_does_not_show(client, publisher, writer):
    start = _tuesday()
    created = client.post(
        "/api/v1/events",
        json=factories.event(
            start=f"{start}T12:30:00",
            end=f"{start}T13:30:00",
            recurrence={"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"},
            overrides=[{"recurrence_id": f"{start + timedelta(days=7)}T12:30:00", "status": "cancelled"}],
            audience=["tout public"],
            language="fr",
        ),
        headers=writer,
    ).json()
    page = client.get(f"/publish/events/{created['uid']}")
    assert page.status_code == 200 and 'value="12:30"' in page.text
    assert (
        "Dates changées une à une (ajoutées, retirées ou modifiées)\xa0: 1. Elles sont gardées." in page.text
    )
    assert '<option value="weekly" selected>' in page.text and '<option value="count" selected>' in page.text
    answer = publisher.event(
        path=f"/publish/events/{created['uid']}",
        title="Atelier découverte, nouvelle formule",
        freq="weekly",
        days="TU",
        ends="count",
        count="4",
    )
    assert answer.status_code == 303, _errors(answer.text)
    event = client.get(f"/api/v1/events/{created['uid']}").json()
    assert event["title"] == "Atelier découverte, nouvelle formule"
    assert event["overrides"] == created["overrides"] and event["audience"] == created["audience"]
    assert event["language"] == "fr" and event["sequence"] == created["sequence"] + 1


def test_a_rule_the_builder_cannot_show_is_kept_unless_another_is_chosen(client, publisher, writer):
    start = _tuesday()
    rule = "FREQ=WEEKLY;BYDAY=TU;WKST=SU"
    created = client.post(
        "/api/v1/events",
        json=factories.event(start=f"{start}T12:30:00", end=f"{start}T13:30:00", recurrence={"rrule": rule}),
        headers=writer,
    ).json()
    page = client.get(f"/publish/events/{created['uid']}")
    assert (
        '<option value="keep" selected>Garder la récurrence actuelle (chaque semaine, le mardi)' in page.text
    )
    assert publisher.event(path=f"/publish/events/{created['uid']}", freq="keep").status_code == 303
    assert client.get(f"/api/v1/events/{created['uid']}").json()["recurrence"]["rrule"] == rule
    assert publisher.event(path=f"/publish/events/{created['uid']}", freq="none").status_code == 303
    assert "recurrence" not in client.get(f"/api/v1/events/{created['uid']}").json()


def test_cancelling_keeps_the_event_marked_cancelled(client, publisher):
    publisher.event()
    [event] = client.get("/api/v1/events").json()["items"]
    confirm = client.get(f"/publish/events/{event['uid']}/cancel")
    assert "Annuler « Co-déjeuner »" in confirm.text
    assert publisher.post(f"/publish/events/{event['uid']}/cancel").status_code == 303
    cancelled = client.get(f"/api/v1/events/{event['uid']}").json()
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == event["sequence"] + 1
    assert event["id"] in [item["id"] for item in client.get("/api/v1/changes").json()["items"]]


def test_an_unknown_event_or_place_is_a_page_not_found(client, publisher):
    assert client.get("/publish/events/nothing-here").status_code == 404
    assert client.get("/publish/places/nothing-here/equipment").status_code == 404


def test_equipment_is_edited_added_and_removed_in_the_form(client, publisher, place_id):
    page = client.get(f"/publish/places/{place_id}/equipment")
    assert 'value="découpeuse laser"' in page.text
    more = publisher.post(
        f"/publish/places/{place_id}/equipment", rows="4", action="more", **{"eq-0-name": "scie"}
    )
    assert more.text.count('name="eq-') > page.text.count('name="eq-')
    answer = publisher.post(
        f"/publish/places/{place_id}/equipment",
        rows="3",
        action="save",
        **{
            "eq-0-name": "découpeuse laser",
            "eq-0-remove": "1",
            "eq-1-name": "imprimante 3D",
            "eq-1-category": "fabrication numérique",
            "eq-1-quantity": "2",
            "eq-2-name": "",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/publish?equipped={place_id}&lang=fr"
    place = client.get(f"/api/v1/places/{place_id}").json()
    assert place["equipment"] == [
        {"name": "imprimante 3D", "category": "fabrication numérique", "quantity": 2}
    ]
    assert place["name"] == "La Fabrique" and place["address"]["city"] == "Guéret"
    found = client.get("/api/v1/places", params={"equipment": "imprimante"}).json()["items"]
    assert [p["uid"] for p in found] == [place_id]


def test_equipment_refusals_are_shown_next_to_their_row(client, publisher, place_id):
    answer = publisher.post(
        f"/publish/places/{place_id}/equipment",
        rows="3",
        action="save",
        **{"eq-0-name": "", "eq-1-name": "scie", "eq-1-quantity": "beaucoup", "eq-2-name": "x" * 201},
    )
    assert answer.status_code == 422
    assert _errors(answer.text) == {
        "eq-1-quantity": "Quantité\xa0: un nombre entier est attendu.",
        "eq-2-name": "Nom\xa0: 200 caractères au plus.",
    }
    assert "Quantité (équipement 2)\xa0: un nombre entier est attendu." in answer.text
    assert client.get(f"/api/v1/places/{place_id}").json()["equipment"][0]["name"] == "découpeuse laser"


def test_a_harvested_event_is_neither_offered_nor_editable(client, publisher, writer, db):
    created = client.post("/api/v1/events", json=factories.event(), headers=writer).json()
    with db.engine.begin() as connection:
        connection.execute(
            Event.__table__.update().where(Event.id == created["uid"]).values(harvested_at=utcnow())
        )
    assert created["uid"] not in client.get("/publish").text
    assert client.get(f"/publish/events/{created['uid']}").status_code == 404
    answer = publisher.event(path=f"/publish/events/{created['uid']}")
    assert answer.status_code == 404
    assert client.get(f"/api/v1/events/{created['uid']}").json()["title"] == created["title"]


def test_a_local_space_publishes_directly_on_a_hub(db):
    app = create_app(db.settings(role="hub", harvest_in_process=False), engine=db.engine)
    with TestClient(app) as client:
        publisher = Publisher(client, "en")
        assert publisher.sign_in().status_code == 303
        assert publisher.event(title="Forum des tiers-lieux").status_code == 303
        [event] = client.get("/api/v1/events").json()["items"]
        assert event["title"] == "Forum des tiers-lieux"
        assert event["id"] in [item["id"] for item in client.get("/api/v1/changes").json()["items"]]


def test_a_plain_text_description_keeps_its_paragraphs_and_themes_are_ticked(client, publisher):
    typed = "Un repas partagé <3\nchacun apporte un plat\n\nOuvert à tous"
    assert publisher.event(description=typed, themes=["governance", "community-life"]).status_code == 303
    [event] = client.get("/api/v1/events").json()["items"]
    assert (
        event["description"] == "<p>Un repas partagé &lt;3<br>chacun apporte un plat</p><p>Ouvert à tous</p>"
    )
    assert sorted(c["id"].rsplit("/", 1)[-1] for c in event["themes"]) == ["community-life", "governance"]
    page = client.get(f"/publish/events/{event['uid']}").text
    assert ">Un repas partagé &lt;3\nchacun apporte un plat\n\nOuvert à tous</textarea>" in page
    assert 'value="governance" checked' in page


def test_an_event_at_another_nodes_place_keeps_it_when_edited(client, publisher, writer):
    elsewhere = "https://autre-noeud.example.org/places/la-grange"
    created = client.post("/api/v1/events", json=factories.event(place=elsewhere), headers=writer).json()
    page = client.get(f"/publish/events/{created['uid']}").text
    assert f'<option value="{elsewhere}" selected>' in page
    start = datetime.fromisoformat(created["start"])
    answer = publisher.event(
        path=f"/publish/events/{created['uid']}",
        place=elsewhere,
        start_date=start.date().isoformat(),
        start_time="18:00",
        end_time="20:00",
    )
    assert answer.status_code == 303, _errors(answer.text)
    assert client.get(f"/api/v1/events/{created['uid']}").json()["place"] == {"id": elsewhere}
