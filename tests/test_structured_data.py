"""The schema.org JSON-LD in our pages, as search engines read it (extruct, the extractor many
crawlers use): one Event per event page with what Google's Event structured data requires, a
Place per place page, text that cannot break out of its block, and a page a hub harvesting it as
a web page reads back as the same event."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import extruct
import pytest
import time_machine

from hub.federation.adapters.jsonld_page import parse_page
from tests import factories

SCHEMA = "https://schema.org/"
OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
CLOCK = datetime(2027, 3, 1, 9, tzinfo=UTC)
FABLAB = factories.place(
    name="La Fabrique du Bocage",
    address={"street": "3 place de la Mairie", "postal_code": "23200", "city": "Aubusson"},
    geo={"lat": 45.9581, "lon": 2.1679},
    website="https://fabrique-bocage.example/",
)


@pytest.fixture
def frozen_clock():
    """Today is fixed: "the next occurrence" of a series does not depend on the day the test runs."""
    with time_machine.travel(CLOCK):
        yield


def _items(client, path: str) -> tuple[str, list[dict]]:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response.text, extruct.extract(response.text, syntaxes=["json-ld"])["json-ld"]


def _event_page(client, writer, **event) -> tuple[str, dict]:
    place = client.post("/api/v1/places", json=FABLAB, headers=writer).json()
    created = client.post("/api/v1/events", json=factories.event(place=place["uid"], **event), headers=writer)
    assert created.status_code == 201, created.text
    html, items = _items(client, f"/events/{created.json()['uid']}")
    [event_item] = [item for item in items if item.get("@type") == "Event"]
    assert len(items) == 1
    return html, event_item


def test_event_page_carries_one_schema_org_event_with_what_search_engines_require(client, writer):
    _, event = _event_page(
        client,
        writer,
        title="Atelier soudure",
        description="<p>Apprendre à <strong>souder</strong>.</p><p>Matériel fourni.</p>",
        start="2027-06-12T18:00:00+02:00",
        end="2027-06-12T20:30:00+02:00",
        price=5,
        currency="EUR",
        registration_url="https://fabrique-bocage.example/soudure",
        image="https://fabrique-bocage.example/soudure.jpg",
    )
    assert event["@context"] == "https://schema.org"
    assert event["name"] == "Atelier soudure"
    assert event["startDate"] == "2027-06-12T18:00:00+02:00" and OFFSET.match(event["startDate"])
    assert event["endDate"] == "2027-06-12T20:30:00+02:00"
    assert event["eventStatus"] == SCHEMA + "EventScheduled"
    assert event["eventAttendanceMode"] == SCHEMA + "OfflineEventAttendanceMode"
    assert event["description"] == "Apprendre à souder.\nMatériel fourni."
    location = event["location"]
    assert location["@type"] == "Place" and location["name"] == "La Fabrique du Bocage"
    assert location["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "3 place de la Mairie",
        "postalCode": "23200",
        "addressLocality": "Aubusson",
        "addressCountry": "FR",
    }
    assert location["geo"] == {"@type": "GeoCoordinates", "latitude": 45.9581, "longitude": 2.1679}
    assert event["organizer"]["@type"] == "Organization"
    assert event["organizer"]["name"] == "La Fabrique du Bocage"
    assert event["offers"] == {
        "@type": "Offer",
        "price": 5,
        "priceCurrency": "EUR",
        "url": "https://fabrique-bocage.example/soudure",
        "availability": SCHEMA + "InStock",
    }
    assert event["image"] == "https://fabrique-bocage.example/soudure.jpg"


def test_recurring_event_page_announces_its_next_occurrence_with_the_series_as_a_schedule(
    frozen_clock, client, writer
):
    _, event = _event_page(
        client,
        writer,
        title="Co-lunch du vendredi",
        start="2027-01-08T12:30:00+01:00",
        end="2027-01-08T13:30:00+01:00",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=FR", "exdates": ["2027-02-12T12:30:00+01:00"]},
        overrides=[{"recurrence_id": "2027-03-05T12:30:00+01:00", "status": "cancelled"}],
        is_free=True,
    )
    assert event["startDate"] == "2027-03-05T12:30:00+01:00"  # the first Friday after today
    assert event["eventStatus"] == SCHEMA + "EventCancelled"
    assert event["isAccessibleForFree"] is True and event["offers"]["price"] == 0
    assert event["eventSchedule"] == {
        "@type": "Schedule",
        "repeatFrequency": "P1W",
        "byDay": [SCHEMA + "Friday"],
        "startDate": "2027-01-08",
        "startTime": "12:30:00",
        "endTime": "13:30:00",
        "duration": "PT1H0M",
        "scheduleTimezone": "Europe/Paris",
        "exceptDate": ["2027-02-12T12:30:00+01:00"],
    }


def test_online_event_is_at_a_virtual_location(client, writer):
    _, event = _event_page(
        client, writer, attendance_mode="online", url="https://visio.example/salle", status="moved_online"
    )
    assert event["eventStatus"] == SCHEMA + "EventMovedOnline"
    assert event["location"] == {"@type": "VirtualLocation", "url": "https://visio.example/salle"}


def test_a_title_closing_the_script_block_stays_text_in_the_json_ld(client, writer):
    title = '</script><script>alert("x")</script><!-- & co'
    html, event = _event_page(client, writer, title=title)
    assert event["name"] == title
    script = html[html.index('<script type="application/ld+json">') :]
    block = script[: script.index("</script>")]
    assert "<" not in block[len('<script type="application/ld+json">') :] and "&" not in block


def test_place_page_carries_a_schema_org_place(client, writer):
    place = client.post("/api/v1/places", json=FABLAB, headers=writer).json()
    _, items = _items(client, f"/places/{place['uid']}")
    [found] = items
    assert found["@type"] == "Place" and found["name"] == "La Fabrique du Bocage"
    assert found["address"]["postalCode"] == "23200" and found["geo"]["latitude"] == 45.9581
    assert found["url"] == "https://fabrique-bocage.example/"


def test_a_hub_reading_the_event_page_as_a_web_page_finds_the_same_event(client, writer):
    html, _ = _event_page(client, writer, title="Repair café", start="2027-05-03T14:00:00+02:00")
    batch = parse_page(html.encode(), source_url="http://testserver/events/page", content_type="text/html")
    [record] = batch.records
    assert record.data["title"] == "Repair café"
    assert record.data["start"] == "2027-05-03T14:00:00+02:00"
    assert record.data["location"]["address"]["postal_code"] == "23200"
