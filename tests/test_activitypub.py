"""ActivityPub publishing: every node and hub is an actor a Mastodon or Mobilizon user can follow.

Served over real HTTP on 127.0.0.1 from both databases: found by WebFinger, described by its actor
and NodeInfo, its outbox mirroring the change feed; followed by a second instance of our own and by
a Mastodon-shaped server (tests/mastodon.py), each checking the other's signatures; then each
event created, changed, cancelled or deleted arrives as Create, Update or Delete. Unsigned,
tampered, wrongly signed or stale requests are refused; people are never published.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.activitypub import documents
from hub.activitypub.delivery import deliver_pending
from hub.activitypub.documents import CONTEXT
from hub.activitypub.inbox import follow
from hub.activitypub.models import ActorKey, Delivery, Follower, Following, Received
from hub.api.app import create_app
from hub.events.models import Event
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.federation.adapters.mobilizon import parse_answer
from hub.settings import Settings
from hub.store.db import session_scope
from hub.vocabulary.jsonld import bundled_contexts, to_graph
from tests import factories
from tests.mastodon import Mastodon, new_key
from tests.reference_clients import jsonld_js_expand
from tests.servers import running_node, serve
from tests.stores import ADMIN_TOKEN

AS = "application/activity+json"
LD_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
WRITER = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The in-process worker is kept out of the way: the tests run the delivery passes themselves.
QUIET = {"activitypub_delivery_interval_seconds": 3600}


@dataclass
class Instance:
    base_url: str
    settings: Settings
    engine: object

    @property
    def actor(self) -> str:
        return f"{self.base_url}/ap/actor"

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.base_url + path, **kwargs)

    def write(self, method: str, path: str, **kwargs) -> httpx.Response:
        answer = httpx.request(method, self.base_url + path, headers=WRITER, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer

    def deliver(self, settings: Settings | None = None):
        return asyncio.run(deliver_pending(self.engine, settings or self.settings))


@pytest.fixture(scope="module")
def mastodon() -> Iterator[Mastodon]:
    server = Mastodon()
    with serve(server.app):
        yield server


@pytest.fixture
def first(db, mastodon) -> Iterator[Instance]:
    """An instance on the test's database, served over HTTP."""
    holder: dict = {}

    def make(base_url: str):
        settings = db.settings(
            base_url=base_url, allowed_private_networks=["127.0.0.1/32"], harvest_retries=0, **QUIET
        )
        holder["instance"] = Instance(base_url, settings, db.engine)
        return create_app(settings, engine=db.engine)

    mastodon.received.clear()
    mastodon.refused.clear()
    with serve(make):
        yield holder["instance"]


def _followed_by(instance: Instance, mastodon: Mastodon) -> None:
    answer = mastodon.post(f"{instance.base_url}/ap/inbox", mastodon.follow(instance.actor))
    assert answer.status_code == 202, answer.text
    assert instance.deliver().sent == 1  # the Accept


def test_webfinger_finds_the_actor_by_account_and_by_its_url(first):
    host = first.base_url.removeprefix("http://")
    account = f"acct:{first.settings.activitypub_name}@{host}"
    for resource in (account, first.actor):
        answer = first.get("/.well-known/webfinger", params={"resource": resource})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/jrd+json"
        assert answer.json()["subject"] == account
        assert {"rel": "self", "type": AS, "href": first.actor} in answer.json()["links"]
    unknown = first.get("/.well-known/webfinger", params={"resource": f"acct:somebody@{host}"})
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    malformed = first.get("/.well-known/webfinger", params={"resource": "mailto:someone"})
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "resource"


def test_the_handle_is_made_from_the_instance_name_unless_set():
    assert Settings(_env_file=None, name="La Grange numérique !").activitypub_name == "la_grange_numerique"
    assert Settings(_env_file=None, activitypub_handle="grange").activitypub_name == "grange"


def test_the_actor_is_served_for_both_activitypub_media_types_with_its_public_key_only(first, db):
    documents = []
    for accept in (AS, LD_AS):
        answer = first.get("/ap/actor", headers={"Accept": accept})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(AS)
        documents.append(answer.json())
    actor = documents[0]
    assert documents[0] == documents[1]
    assert actor["type"] == "Organization" and actor["preferredUsername"] == first.settings.activitypub_name
    assert {actor["inbox"], actor["outbox"], actor["followers"]} == {
        f"{first.base_url}/ap/{name}" for name in ("inbox", "outbox", "followers")
    }
    assert actor["publicKey"]["owner"] == first.actor
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in first.get("/ap/actor").text
    with session_scope(db.engine) as session:
        keys = session.exec(select(ActorKey)).all()
    assert len(keys) == 1 and keys[0].public_pem == actor["publicKey"]["publicKeyPem"]


def test_a_hub_is_a_group_publishing_harvested_events_under_its_own_pages():
    settings = Settings(_env_file=None, role="hub", base_url="https://region.example")
    assert documents.actor(settings, "PEM")["type"] == "Group"
    harvested = Event(
        id="Hx1",
        iri="https://grange.example/events/Qw7",
        title="Café-bricole",
        start_utc=datetime(2027, 3, 4, 17, tzinfo=UTC),
        end_utc=datetime(2027, 3, 4, 19, 30, tzinfo=UTC),
        status="postponed",
    )
    published = documents.event_object(settings, harvested, None)
    # Mastodon takes an object only from an actor of its own host.
    assert published["id"] == published["url"] == "https://region.example/events/Hx1"
    assert published["attributedTo"] == "https://region.example/ap/actor"
    assert (published["startTime"], published["endTime"]) == (
        "2027-03-04T18:00:00+01:00",
        "2027-03-04T20:30:00+01:00",
    )
    assert published["eventStatus"] == "EventPostponed"


def test_nodeinfo_names_the_software_the_protocol_and_the_events_published(first):
    first.write("POST", "/api/v1/events", json=factories.event())
    discovery = first.get("/.well-known/nodeinfo", headers={"Accept": "application/ld+json"})
    assert discovery.headers["content-type"] == "application/jrd+json"
    link = discovery.json()["links"][0]
    assert link["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    answer = httpx.get(link["href"])
    assert answer.headers["content-type"].startswith("application/json; profile=")
    info = answer.json()
    assert "@context" not in info
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["software"]["name"] == "tiers-lieux-hub" and info["openRegistrations"] is False
    assert info["usage"]["localPosts"] == 1


def test_the_outbox_mirrors_the_change_feed_newest_first(first):
    since = first.get("/api/v1/changes", headers=WRITER).json()["next_cursor"]
    place = first.write("POST", "/api/v1/places", json=factories.place()).json()
    kept = first.write("POST", "/api/v1/events", json=factories.event(place=place["uid"])).json()
    changed = first.write("POST", "/api/v1/events", json=factories.event(title="Soirée pitch")).json()
    gone = first.write("POST", "/api/v1/events", json=factories.event(title="Annulé")).json()
    first.write(
        "PUT", f"/api/v1/events/{changed['uid']}", json=factories.event(title="Soirée pitch (salle 2)")
    )
    first.write("DELETE", f"/api/v1/events/{gone['uid']}")
    first.write("POST", "/api/v1/people", json=factories.person())

    feed = first.get("/api/v1/changes", params={"since": since}, headers=WRITER).json()["items"]
    expected = [item["id"] for item in feed if item.get("kind", item["type"]) in ("Event", "event")]
    collection = first.get("/ap/outbox").json()
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 3
    page = httpx.get(collection["first"]).json()
    told = [(a["type"], a["object"]["id"]) for a in page["orderedItems"]]
    assert told == [
        ("Delete", gone["id"]),
        ("Update", changed["id"]),
        ("Create", kept["id"]),
    ]
    assert [iri for _, iri in told] == expected[::-1]
    event = page["orderedItems"][2]["object"]
    assert event["name"] == "Atelier découverte" and event["timezone"] == "Europe/Paris"
    assert event["startTime"].endswith("+02:00") and event["eventStatus"] == "EventScheduled"
    assert event["location"]["address"]["addressLocality"] == "Guéret"
    assert event["location"]["latitude"] == 46.17
    assert page["orderedItems"][0]["object"]["type"] == "Tombstone"
    assert all(a["object"].get("type") != "Person" for a in page["orderedItems"])


def test_our_own_fediverse_harvester_reads_the_outbox_back(first):
    place = first.write("POST", "/api/v1/places", json=factories.place()).json()
    kept = first.write("POST", "/api/v1/events", json=factories.event(place=place["uid"], capacity=8)).json()
    called_off = first.write("POST", "/api/v1/events", json=factories.event(title="Soirée jeux")).json()
    first.write("PUT", f"/api/v1/events/{called_off['uid']}", json=factories.event(status="cancelled"))
    gone = first.write("POST", "/api/v1/events", json=factories.event(title="Annulé")).json()
    first.write("DELETE", f"/api/v1/events/{gone['uid']}")
    page = first.get("/ap/outbox", params={"page": "true"})
    batch = parse_answer(page.content, url=str(page.url))
    assert batch.rejected == []
    read = {record.iri: record for record in batch.records}
    assert read[gone["id"]].deleted
    assert read[called_off["id"]].input.status == "cancelled"
    event = read[kept["id"]].input
    assert (event.title, event.capacity, event.timezone) == ("Atelier découverte", 8, "Europe/Paris")
    assert event.start.isoformat() == kept["start"]
    assert event.location.address.city == "Guéret"


def test_outbox_pages_are_bounded_and_follow_one_another(first):
    with session_scope(first.engine) as session:
        for n in range(23):
            save_event(session, first.settings, EventIn(**factories.event(title=f"Atelier n°{n}")))
    page = first.get("/ap/outbox", params={"page": "true"}).json()
    assert len(page["orderedItems"]) == 20 and page["orderedItems"][0]["object"]["name"] == "Atelier n°22"
    last = httpx.get(page["next"]).json()
    assert [a["object"]["name"] for a in last["orderedItems"]] == [
        "Atelier n°2",
        "Atelier n°1",
        "Atelier n°0",
    ]
    assert "next" not in last
    refused = first.get("/ap/outbox", params={"page": "true", "befor": "3"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "befor"


def test_an_event_looked_up_by_its_url_answers_its_object(first):
    event = first.write("POST", "/api/v1/events", json=factories.event()).json()
    for accept in (AS, LD_AS):
        answer = httpx.get(event["id"], headers={"Accept": accept})
        assert answer.headers["content-type"].startswith(AS)
        assert answer.json()["type"] == "Event" and answer.json()["id"] == event["id"]
    assert httpx.get(event["id"]).headers["content-type"].startswith("text/html")


def test_what_we_publish_expands_with_the_bundled_contexts_only(first, request):
    first.write("POST", "/api/v1/events", json=factories.event(description="<p>Venez <b>nombreux</b></p>"))
    event = first.get("/api/v1/events").json()["items"][0]
    published = [
        httpx.get(event["id"], headers={"Accept": AS}).json(),
        first.get("/ap/actor").json(),
        first.get("/ap/outbox").json(),
        first.get("/ap/outbox", params={"page": "true"}).json(),
        first.get("/ap/followers").json(),
    ]
    network_attempts = request.getfixturevalue("network_attempts")  # from here on, nothing goes out
    results = jsonld_js_expand(published, bundled_contexts())
    assert [r["error"] for r in results] == [None] * len(published)
    graph = to_graph(published[3])
    predicates = {str(p) for p in graph.predicates()}
    assert "https://www.w3.org/ns/activitystreams#startTime" in predicates
    assert "https://w3id.org/fep/8a8e/timezone" in predicates
    assert "https://w3id.org/fep/8a8e/eventStatus" in predicates
    assert not any(p.startswith("_:") for p in predicates)
    assert network_attempts == []
    assert published[1]["@context"] == CONTEXT


def test_mastodon_follows_gets_a_signed_accept_then_each_event_change(first, mastodon):
    _followed_by(first, mastodon)
    accept = mastodon.received[-1]
    assert accept["type"] == "Accept" and accept["object"]["id"] == mastodon.follow(first.actor)["id"]
    assert first.get("/ap/followers").json()["totalItems"] == 1

    event = first.write("POST", "/api/v1/events", json=factories.event(capacity=12)).json()
    assert first.deliver().sent == 1
    create = mastodon.received[-1]
    assert create["type"] == "Create" and create["object"]["id"] == event["id"]
    assert create["object"]["maximumAttendeeCapacity"] == 12
    assert create["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert mastodon.refused == []

    undo = {"id": f"{mastodon.actor}#undo/1", "type": "Undo", "object": mastodon.follow(first.actor)}
    assert mastodon.post(f"{first.base_url}/ap/inbox", undo).status_code == 202
    assert first.get("/ap/followers").json()["totalItems"] == 0
    first.write("POST", "/api/v1/events", json=factories.event(title="Sans abonnés"))
    report = first.deliver()
    assert (report.sent, report.changes) == (0, 1)  # read, and sent to no one


@pytest.fixture
def secure_mastodon() -> Iterator[Mastodon]:
    """A Mastodon in "authorized fetch" mode: its actor is served to signed GETs only."""
    server = Mastodon()
    server.secure = True
    with serve(server.app):
        yield server


def test_a_mastodon_in_authorized_fetch_mode_is_read_with_signed_requests(first, secure_mastodon):
    assert httpx.get(secure_mastodon.actor, headers={"Accept": AS}).status_code == 401
    secure_mastodon.refused.clear()
    _followed_by(first, secure_mastodon)
    assert first.get("/ap/followers").json()["totalItems"] == 1
    assert asyncio.run(follow(first.engine, first.settings, secure_mastodon.actor)) == secure_mastodon.actor
    assert first.deliver().sent == 1
    assert [a["type"] for a in secure_mastodon.received] == ["Accept", "Follow"]
    assert secure_mastodon.refused == [] and secure_mastodon.actor_fetches == 3


def test_deliveries_go_once_to_a_shared_inbox(first, mastodon, db):
    _followed_by(first, mastodon)
    with session_scope(db.engine) as session:
        session.add(
            Follower(
                actor=f"{mastodon.base_url}/users/bob",
                inbox=f"{mastodon.base_url}/users/bob/inbox",
                shared_inbox=f"{mastodon.base_url}/inbox",
            )
        )
    first.write("POST", "/api/v1/events", json=factories.event())
    assert first.deliver().sent == 1
    assert mastodon.received[-1]["type"] == "Create"


def test_two_processes_passing_at_once_deliver_each_activity_once(first, mastodon):
    _followed_by(first, mastodon)
    for n in range(3):
        first.write("POST", "/api/v1/events", json=factories.event(title=f"Atelier n°{n}"))

    async def two_passes():
        return await asyncio.gather(*(deliver_pending(first.engine, first.settings) for _ in range(2)))

    reports = asyncio.run(two_passes())
    assert sum(r.sent for r in reports) == 3
    created = [a["object"]["name"] for a in mastodon.received if a["type"] == "Create"]
    assert sorted(created) == ["Atelier n°0", "Atelier n°1", "Atelier n°2"]


def test_the_inbox_refuses_what_is_unsigned_tampered_wrongly_signed_or_stale(first, mastodon):
    inbox = f"{first.base_url}/ap/inbox"
    follow_activity = mastodon.follow(first.actor)
    fetches = mastodon.actor_fetches
    refusals = {
        "unsigned": httpx.post(
            inbox, json={"type": "Follow", "actor": mastodon.actor, "object": first.actor}
        ),
        "tampered": mastodon.post(
            inbox, follow_activity, body=orjson.dumps({"type": "Follow", "actor": "x"})
        ),
        "wrong key": mastodon.post(inbox, follow_activity, key=new_key()),
        "stale": mastodon.post(inbox, follow_activity, date=datetime.now(UTC) - timedelta(hours=2)),
        "another actor": mastodon.post(inbox, {**follow_activity, "actor": f"{mastodon.base_url}/users/bob"}),
    }
    for why, answer in refusals.items():
        assert answer.status_code == 401, why
        assert answer.headers["content-type"] == "application/problem+json", why
        assert answer.json()["type"].endswith("/signature-refused"), why
    forged_again = [mastodon.post(inbox, follow_activity, key=new_key()).status_code for _ in range(3)]
    assert forged_again == [401] * 3
    assert mastodon.actor_fetches - fetches == 1  # forged signatures do not make us fetch the key again
    not_json = mastodon.post(inbox, {}, signed_body=b"Follow me")
    assert not_json.status_code == 400 and not_json.json()["type"].endswith("/unreadable-activity")
    too_large = mastodon.post(inbox, {**follow_activity, "padding": "x" * 300_000})
    assert too_large.status_code == 413
    assert first.get("/ap/followers").json()["totalItems"] == 0


def test_a_failing_follower_waits_longer_each_time_and_never_holds_up_the_others(first, mastodon, db):
    _followed_by(first, mastodon)
    with serve(lambda _: _answering(500)) as broken, serve(lambda _: _answering(410)) as gone:
        with session_scope(db.engine) as session:
            session.add(Follower(actor=f"{broken}/actor", inbox=f"{broken}/inbox"))
            session.add(Follower(actor=f"{gone}/actor", inbox=f"{gone}/inbox"))
        first.write("POST", "/api/v1/events", json=factories.event())
        report = first.deliver()
        assert (report.sent, report.failed, report.dropped) == (1, 1, 1)
        with session_scope(db.engine) as session:
            (waiting,) = session.exec(select(Delivery)).all()
        assert waiting.inbox == f"{broken}/inbox" and waiting.attempts == 1
        assert waiting.due_at > datetime.now(UTC) + timedelta(seconds=10)
        assert "500" in (waiting.last_error or "")
        assert first.deliver().sent == 0  # not due yet
        with session_scope(db.engine) as session:
            session.execute(update(Delivery).values(due_at=datetime.now(UTC)))
        last_try = first.settings.model_copy(update={"activitypub_delivery_attempts": 2})
        assert first.deliver(last_try).dropped == 1
    with session_scope(db.engine) as session:
        assert session.exec(select(Delivery)).all() == []


def _answering(status: int) -> Starlette:
    async def inbox(request):
        return Response(status_code=status)

    return Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])


def test_people_are_never_published_even_with_consent(first, mastodon, db):
    _followed_by(first, mastodon)
    person = first.write("POST", "/api/v1/people", json=factories.person()).json()
    first.write("DELETE", f"/api/v1/people/{person['uid']}/consent")
    report = first.deliver()
    assert (report.changes, report.sent) == (0, 0)
    page = first.get("/ap/outbox", params={"page": "true"}).json()
    assert page["orderedItems"] == []


def test_a_second_instance_follows_the_first_and_receives_create_update_cancel_delete(first, tmp_path):
    with running_node(tmp_path, "second", **QUIET) as second:
        followed = asyncio.run(follow(second.engine, second.settings, first.actor))
        assert followed == first.actor
        assert asyncio.run(deliver_pending(second.engine, second.settings)).sent == 1  # Follow
        assert first.deliver().sent == 1  # Accept
        with second.session() as session:
            assert session.exec(select(Following.accepted)).one() is True

        event = first.write("POST", "/api/v1/events", json=factories.event()).json()
        first.deliver()
        first.write("PUT", f"/api/v1/events/{event['uid']}", json=factories.event(title="Atelier (complet)"))
        first.deliver()
        first.write("PUT", f"/api/v1/events/{event['uid']}", json=factories.event(status="cancelled"))
        first.deliver()
        first.write("DELETE", f"/api/v1/events/{event['uid']}")
        first.deliver()

        with second.session() as session:
            received = session.exec(select(Received).order_by(Received.id)).all()
        assert [(r.type, r.object_id, r.actor) for r in received] == [
            ("Create", event["id"], first.actor),
            ("Update", event["id"], first.actor),
            ("Update", event["id"], first.actor),
            ("Delete", event["id"], first.actor),
        ]
        changed, cancelled = (orjson.loads(r.activity)["object"] for r in received[1:3])
        assert changed["name"] == "Atelier (complet)" and changed["eventStatus"] == "EventScheduled"
        assert cancelled["eventStatus"] == "EventCancelled" and cancelled["ical:status"] == "CANCELLED"
        assert orjson.loads(received[3].activity)["object"]["type"] == "Tombstone"


def test_an_event_outside_its_place_and_online_has_both_locations_and_clean_html():
    settings = Settings(_env_file=None, base_url="https://grange.example")
    event = Event(
        id="Ev1",
        iri="https://grange.example/events/Ev1",
        title="Pitch night hors les murs",
        description='<p onclick="steal()">Venez<script>alert(1)</script> !</p>',
        start_utc=datetime(2027, 3, 4, 17, tzinfo=UTC),
        location={"name": "Salle des fêtes", "address": {"postal_code": "23200", "city": "Aubusson"}},
        attendance_mode="mixed",
        url="https://visio.example/pitch",
        registration_url="https://grange.example/inscription",
    )
    published = documents.event_object(settings, event, None)
    assert published["location"] == [
        {
            "type": "Place",
            "name": "Salle des fêtes",
            "address": {"type": "PostalAddress", "postalCode": "23200", "addressLocality": "Aubusson"},
        },
        {
            "type": "VirtualLocation",
            "name": "Pitch night hors les murs",
            "url": "https://visio.example/pitch",
        },
    ]
    assert published["content"] == "<p>Venez !</p>"
    assert published["joinMode"] == "external"
    assert published["externalParticipationUrl"] == "https://grange.example/inscription"
    # Open-ended: an end an hour on, for machines, not shown (FEP-8a8e).
    assert (published["endTime"], published["displayEndTime"]) == ("2027-03-04T19:00:00+01:00", False)


def test_turned_off_it_serves_none_of_it(db):
    app = create_app(db.settings(activitypub_enabled=False), engine=db.engine)
    with TestClient(app) as client:
        for path in ("/ap/actor", "/ap/outbox", "/.well-known/nodeinfo", "/.well-known/webfinger?resource=x"):
            assert client.get(path, headers={"Accept": AS}).status_code == 404, path
        assert client.post("/ap/inbox", json={}).status_code == 404
