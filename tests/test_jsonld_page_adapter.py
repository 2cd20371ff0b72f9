"""The adapter for web pages carrying schema.org JSON-LD events: one page per case in tests/pages/.

Pure unit tests: no database, no network (one test proves the adapter opens no connection).
"""

from __future__ import annotations

import hashlib
import json
import socket
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.calendar.recurrence import parse_rule
from hub.events.schemas import HarvestedEventIn
from hub.federation.adapters.jsonld_page import parse_page, read
from hub.federation.adapters.schema_schedule import NoRule, series
from hub.federation.errors import NoEventOnPage
from hub.federation.harvested import Batch, Harvested
from hub.web.i18n import MESSAGES

PAGES = Path(__file__).parent / "pages"
PARIS = ZoneInfo("Europe/Paris")


def parse(name: str, source_url: str, content_type: str | None = "text/html") -> Batch:
    return parse_page((PAGES / name).read_bytes(), source_url=source_url, content_type=content_type)


def event(iri: str, **data: object) -> Harvested:
    """The record the adapter hands over: the event's JSON, and the same validated as our input."""
    return Harvested(kind="event", iri=iri, data=data, input=HarvestedEventIn.model_validate(data))


def hashed_iri(source_url: str, name: str, start: str) -> str:
    return f"{source_url}#{hashlib.sha1((name + start).encode()).hexdigest()[:16]}"


def test_the_events_calendar_graph_gives_events_with_their_referenced_place():
    batch = parse("wordpress_the_events_calendar.html", "https://la-ruche-gueret.example/agenda/")

    ruche = {
        "name": "La Ruche – tiers-lieu",
        "address": {
            "street": "12 avenue de la République",
            "postal_code": "23000",
            "city": "Guéret",
            "country": "FR",
        },
        "geo": {"lat": 46.1716, "lon": 1.8717},
    }
    assert batch.complete is True
    assert batch.rejected == []
    assert batch.records == [
        event(
            "https://la-ruche-gueret.example/evenement/co-lunch-du-vendredi/2024-05-17/#event",
            title="Co-lunch du vendredi",
            description="<p>On apporte son plat, on partage la table et les projets.</p>",
            start="2024-05-17T12:30:00+02:00",
            end="2024-05-17T14:00:00+02:00",
            timezone="Europe/Paris",
            status="scheduled",
            attendance_mode="offline",
            location=ruche,
            image="https://la-ruche-gueret.example/wp-content/uploads/2024/04/co-lunch.jpg",
            url="https://la-ruche-gueret.example/evenement/co-lunch-du-vendredi/2024-05-17/",
            is_free=True,
            registration_url="https://la-ruche-gueret.example/evenement/co-lunch-du-vendredi/2024-05-17/",
        ),
        event(
            "https://la-ruche-gueret.example/evenement/atelier-decoupe-laser/#event",
            title="Atelier d’initiation – découpe laser",
            description=(
                "<p>Découvrez la découpeuse laser du fablab : <strong>sécurité</strong>, réglages, "
                "premier porte-clés.</p>\n<p>Matériel fourni.</p>"
            ),
            start="2024-05-22T18:00:00+02:00",
            end="2024-05-22T20:30:00+02:00",
            timezone="Europe/Paris",
            status="scheduled",
            attendance_mode="offline",
            location=ruche,
            image="https://la-ruche-gueret.example/wp-content/uploads/2024/04/laser.jpg",
            url="https://la-ruche-gueret.example/evenement/atelier-decoupe-laser/",
            capacity=8,
            themes=["fablab", "découpe laser"],
            is_free=False,
            price=15.0,
            currency="EUR",
            registration_url="https://la-ruche-gueret.example/evenement/atelier-decoupe-laser/#tribe-tickets",
        ),
    ]


def test_yoast_graph_follows_references_and_reads_naive_dates_in_paris():
    source = "https://moulin-numerique.example/evenements/soiree-tiers-lieux-territoires/"
    batch = parse("yoast_graph.html", source)

    assert batch.complete is True
    assert batch.rejected == []
    assert batch.records == [
        event(
            f"{source}#event",
            title='Soirée "Tiers-lieux & territoires"',
            description=(
                "<p>Élus, habitants et porteurs de projets se retrouvent au Moulin.<br>"
                "Table ronde à 18h30, apéro à 20h &amp; visite des ateliers.</p>"
                "<p>Entrée libre, inscription conseillée.</p>"
            ),
            start="2024-06-07T18:30:00",
            end="2024-06-07T21:00:00",
            timezone="Europe/Paris",
            # "23 500" is read as a postal code; "FRA" is not a 2-letter code and is left out.
            location={
                "name": "Le Moulin Numérique",
                "address": {"street": "Route du Moulin", "postal_code": "23500", "city": "Felletin"},
                "geo": {"lat": 45.8839, "lon": 2.1739},
            },
            image="https://moulin-numerique.example/wp-content/uploads/2024/05/soiree-territoires.jpg",
            url=source,
            language="fr-FR",
            themes=["Tiers-lieux", "Développement local"],
            is_free=True,
        )
    ]


def test_squarespace_single_event_reads_compact_offsets_and_an_address_line():
    source = "https://atelier-des-possibles.example/evenements/soiree-pitch-juin"
    batch = parse("squarespace_single_event.html", source)

    assert batch.complete is True
    assert batch.rejected == []
    # The event page's own URL is the event's identity: no other event on the page shares it.
    assert batch.records == [
        event(
            source,
            title="Soirée pitch : vos projets en 3 minutes",
            description=(
                "<p>Trois minutes pour présenter votre projet, sept pour en discuter.<br>"
                "Buffet partagé ensuite.</p>"
            ),
            start="2024-06-13T19:00:00+02:00",
            end="2024-06-13T21:30:00+02:00",
            timezone="Europe/Paris",
            location={
                "name": "L'Atelier des Possibles",
                "address": {"street": "3 place du Marché", "postal_code": "87000", "city": "Limoges"},
            },
            image="https://images.squarespace-cdn.example/content/v1/61a0/pitch-juin.jpg?format=1500w",
            url=source,
        )
    ]


def test_item_list_events_are_collected_through_main_entity_and_references():
    batch = parse("itemlist_of_events.html", "https://reseau-tiers-lieux-creuse.example/agenda/")

    assert batch.complete is True
    assert batch.records == [
        event(
            "https://reseau-tiers-lieux-creuse.example/agenda/smartphone-debutants/",
            title="Numérique : prendre en main son smartphone",
            start="2024-09-12T14:00:00+00:00",
            end="2024-09-12T16:00:00+00:00",
            timezone="Europe/Paris",
            location={
                "name": "Espace numérique de Bourganeuf",
                "address": {
                    "street": "2 place du Champ de Foire",
                    "postal_code": "23400",
                    "city": "Bourganeuf",
                    "country": "FR",
                },
                "geo": {"lat": 45.9536, "lon": 1.7553},
            },
            image="https://reseau-tiers-lieux-creuse.example/media/smartphone.jpg",
            language="fr-FR",
            capacity=10,
            themes=["numérique", "inclusion numérique", "Inclusion"],
            is_free=False,
            price=12.5,
            currency="EUR",
            registration_url="https://billetterie.example/reseau-creuse/smartphone-debutants",
        ),
        # Referenced from the list, defined in another block: read once.
        event(
            "https://reseau-tiers-lieux-creuse.example/agenda/repair-cafe-septembre/",
            title="Repair café de septembre",
            description="<p>Grille-pain, lampes, vélos : on répare ensemble.</p>",
            start="2024-09-21T14:00:00+02:00",
            end="2024-09-21T17:00:00+02:00",
            timezone="Europe/Paris",
            location={"name": "Tiers-lieu La Quincaillerie, Guéret"},
            is_free=True,
        ),
    ]


def test_unreadable_events_are_rejected_alone_with_a_reason():
    batch = parse("itemlist_of_events.html", "https://reseau-tiers-lieux-creuse.example/agenda/")

    assert len(batch.records) == 2
    assert [(r.iri, r.reason) for r in batch.rejected] == [
        ("https://reseau-tiers-lieux-creuse.example/agenda/sans-titre/", "the event has no name"),
        (
            "https://reseau-tiers-lieux-creuse.example/agenda/soiree-jeux/",
            "startDate 'le 3 octobre à 18h' is not an ISO 8601 date or date-time",
        ),
        (
            "https://reseau-tiers-lieux-creuse.example/agenda/apero-migre/",
            "not a valid event: description: must not contain NUL characters",
        ),
    ]
    assert json.loads(batch.rejected[0].raw)["startDate"] == "2024-09-20T18:00:00+02:00"
    # Rejecting one event says nothing against the others: the page is still a whole snapshot.
    assert batch.complete is True


def test_event_series_gives_its_sub_events_once_and_a_festival_keeps_its_days():
    source = "https://festival-communs.example/programme/"
    batch = parse("event_series_with_subevents.html", source)

    # The series has no start of its own: its sub-events are the events, and it is not rejected.
    assert batch.rejected == []
    assert batch.complete is True
    assert batch.records == [
        event(
            f"{source}#hackathon-cartographie",
            title="Hackathon cartographie des communs",
            start="2024-10-01T09:00:00+02:00",
            end="2024-10-02T18:00:00+02:00",
            timezone="Europe/Paris",
            location={"name": "La Ruche", "address": {"postal_code": "23000", "city": "Guéret"}},
        ),
        event(
            f"{source}#atelier-licences",
            title="Atelier licences libres",
            start="2024-10-03T14:00:00+02:00",
            end="2024-10-03T16:00:00+02:00",
            timezone="Europe/Paris",
        ),
        # All-day: its end is the last day, inclusive, even when given as a date-time.
        event(
            f"{source}#fete",
            title="Fête du tiers-lieu",
            start="2024-10-05",
            end="2024-10-06",
            timezone="Europe/Paris",
            location={"name": "Le Moulin Numérique"},
        ),
        event(
            f"{source}#concert",
            title="Concert de clôture",
            start="2024-10-05T20:30:00+02:00",
            timezone="Europe/Paris",
        ),
    ]


def test_statuses_and_attendance_modes_are_read_in_any_schema_org_spelling():
    source = "https://coworking-aubusson.example/agenda"
    batch = parse("cancelled_and_online_events.html", source)

    assert batch.rejected == []
    assert batch.records == [
        event(
            f"{source}/petit-dejeuner-nouveaux-mars",
            title="Petit-déjeuner des nouveaux",
            start="2024-03-04T08:30:00+01:00",
            end="2024-03-04T10:00:00+01:00",
            timezone="Europe/Paris",
            status="cancelled",
            location={
                "name": "Coworking d'Aubusson",
                "address": {"street": "7 rue Vieille", "postal_code": "23200", "city": "Aubusson"},
            },
        ),
        event(
            f"{source}/atelier-cv",
            title="Atelier CV pour demandeurs d'emploi",
            start="2024-03-14T09:30:00",
            timezone="Europe/Paris",
            status="postponed",
            attendance_mode="offline",
        ),
        # Prefixed keys ("schema:name"), an enumeration given as {"@id": "schema:..."}, and a
        # virtual location alone: the event is online.
        event(
            f"{source}/webinaire-financer-son-tiers-lieu",
            title="Webinaire : financer son tiers-lieu",
            start="2024-03-21T12:15:00+01:00",
            end="2024-03-21T13:30:00+01:00",
            timezone="Europe/Paris",
            status="moved_online",
            attendance_mode="online",
        ),
        # Full IRI keys under an @vocab context; a place and a virtual location: mixed.
        event(
            f"{source}/apero-reseau-hybride",
            title="Apéro-réseau hybride",
            start="2024-03-28T18:30:00+01:00",
            timezone="Europe/Paris",
            status="scheduled",
            attendance_mode="mixed",
            location={"name": "Coworking d'Aubusson"},
        ),
    ]


def test_weekly_schedule_becomes_an_rrule_starting_on_its_first_occurrence():
    batch = parse("schedule_weekly.html", "https://la-ruche-gueret.example/rendez-vous/")

    co_lunch = batch.records[0]
    assert co_lunch == event(
        "https://la-ruche-gueret.example/rendez-vous/co-lunch/",
        title="Co-lunch du vendredi",
        # The schedule starts on Monday 1 January; the first Friday is the 5th.
        start="2024-01-05T13:00:00",
        end="2024-01-05T14:00:00",
        timezone="Europe/Paris",
        recurrence={
            "rrule": "FREQ=WEEKLY;BYDAY=FR;UNTIL=20240628T235959",
            "exdates": ["2024-04-19", "2024-05-10"],
        },
        location={"name": "La Ruche"},
    )
    fridays = list(parse_rule(co_lunch.data["recurrence"]["rrule"], datetime(2024, 1, 5, 13, tzinfo=PARIS)))
    assert len(fridays) == 26
    assert fridays[-1] == datetime(2024, 6, 28, 13, tzinfo=PARIS)


def test_monthly_schedule_by_week_of_month_becomes_a_numbered_weekday():
    batch = parse("schedule_weekly.html", "https://la-ruche-gueret.example/rendez-vous/")

    breakfast = batch.records[1]
    assert breakfast == event(
        "https://la-ruche-gueret.example/rendez-vous/petit-dejeuner-nouveaux/",
        title="Petit-déjeuner des nouveaux arrivants",
        start="2024-02-05T08:30:00",
        end="2024-02-05T10:00:00",
        timezone="Europe/Paris",
        recurrence={"rrule": "FREQ=MONTHLY;BYDAY=1MO;COUNT=10"},
    )
    mondays = list(
        parse_rule(breakfast.data["recurrence"]["rrule"], datetime(2024, 2, 5, 8, 30, tzinfo=PARIS))
    )
    assert [moment.date().isoformat() for moment in mondays[:3]] == ["2024-02-05", "2024-03-04", "2024-04-01"]
    assert mondays[-1] == datetime(2024, 11, 4, 8, 30, tzinfo=PARIS)


def test_all_day_schedule_keeps_days_and_untranslatable_schedules_keep_one_occurrence():
    batch = parse("schedule_weekly.html", "https://la-ruche-gueret.example/rendez-vous/")

    assert batch.records[2:] == [
        event(
            "https://la-ruche-gueret.example/rendez-vous/repair-cafe/",
            title="Repair café",
            start="2024-03-02",
            timezone="Europe/Paris",
            recurrence={"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;UNTIL=20241221", "exdates": ["2024-08-17"]},
        ),
        # Two schedules at different hours are not one RRULE: the single occurrence is kept.
        event(
            "https://la-ruche-gueret.example/rendez-vous/permanences/",
            title="Permanences de l'animatrice",
            start="2024-04-02T12:00:00+02:00",
            end="2024-04-02T14:00:00+02:00",
            timezone="Europe/Paris",
        ),
    ]
    assert batch.rejected == []


def test_relative_ids_and_urls_are_resolved_against_the_page():
    source = "https://la-fabrique.example/agenda/"
    batch = parse("relative_ids.html", source)

    assert batch.rejected == []
    assert batch.records == [
        event(
            f"{source}#repair-cafe-mai",
            title="Repair café de mai",
            start="2024-05-18T14:00:00+02:00",
            timezone="Europe/Paris",
            location={
                "name": "La Fabrique",
                "address": {"street": "4 rue des Tanneries", "postal_code": "23200", "city": "Aubusson"},
            },
            # The relative image is not kept: only absolute http(s) images are.
            is_free=True,
            registration_url="https://la-fabrique.example/agenda/inscription/repair-cafe-mai",
        ),
        # A blank node id identifies nothing outside the page: the url does.
        event(
            "https://la-fabrique.example/evenements/portes-ouvertes/",
            title="Portes ouvertes de l'atelier bois",
            start="2024-06-01",
            timezone="Europe/Paris",
            url="https://la-fabrique.example/evenements/portes-ouvertes/",
        ),
        # Both carry the agenda's own URL, which names the page, not either event.
        event(
            hashed_iri(source, "Soirée jeux de société", "2024-05-24T19:00:00+02:00"),
            title="Soirée jeux de société",
            start="2024-05-24T19:00:00+02:00",
            timezone="Europe/Paris",
            url=source,
        ),
        event(
            hashed_iri(source, "Atelier couture", "2024-05-29T14:00:00+02:00"),
            title="Atelier couture",
            start="2024-05-29T14:00:00+02:00",
            timezone="Europe/Paris",
            url=source,
        ),
    ]


def test_latin1_page_is_decoded_with_its_meta_charset():
    batch = parse("latin1_page.html", "https://cafe-felletin.example/agenda.html", content_type="text/html")

    # iso-8859-1 is read as windows-1252, as browsers do: the dash, the apostrophe and € survive.
    assert batch.records == [
        event(
            "https://cafe-felletin.example/agenda.html#cafe-reparation",
            title="Café réparation – l’atelier du samedi",
            description="<p>Venez avec vos objets cassés : grille-pain, vélos, vêtements…</p>",
            start="2024-04-13T10:00:00+02:00",
            end="2024-04-13T12:30:00+02:00",
            timezone="Europe/Paris",
            location={
                "name": "Café associatif « Le Relais »",
                "address": {
                    "street": "5 Grande Rue",
                    "postal_code": "23500",
                    "city": "Felletin",
                    "country": "FR",
                },
            },
            is_free=False,
            price=5.0,
            currency="EUR",
        )
    ]


def test_content_type_charset_wins_over_meta_charset_and_bad_bytes_are_replaced():
    batch = parse(
        "latin1_page.html",
        "https://cafe-felletin.example/agenda.html",
        content_type="text/html; charset=utf-8",
    )

    assert batch.records[0].data["title"] == "Caf\ufffd r\ufffdparation \ufffd l\ufffdatelier du samedi"


def test_broken_json_block_is_rejected_and_the_other_blocks_still_count():
    batch = parse("broken_json_block.html", "https://quai-numerique.example/agenda/")

    # The second block opens with a JavaScript comment, which extruct tolerates; the third is empty.
    assert batch.records == [
        event(
            "https://quai-numerique.example/agenda/atelier-impression-3d/",
            title="Atelier impression 3D",
            start="2024-06-04T17:30:00+02:00",
            end="2024-06-04T19:30:00+02:00",
            timezone="Europe/Paris",
        )
    ]
    [rejected] = batch.rejected
    assert rejected.reason.startswith("JSON-LD block 1 is not valid JSON: Expecting ',' delimiter")
    assert '"name": "Soirée "pitch" du jeudi"' in rejected.raw
    # The broken block may have held events: deleting on the strength of this page would be wrong.
    assert batch.complete is False


def test_remote_context_is_refused_and_never_fetched(monkeypatch):
    attempts = refuse_network(monkeypatch)
    batch = parse("remote_context_refused.html", "https://combrailles-tiers-lieu.example/agenda/")

    assert attempts == []
    assert [(r.iri, r.reason) for r in batch.rejected] == [
        (
            "https://combrailles-tiers-lieu.example/agenda/marche-producteurs/",
            "unknown context https://example.org/other-context.jsonld: not fetched",
        )
    ]
    assert [record.iri for record in batch.records] == [
        "https://combrailles-tiers-lieu.example/agenda/initiation-soudure/"
    ]
    assert batch.complete is False


def test_page_without_jsonld_gives_an_empty_batch_that_is_not_a_snapshot():
    # Microdata is there, but this adapter reads JSON-LD only.
    batch = parse("no_jsonld.html", "https://fablab-plateau.example/agenda/")

    assert batch == Batch(records=[], rejected=[], complete=False)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "text/html"),
        (b"  \n ", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "image/png"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "application/pdf"),
    ],
    ids=["empty", "blank", "png", "pdf"],
)
def test_empty_or_binary_body_gives_an_empty_batch_that_is_not_a_snapshot(body, content_type):
    batch = parse_page(body, source_url="https://tiers-lieu.example/agenda/", content_type=content_type)

    assert batch == Batch(records=[], rejected=[], complete=False)


def test_person_organizer_and_performer_are_not_copied():
    source = "https://relais-bourganeuf.example/evenement/atelier-tricot-papote/"
    batch = parse("person_organizer_not_copied.html", source)

    assert batch.records == [
        event(
            source,
            title="Atelier tricot-papote",
            description="<p>Aiguilles et laine fournies. Thé offert.</p>",
            start="2024-11-05T14:00:00+01:00",
            end="2024-11-05T16:30:00+01:00",
            timezone="Europe/Paris",
            status="scheduled",
            attendance_mode="offline",
            location={
                "name": "Salle commune du Relais",
                "address": {"street": "1 rue de l'Église", "postal_code": "23400", "city": "Bourganeuf"},
            },
            image="https://relais-bourganeuf.example/wp-content/uploads/2024/10/tricot.jpg",
            url=source,
            is_free=False,
            price=3.0,
            currency="EUR",
            registration_url=source,
        )
    ]
    written = json.dumps([record.data for record in batch.records], ensure_ascii=False)
    for personal in ("Camille", "Fictive", "camille", "06 00 00 00 00", "Dominique"):
        assert personal not in written


def test_jsonld_document_served_alone_is_read_with_orjson():
    document = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": "https://agenda-partage.example/events/nuit-des-tiers-lieux",
        "name": "Nuit des tiers-lieux",
        "startDate": "2024-06-21T19:00:00+02:00",
        "eventAttendanceMode": "https://schema.org/MixedEventAttendanceMode",
    }
    batch = parse_page(
        json.dumps(document).encode(),
        source_url="https://agenda-partage.example/events.jsonld",
        content_type="application/ld+json; charset=utf-8",
    )

    assert batch == Batch(
        records=[
            event(
                "https://agenda-partage.example/events/nuit-des-tiers-lieux",
                title="Nuit des tiers-lieux",
                start="2024-06-21T19:00:00+02:00",
                timezone="Europe/Paris",
                attendance_mode="mixed",
            )
        ],
        complete=True,
    )


def test_broken_jsonld_document_served_alone_is_rejected():
    body = '{"@context": "https://schema.org", "@type": "Event",'
    batch = parse_page(
        body.encode(),
        source_url="https://agenda-partage.example/events.jsonld",
        content_type="application/json",
    )

    assert batch.records == []
    [rejected] = batch.rejected
    assert rejected.reason.startswith("the document is not valid JSON: ")
    assert (rejected.iri, rejected.raw) == (None, body)
    assert batch.complete is False


def refuse_network(monkeypatch) -> list[tuple]:
    """Make every way of opening a connection fail, and record the attempts."""
    attempts: list[tuple] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access is forbidden in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_no_page_makes_the_adapter_open_a_connection(monkeypatch):
    attempts = refuse_network(monkeypatch)
    pages = sorted(PAGES.glob("*.html"))

    batches = [
        parse_page(
            page.read_bytes(), source_url=f"https://tiers-lieu.example/{page.stem}/", content_type="text/html"
        )
        for page in pages
    ]

    assert attempts == []
    assert len(pages) == 13
    assert sum(len(batch.records) for batch in batches) == 26


def test_reference_whose_id_is_a_list_does_not_break_the_page():
    page = b"""<html><script type="application/ld+json">
    {"@context": "https://schema.org", "@type": "Event", "name": "Atelier", "startDate": "2031-05-04T10:00",
     "location": {"@id": ["x"]}}</script></html>"""
    batch = parse_page(page, source_url="https://lieu.example/agenda")
    assert [r.data["title"] for r in batch.records] == ["Atelier"]


@pytest.mark.parametrize(
    "schedule",
    [
        {"@type": "Schedule", "repeatFrequency": "P100000000000D"},  # one dateutil step would loop for ever
        {"@type": "Schedule", "repeatFrequency": "P1M", "byMonth": 2, "byMonthDay": 30},  # no such day
    ],
)
def test_schedule_that_cannot_be_expanded_safely_is_not_translated(schedule):
    with pytest.raises(NoRule):
        series([schedule], datetime(2026, 2, 2, 18), None, "Europe/Paris")


def test_page_where_no_event_is_read_is_labelled_as_such_not_as_a_change_feed():
    body = (PAGES / "no_jsonld.html").read_bytes()
    with pytest.raises(NoEventOnPage) as refused:
        list(read(body, "text/html", url="https://fablab-plateau.example/agenda/"))
    assert refused.value.kind == "no-event"
    assert MESSAGES["fr"]["error_kind.no-event"] == "Aucun événement lisible sur la page"
