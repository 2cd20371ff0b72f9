"""The published JSON documents of an event, of its summary and of its occurrences."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson

from hub.calendar.dates import in_zone, iso_utc
from hub.events.models import Event, EventOverride
from hub.places.models import Place
from hub.vocabulary.jsonld import name_under


def moment(value: datetime, zone: ZoneInfo, all_day: bool) -> str:
    """A stored instant as the API shows it: a date for all-day events, else ISO with offset."""
    local = in_zone(value, zone)
    return local.date().isoformat() if all_day else local.isoformat()


def end_moment(value: datetime, zone: ZoneInfo, all_day: bool) -> str:
    """Like `moment`, but an all-day end is shown as the last day (inclusive)."""
    if all_day:
        return (in_zone(value, zone) - timedelta(days=1)).date().isoformat()
    return moment(value, zone, all_day)


def place_summary(place: Place | None, iri: str | None) -> dict | None:
    if place is None:
        return {"id": iri} if iri else None
    summary: dict = {"id": place.iri, "uid": place.id, "name": place.name}
    if place.city:
        summary["city"] = place.city
    if place.department:
        summary["department"] = place.department
    if place.lat is not None and place.lon is not None:
        summary["geo"] = {"lat": place.lat, "lon": place.lon}
    return summary


def republished(document: dict, uid: str, place: Place | None) -> dict:
    """A harvested event's document as this instance serves it: under its own id (its detail URL
    here), its place summed up from the place as held here. The origin's summary names the place
    by the origin's id; kept, it would give the place two identifiers in what this instance serves."""
    doc = {**document, "uid": uid}
    summary = doc.get("place")
    if isinstance(summary, dict):
        if place is not None and place.iri == summary.get("id"):
            doc["place"] = place_summary(place, place.iri)
        else:
            doc["place"] = {k: v for k, v in summary.items() if k != "uid"}
    return doc


def _optional(event: Event) -> dict:
    fields = {
        "is_free": event.is_free,
        "price": event.price,
        "currency": event.currency,
        "registration_url": event.registration_url,
        "capacity": event.capacity,
        "language": event.language,
        "image": event.image_url,
        "url": event.url,
    }
    return {k: v for k, v in fields.items() if v is not None}


def event_document(
    event: Event,
    *,
    overrides: list[EventOverride],
    organizers: list[str],
    animators: list[str],
    themes: list[dict],
    audience: list[dict],
    place: Place | None,
) -> dict:
    """The full event, as served by the API and the change feed (`animators`: those the public
    may see, hub/events/animators.py)."""
    zone = ZoneInfo(event.timezone)
    doc: dict = {"id": event.iri, "type": "Event", "uid": event.id, "title": event.title}
    if event.description:
        doc["description"] = event.description
    doc["start"] = moment(event.start_utc, zone, event.all_day)
    doc["end"] = end_moment(event.end_utc or event.start_utc, zone, event.all_day)
    doc["timezone"] = event.timezone
    doc["all_day"] = event.all_day
    if event.rrule or event.rdates or event.exdates:
        recurrence: dict = {}
        if event.rrule:
            recurrence["rrule"] = event.rrule
        for key in ("rdates", "exdates"):
            values = getattr(event, key)
            if values:
                recurrence[key] = [moment(datetime.fromisoformat(v), zone, event.all_day) for v in values]
        doc["recurrence"] = recurrence
    if overrides:
        doc["overrides"] = [_override_document(o, zone, event.all_day) for o in overrides]
    summary = place_summary(place, event.place_iri)
    if summary:
        doc["place"] = summary
    if organizers:
        doc["organizers"] = organizers
    if event.programme_iri:
        doc["programme"] = event.programme_iri
    if animators:
        doc["animators"] = animators
    if event.location:
        doc["location"] = event.location
    if themes:
        doc["themes"] = themes
    if audience:
        doc["audience"] = audience
    doc["attendance_mode"] = event.attendance_mode
    doc["status"] = event.status
    doc.update(_optional(event))
    if event.same_as:
        doc["same_as"] = event.same_as
    doc["sequence"] = event.sequence
    doc["updated"] = iso_utc(event.updated_at)
    return doc


def _override_document(override: EventOverride, zone: ZoneInfo, all_day: bool) -> dict:
    doc: dict = {"recurrence_id": moment(override.recurrence_id, zone, all_day)}
    if override.start_utc:
        doc["start"] = moment(override.start_utc, zone, all_day)
    if override.end_utc:
        doc["end"] = end_moment(override.end_utc, zone, all_day)
    for key in ("title", "description", "status"):
        value = getattr(override, key)
        if value:
            doc[key] = value
    return doc


SUMMARY_KEYS = (
    "id",
    "uid",
    "title",
    "place",
    "location",
    "themes",
    "audience",
    "attendance_mode",
    "status",
    "is_free",
    "registration_url",
    "image",
    "url",
)


def event_summary(doc: dict) -> dict:
    """The part of an event repeated in each of its occurrences."""
    summary = {k: doc[k] for k in SUMMARY_KEYS if k in doc}
    summary["recurring"] = "recurrence" in doc
    return summary


def occurrence_id(event_iri: str, start_utc: datetime) -> str:
    """An occurrence is named under its event by its original start in UTC."""
    return name_under(event_iri, start_utc.strftime("%Y%m%dT%H%M%SZ"))


def occurrence_json(
    *,
    event_iri: str,
    summary: str,
    zone: ZoneInfo,
    all_day: bool,
    title: str,
    status: str,
    start_utc: datetime,
    end_utc: datetime,
    recurrence_id: datetime | None,
) -> bytes:
    """One occurrence as JSON bytes, with the event summary spliced in unparsed."""
    anchor = recurrence_id or start_utc
    head = {
        "id": occurrence_id(event_iri, anchor),
        "type": "Occurrence",
        "title": title,
        "start": moment(start_utc, zone, all_day),
        "end": end_moment(end_utc, zone, all_day),
        "all_day": all_day,
        "status": status,
    }
    if recurrence_id is not None:
        head["recurrence_id"] = moment(recurrence_id, zone, all_day)
    return orjson.dumps(head)[:-1] + b',"event":' + summary.encode() + b"}"
