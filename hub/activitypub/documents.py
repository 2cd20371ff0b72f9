"""What an instance says in ActivityPub: WebFinger, its actor, NodeInfo, its events as FEP-8a8e
`Event` objects and the activities carrying them.

Every document names the ActivityStreams context (bundled in schemas/contexts, never fetched) and
one inline context for the terms it adds: the key of the actor (security vocabulary), the address
of a place (schema.org, as FEP-8a8e asks) and FEP-8a8e's own terms. Mobilizon reads `ical:status`
for a cancelled event, so it is said that way too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from hub import __version__
from hub.calendar.dates import in_zone, iso_utc
from hub.errors import InvalidInput, NotFound
from hub.events.models import Event
from hub.kit.sanitize import clean_html
from hub.places.models import Place
from hub.settings import Settings

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
ACCEPT = f'{ACTIVITY_JSON}, application/ld+json; profile="{AS_CONTEXT}"'
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SOFTWARE = "tiers-lieux-hub"
EXTENSIONS = {
    "sec": "https://w3id.org/security#",
    "publicKey": {"@id": "sec:publicKey", "@type": "@id"},
    "publicKeyPem": "sec:publicKeyPem",
    "owner": {"@id": "sec:owner", "@type": "@id"},
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "schema": "http://schema.org/",
    "address": "schema:address",
    "PostalAddress": "schema:PostalAddress",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "addressLocality": "schema:addressLocality",
    "addressCountry": "schema:addressCountry",
    "VirtualLocation": "schema:VirtualLocation",
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "fep": "https://w3id.org/fep/8a8e/",
    "timezone": "fep:timezone",
    "displayEndTime": "fep:displayEndTime",
    "eventStatus": {"@id": "fep:eventStatus", "@type": "@vocab"},
    "EventScheduled": "fep:EventScheduled",
    "EventCancelled": "fep:EventCancelled",
    "EventPostponed": "fep:EventPostponed",
    "EventMovedOnline": "fep:EventMovedOnline",
    "joinMode": "fep:joinMode",
    "externalParticipationUrl": {"@id": "fep:externalParticipationUrl", "@type": "@id"},
    "ical": "http://www.w3.org/2002/12/cal/ical#",
}
CONTEXT = [AS_CONTEXT, EXTENSIONS]
OPEN_END = timedelta(hours=1)
EVENT_STATUS = {
    "scheduled": ("EventScheduled", "CONFIRMED"),
    "cancelled": ("EventCancelled", "CANCELLED"),
    "postponed": ("EventPostponed", "TENTATIVE"),
    "moved_online": ("EventMovedOnline", "CONFIRMED"),
}


class Names:
    """The addresses of an instance's actor and collections."""

    def __init__(self, settings: Settings) -> None:
        base = settings.base_url
        self.base = base
        self.host = urlsplit(base).netloc
        self.user = settings.activitypub_name
        self.actor = f"{base}/ap/actor"
        self.key_id = f"{self.actor}#main-key"
        self.inbox = f"{base}/ap/inbox"
        self.outbox = f"{base}/ap/outbox"
        self.followers = f"{base}/ap/followers"
        self.acct = f"acct:{self.user}@{self.host}"

    def event(self, local_id: str) -> str:
        """The id an event is published under: its page here, whoever made it first."""
        return f"{self.base}/events/{local_id}"


def webfinger(settings: Settings, resource: str) -> dict:
    """The WebFinger answer for `acct:name@host` or the actor's URL; NotFound for anyone else."""
    names = Names(settings)
    if resource.startswith("acct:"):
        user, at, host = resource.removeprefix("acct:").partition("@")
        if not (user and at and host):
            raise InvalidInput("resource", "an account is written `acct:name@host`", location="query")
        if user.lower() != names.user or host.lower() != names.host.lower():
            raise NotFound(f"no actor {resource} here; this instance is {names.acct}")
    elif resource.startswith(("http://", "https://")):
        if resource not in (names.actor, f"{names.base}/", names.base):
            raise NotFound(f"no actor at {resource} here; this instance is {names.acct}")
    else:
        raise InvalidInput("resource", "an `acct:` URI or an http(s) URL is expected", location="query")
    return {
        "subject": names.acct,
        "aliases": [names.actor, f"{names.base}/"],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": names.actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{names.base}/"},
        ],
    }


def actor(settings: Settings, public_pem: str) -> dict:
    """The instance actor: the place (an Organization) on a node, the network (a Group) on a hub."""
    names = Names(settings)
    what = "les événements du réseau" if settings.role == "hub" else "les événements du lieu"
    return {
        "@context": CONTEXT,
        "id": names.actor,
        "type": "Group" if settings.role == "hub" else "Organization",
        "preferredUsername": names.user,
        "name": settings.name,
        "summary": f"<p>{_escape(settings.name)} : {what} (agenda des tiers-lieux).</p>",
        "url": f"{names.base}/",
        "inbox": names.inbox,
        "outbox": names.outbox,
        "followers": names.followers,
        "endpoints": {"sharedInbox": names.inbox},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": {"id": names.key_id, "owner": names.actor, "publicKeyPem": public_pem},
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nodeinfo_links(settings: Settings) -> dict:
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{settings.base_url}/nodeinfo/2.1"}]}


def nodeinfo(settings: Settings, *, events: int) -> dict:
    """NodeInfo 2.1: one account (the instance actor), its events as posts, registrations closed."""
    return {
        "version": "2.1",
        "software": {
            "name": SOFTWARE,
            "version": __version__,
            "homepage": "https://w3id.org/tiers-lieux",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1}, "localPosts": events},
        "metadata": {"nodeName": settings.name, "role": settings.role},
    }


def followers_collection(settings: Settings, count: int) -> dict:
    """How many follow the actor; who they are is not listed."""
    names = Names(settings)
    return {"@context": CONTEXT, "id": names.followers, "type": "OrderedCollection", "totalItems": count}


def _location(event: Event, place: Place | None) -> list[dict]:
    """Where it happens: the off-site location, else the place; and online, its link."""
    places: list[dict] = []
    if event.location:
        held = event.location
        geo = held.get("geo") or {}
        places.append(_place(held.get("name"), held.get("address") or {}, geo.get("lat"), geo.get("lon")))
    elif place is not None:
        address = {
            "street": place.street,
            "postal_code": place.postal_code,
            "city": place.city,
            "country": place.country,
        }
        places.append({**_place(place.name, address, place.lat, place.lon), "id": place.iri})
    if event.attendance_mode in ("online", "mixed") and event.url:
        places.append({"type": "VirtualLocation", "name": event.title, "url": event.url})
    return places


def _place(name: str | None, address: dict, lat: float | None, lon: float | None) -> dict:
    """A `Place` with a schema.org `PostalAddress` (from an address as our documents hold it)."""
    found: dict = {"type": "Place", "name": name or address.get("city") or ""}
    postal = {
        "streetAddress": address.get("street"),
        "postalCode": address.get("postal_code"),
        "addressLocality": address.get("city"),
        "addressCountry": address.get("country"),
    }
    postal = {key: value for key, value in postal.items() if value}
    if postal:
        found["address"] = {"type": "PostalAddress", **postal}
    if lat is not None and lon is not None:
        found["latitude"], found["longitude"] = lat, lon
    return found


def asks_for_activity(accept: str) -> bool:
    """Whether an `Accept` header asks for ActivityStreams (as a fediverse server looking an event
    up by its URL does), in either of its media types."""
    return ACTIVITY_JSON in accept or ("application/ld+json" in accept and AS_CONTEXT in accept)


def event_document(settings: Settings, event: Event, place: Place | None) -> dict:
    """An event's object on its own, with the context."""
    return {"@context": CONTEXT, **event_object(settings, event, place)}


def event_object(settings: Settings, event: Event, place: Place | None) -> dict:
    """An event as an FEP-8a8e `Event`, published to the public and to the followers."""
    names = Names(settings)
    zone = ZoneInfo(event.timezone)
    status, ical_status = EVENT_STATUS.get(event.status, EVENT_STATUS["scheduled"])
    page = names.event(event.id)
    open_ended = event.end_utc is None or event.end_utc <= event.start_utc
    # FEP-8a8e wants an end after the start: an open-ended event gets one for machines only.
    end = event.start_utc + OPEN_END if open_ended else event.end_utc
    document: dict = {
        "id": page,
        "type": "Event",
        "name": event.title,
        "attributedTo": names.actor,
        "to": [PUBLIC],
        "cc": [names.followers],
        "url": page,
        "startTime": in_zone(event.start_utc, zone).isoformat(),
        "endTime": in_zone(end, zone).isoformat(),
        "timezone": event.timezone,
        "eventStatus": status,
        "ical:status": ical_status,
        "published": iso_utc(event.created_at),
        "updated": iso_utc(event.updated_at),
    }
    if open_ended:
        document["displayEndTime"] = False
    content = clean_html(event.description)
    if content:
        document["content"], document["mediaType"] = content, "text/html"
    location = _location(event, place)
    if location:
        document["location"] = location[0] if len(location) == 1 else location
    if event.capacity:
        document["maximumAttendeeCapacity"] = event.capacity
    if event.registration_url:
        document["joinMode"] = "external"
        document["externalParticipationUrl"] = event.registration_url
    if event.image_url:
        document["image"] = {"type": "Image", "url": event.image_url}
    return document


def _activity_id(names: Names, kind: str, object_id: str, moment: datetime) -> str:
    tag = hashlib.blake2b(f"{object_id} {moment.isoformat()}".encode(), digest_size=10).hexdigest()
    return f"{names.actor}/activities/{kind.lower()}-{tag}"


def write_activity(settings: Settings, kind: str, obj: dict, moment: datetime) -> dict:
    """Create or Update of an object, addressed as the object is."""
    names = Names(settings)
    return {
        "@context": CONTEXT,
        "id": _activity_id(names, kind, obj["id"], moment),
        "type": kind,
        "actor": names.actor,
        "published": iso_utc(moment),
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }


def delete_activity(settings: Settings, object_id: str, deleted: datetime) -> dict:
    names = Names(settings)
    return {
        "@context": CONTEXT,
        "id": _activity_id(names, "Delete", object_id, deleted),
        "type": "Delete",
        "actor": names.actor,
        "published": iso_utc(deleted),
        "to": [PUBLIC],
        "cc": [names.followers],
        "object": {"id": object_id, "type": "Tombstone", "formerType": "Event", "deleted": iso_utc(deleted)},
    }


def accept_activity(settings: Settings, follow: dict) -> dict:
    """Accept(Follow), naming the Follow as it was sent."""
    names = Names(settings)
    embedded = {key: follow[key] for key in ("id", "type", "actor", "object") if key in follow}
    return {
        "@context": CONTEXT,
        "id": _activity_id(names, "Accept", str(follow.get("id") or follow.get("actor")), datetime.now(UTC)),
        "type": "Accept",
        "actor": names.actor,
        "to": [follow.get("actor")],
        "object": embedded,
    }


def follow_activity(settings: Settings, target: str) -> dict:
    names = Names(settings)
    return {
        "@context": CONTEXT,
        "id": _activity_id(names, "Follow", target, datetime.now(UTC)),
        "type": "Follow",
        "actor": names.actor,
        "object": target,
    }
