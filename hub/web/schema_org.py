"""The schema.org JSON-LD of our pages, as search engines and extruct read it.

The API's documents name our context, which no search engine knows: in a page they showed no
Event at all. A page carries plain schema.org instead (`https://schema.org` context, enumeration
members as full URLs, the description as text, the place as a Place with a PostalAddress), as
Google's Event structured data asks. The page of a recurring event describes its next
occurrence, with the series as an `eventSchedule` when a Schedule says the rule faithfully.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.events.documents import end_moment, moment, occurrence_id
from hub.events.models import Event, Occurrence
from hub.kit.sanitize import text_with_paragraphs
from hub.places.models import Place

SCHEMA = "https://schema.org/"
STATUS = {
    "scheduled": "EventScheduled",
    "cancelled": "EventCancelled",
    "postponed": "EventPostponed",
    "moved_online": "EventMovedOnline",
}
ATTENDANCE = {
    "offline": "OfflineEventAttendanceMode",
    "online": "OnlineEventAttendanceMode",
    "mixed": "MixedEventAttendanceMode",
}
DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
OUR_DAYS = {"Mo": "MO", "Tu": "TU", "We": "WE", "Th": "TH", "Fr": "FR", "Sa": "SA", "Su": "SU"}
FREQUENCIES = {"DAILY": "D", "WEEKLY": "W", "MONTHLY": "M", "YEARLY": "Y"}
# RRULE parts a Schedule says as they are; a rule with any other part gets no eventSchedule.
SCHEDULE_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"}
_NTH_DAY = re.compile(r"^([1-5]?)(MO|TU|WE|TH|FR|SA|SU)$")


def _compact(value: object) -> object:
    """`value` without empty members, recursively: absent facts are left out, not null."""
    if isinstance(value, dict):
        kept = {k: _compact(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def postal_address(
    street: str | None, postal_code: str | None, city: str | None, country: str | None
) -> dict:
    return {
        "@type": "PostalAddress",
        "streetAddress": street,
        "postalCode": postal_code,
        "addressLocality": city,
        "addressCountry": country,
    }


def _geo(lat: float | None, lon: float | None) -> dict | None:
    if lat is None or lon is None:
        return None
    return {"@type": "GeoCoordinates", "latitude": lat, "longitude": lon}


def place_node(place: Place, page_url: str | None = None) -> dict:
    """A place as a schema.org Place, named by its IRI."""
    return {
        "@type": "Place",
        "@id": place.iri,
        "name": place.name,
        "address": postal_address(place.street, place.postal_code, place.city, place.country),
        "geo": _geo(place.lat, place.lon),
        "url": place.website or page_url,
        "telephone": place.phone,
    }


def place_markup(place: Place, page_url: str) -> dict:
    """The JSON-LD of a place's page."""
    node = place_node(place, page_url)
    hours = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [SCHEMA + DAYS[OUR_DAYS[d]] for d in slot.get("days", []) if d in OUR_DAYS],
            "opens": slot.get("opens"),
            "closes": slot.get("closes"),
        }
        for slot in place.opening_hours
        if isinstance(slot, dict)
    ]
    description = text_with_paragraphs(place.description)
    return _compact(
        {
            "@context": "https://schema.org",
            **node,
            "description": description,
            "openingHoursSpecification": hours,
        }
    )


def _location(event: Event, place: Place | None, summary: dict, status: str) -> list[dict]:
    """Where it happens: the place (or the off-site location), and a VirtualLocation online."""
    found = []
    offsite = event.location or {}
    if offsite:
        address = offsite.get("address") or {}
        geo = offsite.get("geo") or {}
        found.append(
            {
                "@type": "Place",
                "name": offsite.get("name"),
                "address": postal_address(
                    address.get("street"),
                    address.get("postal_code"),
                    address.get("city"),
                    place.country if place is not None else None,
                ),
                "geo": _geo(geo.get("lat"), geo.get("lon")),
            }
        )
    elif place is not None:
        found.append(place_node(place))
    elif summary:
        found.append(
            {
                "@type": "Place",
                "@id": summary.get("id"),
                "name": summary.get("name"),
                "address": postal_address(None, None, summary.get("city"), None),
            }
        )
    online = event.attendance_mode in ("online", "mixed") or status == "moved_online"
    if online:
        virtual = {"@type": "VirtualLocation", "url": event.url or event.registration_url}
        found = (
            [virtual] if status == "moved_online" or event.attendance_mode == "online" else [*found, virtual]
        )
    return found


def _offers(event: Event, page_url: str) -> dict | None:
    if not event.is_free and event.price is None:
        return None
    return {
        "@type": "Offer",
        "price": 0 if event.is_free else event.price,
        "priceCurrency": event.currency or "EUR",
        "url": event.registration_url or event.url or page_url,
        "availability": SCHEMA + "InStock",
    }


def schedule(event: Event) -> dict | None:
    """The series as a schema.org Schedule, or None when its rule says more than a Schedule can."""
    if not event.rrule or event.all_day:
        return None
    parts = dict(part.split("=", 1) for part in event.rrule.removeprefix("RRULE:").split(";") if "=" in part)
    parts = {k.upper(): v.upper() for k, v in parts.items()}
    if not set(parts) <= SCHEDULE_PARTS or parts.get("FREQ") not in FREQUENCIES:
        return None
    days, weeks = [], set()
    for day in filter(None, parts.get("BYDAY", "").split(",")):
        nth = _NTH_DAY.match(day)
        if nth is None or (nth.group(1) and parts["FREQ"] != "MONTHLY"):
            return None
        days.append(SCHEMA + DAYS[nth.group(2)])
        weeks.add(nth.group(1))
    if len(weeks) > 1 or (weeks - {""} and len(days) > 1):
        return None  # "the 1st Monday and the 3rd Friday": byMonthWeek applies to every byDay
    zone = ZoneInfo(event.timezone)
    start = event.start_utc.astimezone(zone)
    end = (event.end_utc or event.start_utc).astimezone(zone)
    week = next(iter(weeks), "")
    until = parts.get("UNTIL")
    if until:
        last = datetime.strptime(until.rstrip("Z"), "%Y%m%dT%H%M%S" if "T" in until else "%Y%m%d")
        if until.endswith("Z"):
            last = last.replace(tzinfo=UTC).astimezone(zone)
    return {
        "@type": "Schedule",
        "repeatFrequency": f"P{parts.get('INTERVAL', '1')}{FREQUENCIES[parts['FREQ']]}",
        "byDay": days,
        "byMonthWeek": int(week) if week else None,
        "byMonthDay": [int(d) for d in parts["BYMONTHDAY"].split(",")] if "BYMONTHDAY" in parts else None,
        "byMonth": [int(m) for m in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else None,
        "repeatCount": int(parts["COUNT"]) if "COUNT" in parts else None,
        "startDate": start.date().isoformat(),
        "endDate": last.date().isoformat() if until else None,
        "startTime": start.strftime("%H:%M:%S"),
        "endTime": end.strftime("%H:%M:%S"),
        "duration": _duration(end - start),
        "scheduleTimezone": event.timezone,
        "exceptDate": [datetime.fromisoformat(v).astimezone(zone).isoformat() for v in event.exdates],
    }


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"PT{minutes // 60}H{minutes % 60}M"


def event_markup(
    event: Event,
    doc: dict,
    *,
    next_occurrence: Occurrence | None,
    place: Place | None,
    organizers: list[Place | str],
    page_url: str,
) -> dict:
    """The JSON-LD of an event's page: the event, or the next occurrence of a series."""
    zone = ZoneInfo(event.timezone)
    occurrence = next_occurrence if event.recurring else None
    start = occurrence.start_utc if occurrence else event.start_utc
    end = occurrence.end_utc if occurrence else event.end_utc or event.start_utc
    status = occurrence.status if occurrence else event.status
    anchor = occurrence.recurrence_id or occurrence.start_utc if occurrence else None
    hosts = [
        {"@type": "Organization", "@id": o.iri, "name": o.name, "url": o.website or o.iri}
        if isinstance(o, Place)
        else {"@type": "Organization", "@id": o, "url": o}
        for o in organizers or ([place] if place is not None else [])
    ]
    location = _location(event, place, doc.get("place") or {}, status)
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "Event",
            "@id": occurrence_id(event.iri, anchor) if anchor else event.iri,
            "url": event.url or page_url,
            "name": occurrence.title if occurrence else event.title,
            "description": text_with_paragraphs(event.description),
            "startDate": moment(start, zone, event.all_day),
            "endDate": end_moment(end, zone, event.all_day),
            "eventStatus": SCHEMA + STATUS[status],
            "eventAttendanceMode": SCHEMA
            + ATTENDANCE.get(event.attendance_mode, "OfflineEventAttendanceMode"),
            "location": location[0] if len(location) == 1 else location,
            "organizer": hosts[0] if len(hosts) == 1 else hosts,
            "image": event.image_url,
            "offers": _offers(event, page_url),
            "isAccessibleForFree": event.is_free,
            "inLanguage": event.language,
            "maximumAttendeeCapacity": event.capacity,
            "eventSchedule": schedule(event) if event.recurring else None,
            "sameAs": event.same_as,
        }
    )
