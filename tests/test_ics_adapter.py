"""iCalendar adapter: calendar files as Google, Outlook, Nextcloud, Thunderbird and people write them.

One file in tests/calendars/ per case. Besides the exact records, recurring cases are checked for
meaning: our records, expanded by our own recurrence code, give the same occurrences as
recurring-ical-events reading the original file.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from hub.calendar.dates import start_of_day, to_utc
from hub.calendar.recurrence import Override, expand, parse_rule
from hub.events.schemas import EventIn, HarvestedEventIn, RecurrenceIn
from hub.federation.adapters.ics import NotACalendar, parse_calendar
from hub.federation.harvested import Batch

CALENDARS = Path(__file__).parent / "calendars"
SOURCE = "https://tiers-lieu.example.org/agenda.ics"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))

Occurrence = tuple[datetime, datetime, str, str]


def _parse(case: str, content_type: str | None = None) -> Batch:
    return parse_calendar(
        (CALENDARS / f"{case}.ics").read_bytes(), source_url=SOURCE, content_type=content_type
    )


def _records(batch: Batch) -> dict[str, dict]:
    assert not batch.rejected, batch.rejected
    return {record.iri: record.data for record in batch.records}


def _expand(event: EventIn, window: tuple[datetime, datetime] = WINDOW) -> list[Occurrence]:
    """Occurrences of one record, converted the way `hub.events.service.save_event` stores it."""
    zone = ZoneInfo(event.timezone)
    all_day = not isinstance(event.start, datetime)
    time_of_day = None if all_day else to_utc(event.start, zone).astimezone(zone).time()

    def instant(value: date | datetime, *, end: bool = False) -> datetime:
        if all_day:
            return to_utc(start_of_day(value + timedelta(days=1 if end else 0), zone), zone)
        if not isinstance(value, datetime):
            value = datetime.combine(value, time_of_day)
        return to_utc(value, zone)

    start = instant(event.start)
    recurrence = event.recurrence or RecurrenceIn()
    instances = expand(
        start_utc=start,
        end_utc=instant(event.end, end=True) if event.end else start + timedelta(days=1 if all_day else 0),
        zone=zone,
        title=event.title,
        status=event.status,
        rule=recurrence.rrule,
        rdates=[instant(value) for value in recurrence.rdates],
        exdates=[instant(value) for value in recurrence.exdates],
        overrides=[
            Override(
                instant(o.recurrence_id),
                instant(o.start) if o.start else None,
                instant(o.end, end=True) if o.end else None,
                o.title,
                o.status,
            )
            for o in event.overrides
        ],
        window_start=window[0],
        window_end=window[1],
    )
    return [(i.start_utc, i.end_utc, i.title, i.status) for i in instances]


def _ours(batch: Batch, window: tuple[datetime, datetime] = WINDOW) -> list[Occurrence]:
    events = [HarvestedEventIn.model_validate(record.data) for record in batch.records]
    return sorted(o for event in events for o in _expand(event, window))


def _theirs(
    case: str, zone: str = "Europe/Paris", window: tuple[datetime, datetime] = WINDOW
) -> list[Occurrence]:
    """What recurring-ical-events reads in the file; dates and floating times are taken in `zone`."""
    tz = ZoneInfo(zone)

    def instant(value: date | datetime) -> datetime:
        return to_utc(value if isinstance(value, datetime) else start_of_day(value, tz), tz)

    calendar = Calendar.from_ical((CALENDARS / f"{case}.ics").read_bytes())
    private = {e["UID"] for e in calendar.events if e.get("CLASS") in ("PRIVATE", "CONFIDENTIAL")}
    return sorted(
        (
            instant(o.start),
            instant(o.end),
            " ".join(str(o.get("SUMMARY", "")).split()),
            "cancelled" if o.get("STATUS") == "CANCELLED" else "scheduled",
        )
        for o in recurring_ical_events.of(calendar).between(*window)
        if o["UID"] not in private
    )


def _paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def test_google_weekly_with_x_wr_timezone():
    batch = _parse("google_weekly_with_x_wr_timezone")

    assert batch.complete
    assert _records(batch) == {
        f"{SOURCE}#5tq1v9h2m8c0k3r7b6n4j1x0zd%40google.com": {
            "title": "Co-lunch du vendredi",
            "description": "<p>Chacun apporte son plat, on partage la grande table.</p>"
            "<p>Ouvert à tous les coworkers &amp; voisins.<br>Pensez à vos couverts !</p>",
            "start": "2026-01-09T13:00:00+01:00",
            "end": "2026-01-09T14:00:00+01:00",
            "timezone": "Europe/Paris",
            "location": {"name": "La Coopérative du Bocage, 12 rue des Tilleuls, 23000 Guéret"},
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=FR"},
        },
        # Written in UTC, meant in X-WR-TIMEZONE: 18:00 in Paris all year, not 17:00 UTC.
        f"{SOURCE}#0ak7p2w5e9r1t4y8u3i6o0s2df%40google.com": {
            "title": "Soirée pitch des porteurs de projets",
            "start": "2026-03-05T18:00:00+01:00",
            "end": "2026-03-05T20:00:00+01:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "url": "https://bocage.example.org/pitch",
            "recurrence": {"rrule": "FREQ=MONTHLY;COUNT=6;BYDAY=1TH"},
        },
    }
    ours = _ours(batch)
    assert (_paris(2026, 4, 2, 18), _paris(2026, 4, 2, 20)) in [o[:2] for o in ours]
    assert ours == _theirs("google_weekly_with_x_wr_timezone")


def test_outlook_windows_timezone_names():
    batch = _parse("outlook_windows_timezone_names")
    records = _records(batch)

    breakfast = records[
        f"{SOURCE}#040000008200E00074C5B7101A82E00800000000D0A1B2C3D4E5DC01000000000000000010000000"
        "F1E2D3C4B5A697887766554433221100"
    ]
    description = breakfast.pop("description")
    assert description.startswith('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2//EN">\n<HTML>')
    assert '<B><FONT FACE="Aptos">Café, croissants</FONT></B>' in description
    assert breakfast == {
        "title": "Petit-déjeuner des nouveaux",
        "start": "2026-01-05T09:00:00+01:00",
        "end": "2026-01-05T10:00:00+01:00",
        "timezone": "Europe/Paris",
        "location": {"name": "Le Hangar Numérique - salle commune"},
        "status": "scheduled",
        "recurrence": {
            "rrule": "FREQ=MONTHLY;UNTIL=20261207T080000Z;BYDAY=1MO",
            "exdates": ["2026-08-03T09:00:00+02:00"],
        },
    }
    laser, call = (records[iri] for iri in list(records)[1:])
    assert (laser["start"], laser["end"], laser["timezone"]) == (
        "2026-03-28T14:00:00+01:00",
        "2026-03-28T17:00:00+01:00",
        "Europe/Berlin",
    )
    assert (call["start"], call["end"], call["timezone"]) == (
        "2026-04-02T11:00:00+01:00",
        "2026-04-02T12:00:00+01:00",
        "Europe/London",
    )
    assert _ours(batch) == _theirs("outlook_windows_timezone_names")


def test_nextcloud_exdate_and_rdate():
    batch = _parse("nextcloud_exdate_and_rdate")

    assert _records(batch) == {
        f"{SOURCE}#6f1b7e0c-3a52-4c8e-9d31-2b7f0a4e5c96": {
            "title": "Repair café",
            "description": "<p>Apportez vos objets en panne : petit électroménager, vélos, textiles.</p>",
            "start": "2026-03-14T14:00:00+01:00",
            "end": "2026-03-14T17:00:00+01:00",
            "timezone": "Europe/Paris",
            "location": {
                "name": "L'Établi, 4 place du Marché, 87000 Limoges",
                "geo": {"lat": 45.8336, "lon": 1.2611},
            },
            "themes": ["Réparation", "Réemploi"],
            "status": "scheduled",
            "url": "https://etabli.example.org/repair-cafe",
            "recurrence": {
                "rrule": "FREQ=MONTHLY;COUNT=10;BYDAY=2SA",
                "rdates": ["2026-04-18T14:00:00+02:00", "2026-06-20T10:00:00+02:00"],
                "exdates": [
                    "2026-04-11T14:00:00+02:00",
                    "2026-08-08T14:00:00+02:00",
                    "2026-05-09T14:00:00+02:00",
                ],
            },
        }
    }
    # The RDATE given as a PERIOD is left out: the only occurrence the two readings disagree on.
    theirs = [
        o for o in _theirs("nextcloud_exdate_and_rdate") if o[0] != datetime(2026, 10, 17, 12, tzinfo=UTC)
    ]
    assert _ours(batch) == theirs
    assert len(theirs) == 10 - 3 + 2


@pytest.mark.filterwarnings("ignore::icalendar.GloballyUniqueTZIDGuessed")
def test_recurrence_id_override_moves_and_cancels():
    batch = _parse("recurrence_id_override_moves_and_cancels")

    assert _records(batch) == {
        f"{SOURCE}#b3c1a0e2-7d4f-4a6b-8e9c-0f1d2e3a4b5c": {
            "title": "Co-lunch",
            "description": "<p>Repas partagé.</p>",
            "start": "2026-05-01T13:00:00+02:00",
            "end": "2026-05-01T14:00:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=8;BYDAY=FR"},
            "overrides": [
                {
                    "recurrence_id": "2026-05-15T13:00:00+02:00",
                    "start": "2026-05-13T12:30:00+02:00",
                    "end": "2026-05-13T14:00:00+02:00",
                    "title": "Co-lunch spécial pont de l'Ascension",
                },
                {"recurrence_id": "2026-05-29T13:00:00+02:00", "status": "cancelled"},
                {
                    "recurrence_id": "2026-06-05T13:00:00+02:00",
                    "description": "<p>Repas partagé, avec les élèves du lycée agricole.</p>",
                },
            ],
        },
        # Old Lightning wrote vendor-prefixed TZIDs.
        f"{SOURCE}#3e9a8c1f-old-lightning-tzid": {
            "title": "Assemblée générale",
            "start": "2026-06-19T18:00:00+02:00",
            "end": "2026-06-19T20:00:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        },
    }
    ours = _ours(batch)
    assert (_paris(2026, 5, 13, 12, 30), _paris(2026, 5, 13, 14), "Co-lunch spécial pont de l'Ascension") in [
        o[:3] for o in ours
    ]
    assert (_paris(2026, 5, 29, 13), _paris(2026, 5, 29, 14), "Co-lunch", "cancelled") in ours
    assert ours == _theirs("recurrence_id_override_moves_and_cancels")


def test_orphan_override_without_master():
    batch = _parse("orphan_override_without_master")
    uid = "7hd02kf9sl3m5n1b8v6c4x2z0q_R20260101T090000%40google.com"

    assert _records(batch) == {
        f"{SOURCE}#{uid}@20260612T090000": {
            "title": "Réunion des animateurs",
            "description": "<p>Réunion mensuelle des animateurs, décalée d&#x27;une heure ce mois-ci.</p>",
            "start": "2026-06-12T10:00:00+02:00",
            "end": "2026-06-12T12:00:00+02:00",
            "timezone": "Europe/Paris",
            "location": {"name": "Visio"},
            "status": "scheduled",
        },
        f"{SOURCE}#{uid}@20260710T090000": {
            "title": "Réunion des animateurs",
            "start": "2026-07-10T09:00:00+02:00",
            "end": "2026-07-10T11:00:00+02:00",
            "timezone": "Europe/Paris",
            "status": "cancelled",
        },
        f"{SOURCE}#1q2w3e4r5t6y7u8i9o0p%40google.com": {
            "title": "Apéro du réseau",
            "start": "2026-06-18T18:00:00+02:00",
            "end": "2026-06-18T20:00:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        },
    }
    assert _ours(batch) == _theirs("orphan_override_without_master")


def test_all_day_multi_day_event():
    batch = _parse("all_day_multi_day_event")

    assert _records(batch) == {
        f"{SOURCE}#0c6f2a8e-1b4d-4e7a-9f3c-5d2e8a1b7c40": {
            "title": "Festival des tiers-lieux (3 jours)",
            "start": "2026-07-03",
            "end": "2026-07-05",
            "timezone": "Europe/Paris",
            "location": {"name": "Parc du château"},
            "status": "scheduled",
        },
        f"{SOURCE}#9a1d3c5e-7f20-4b6a-8c4e-2f1a0b9c8d71": {
            "title": "Journée portes ouvertes",
            "start": "2026-09-14",
            "end": "2026-09-14",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        },
        # DTEND equal to DTSTART, a common slip: still one day.
        f"{SOURCE}#4e8b2d6f-0a3c-4f1e-b7d9-6c5a4e3f2b18": {
            "title": "Fermeture exceptionnelle",
            "start": "2026-09-21",
            "end": "2026-09-21",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        },
        f"{SOURCE}#e2f4a6c8-1d3b-4a5e-9c7f-0b2d4f6a8c13": {
            "title": "Anniversaire du lieu",
            "start": "2026-03-01",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=YEARLY;UNTIL=20280301"},
        },
    }
    # The 21 September slip is one day for us and none for recurring-ical-events (DTEND == DTSTART).
    theirs = [o for o in _theirs("all_day_multi_day_event") if o[2] != "Fermeture exceptionnelle"]
    ours = [o for o in _ours(batch) if o[2] != "Fermeture exceptionnelle"]
    assert ours == theirs
    assert [o[0] for o in ours if o[2] == "Anniversaire du lieu"] == [
        _paris(year, 3, 1) for year in (2026, 2027, 2028)
    ]


def test_floating_times():
    batch = _parse("floating_times")

    assert _records(batch) == {
        f"{SOURCE}#atelier-cv-2026%40lafabrique.example.org": {
            "title": "Atelier CV et LinkedIn pour demandeurs d'emploi",
            "start": "2026-04-15T18:30:00+02:00",
            "end": "2026-04-15T20:30:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            # The floating UNTIL is read in the same zone as the floating start.
            "recurrence": {"rrule": "FREQ=WEEKLY;UNTIL=20260520T163000Z"},
        }
    }
    ours = _ours(batch)
    assert len(ours) == 6
    assert ours == _theirs("floating_times")


def test_floating_times_read_in_x_wr_timezone():
    batch = _parse("floating_times_read_in_x_wr_timezone")

    assert _records(batch) == {
        f"{SOURCE}#fabmanager-permanence%40kaz.example.re": {
            "title": "Permanence du fabmanager",
            "start": "2026-04-02T09:00:00+04:00",
            "end": "2026-04-02T12:00:00+04:00",
            "timezone": "Indian/Reunion",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4"},
        }
    }
    assert _ours(batch) == _theirs("floating_times_read_in_x_wr_timezone", zone="Indian/Reunion")


def test_utc_times():
    batch = _parse("utc_times")

    assert _records(batch) == {
        f"{SOURCE}#2d4f6a8c-0e1b-4c3d-8e5f-7a9b1c3d5e7f": {
            "title": "Café des indépendants (visio internationale)",
            "start": "2026-06-01T07:00:00+00:00",
            "end": "2026-06-01T08:30:00+00:00",
            "timezone": "UTC",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=5;BYDAY=MO", "exdates": ["2026-06-15T07:00:00+00:00"]},
        }
    }
    assert _ours(batch) == _theirs("utc_times")


def test_duration_instead_of_dtend():
    batch = _parse("duration_instead_of_dtend")

    assert _records(batch) == {
        f"{SOURCE}#8f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a10": {
            "title": "Soudure pour débutants",
            "start": "2026-03-18T18:30:00+01:00",
            "end": "2026-03-18T20:00:00+01:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=3"},
        },
        f"{SOURCE}#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d": {
            "title": "Week-end makers",
            "start": "2026-05-22",
            "end": "2026-05-23",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        },
    }
    assert _ours(batch) == _theirs("duration_instead_of_dtend")


def test_folded_long_lines():
    batch = _parse("folded_long_lines")

    # Folded inside the two bytes of an "é", and a UID continued with a tab.
    assert _records(batch) == {
        f"{SOURCE}#9z8y7x6w5v4u3t2s1r0q%40google.com": {
            "title": "Journée découverte du fablab",
            "description": "<p>Une journée complète pour découvrir la fabrication numérique : impression 3D, "
            "découpe laser, brodeuse numérique et fraiseuse. Les fabmanagers présentent chaque machine, "
            "les règles de sécurité et les tarifs d&#x27;accès. Café offert à l&#x27;arrivée; déjeuner "
            "tiré du sac.</p><p>Inscription conseillée : le nombre de postes est limité à douze "
            "personnes.</p>",
            "start": "2026-09-26T09:30:00+02:00",
            "end": "2026-09-26T17:30:00+02:00",
            "timezone": "Europe/Paris",
            "location": {"name": "Fablab des Combrailles"},
            "status": "scheduled",
        }
    }


@pytest.mark.parametrize("content_type", [None, "text/calendar; charset=ISO-8859-1"])
def test_latin1_encoded_file(content_type):
    batch = _parse("latin1_encoded_file", content_type)

    # Windows-1252, not ISO-8859-1: "€" and "œ" only exist in the former.
    assert _records(batch) == {
        f"{SOURCE}#soiree-jeux-2026-10%40legrenier.example.org": {
            "title": "Soirée jeux de société – œuvres collectives",
            "description": "<p>Participation libre (2 € conseillés). Goûter préparé par l&#x27;équipe, "
            "à côté du foyer.</p>",
            "start": "2026-10-09T20:00:00+02:00",
            "end": "2026-10-09T23:00:00+02:00",
            "timezone": "Europe/Paris",
            "location": {"name": "Le Grenier, salle des fêtes de Sainte-Feyre"},
            "status": "scheduled",
        }
    }


def test_declared_charset_iso_8859_15():
    batch = _parse("declared_charset_iso_8859_15", 'text/calendar; charset="iso-8859-15"')

    assert [record.data["title"] for record in batch.records] == ["Bourse aux vélos : dépôt 1 € par vélo"]


def test_utf8_bom():
    batch = _parse("utf8_bom")

    uid = "040000008200E00074C5B7101A82E008000000005566778899AADC0100000000000000001000000012ABCDEF"
    assert _records(batch) == {
        f"{SOURCE}#{uid}": {
            "title": "Café numérique des aînés",
            "start": "2026-11-05T14:00:00+01:00",
            "end": "2026-11-05T16:00:00+01:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        }
    }


def test_until_as_date_with_datetime_start():
    batch = _parse("until_as_date_with_datetime_start")

    # A date UNTIL bounds the series inclusively: the 26 June lunch is the last one, kept.
    assert _records(batch) == {
        f"{SOURCE}#4r5t6y7u8i9o0p1a2s3d4f5g6h%40google.com": {
            "title": "Déjeuner des coworkers (jusqu'au 26 juin)",
            "start": "2026-06-05T13:00:00+02:00",
            "end": "2026-06-05T14:00:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;UNTIL=20260626T215959Z;BYDAY=FR;WKST=MO"},
        }
    }
    rule = batch.records[0].data["recurrence"]["rrule"]
    assert len(list(parse_rule(rule, datetime(2026, 6, 5, 13, tzinfo=ZoneInfo("Europe/Paris"))))) == 4
    # recurring-ical-events reads a date UNTIL as midnight UTC and so loses the last lunch.
    last = (
        _paris(2026, 6, 26, 13),
        _paris(2026, 6, 26, 14),
        "Déjeuner des coworkers (jusqu'au 26 juin)",
        "scheduled",
    )
    assert _ours(batch) == [*_theirs("until_as_date_with_datetime_start"), last]


def test_private_event_is_skipped():
    batch = _parse("private_event_is_skipped")

    # The private series takes its moved occurrence with it; it must not come back as an orphan.
    assert list(_records(batch)) == [f"{SOURCE}#pub5k4j3h2g1f0d9s8a7%40google.com"]
    assert _ours(batch) == _theirs("private_event_is_skipped")
    assert "Claire" not in json.dumps(batch.records[0].data)


def test_attendees_are_not_copied():
    batch = _parse("attendees_are_not_copied")

    assert [record.data for record in batch.records] == [
        {
            "title": "Comité de pilotage du réseau",
            "start": "2026-09-17T10:00:00+02:00",
            "end": "2026-09-17T11:30:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
        }
    ]
    # Not even the quarantined copy of a rejected event keeps who was invited.
    assert len(batch.rejected) == 1
    shown = json.dumps([record.data for record in batch.records]) + batch.rejected[0].raw
    for personal in ("Fictive", "Imaginaire", "mailto", "06 00 00 00 00"):
        assert personal not in shown
    assert "Point budget" in batch.rejected[0].raw


def test_truncated_file_is_incomplete():
    batch = _parse("truncated_file_is_incomplete")

    assert not batch.complete
    assert [record.data["title"] for record in batch.records] == ["Atelier vélo", "Couture zéro déchet"]
    assert batch.rejected == []


def test_vevent_without_end_is_incomplete():
    batch = _parse("vevent_without_end_is_incomplete")

    assert not batch.complete
    assert list(_records(batch)) == [f"{SOURCE}#intact%40lafabrique.example.org"]


def test_not_a_calendar_html():
    with pytest.raises(NotACalendar, match="not an iCalendar file: it starts with '<!DOCTYPE html>'"):
        _parse("not_a_calendar_html")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"\r\n  \r\n", "empty"),
        (b'{"events": []}', "not an iCalendar file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x81\x8d\x8f\x90\x9d", "not text"),
        (b"BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n", "not an iCalendar file"),
    ],
)
def test_not_a_calendar_other_bodies(body, message):
    with pytest.raises(NotACalendar, match=message):
        parse_calendar(body, source_url=SOURCE)


def test_empty_calendar():
    batch = _parse("empty_calendar")

    assert (batch.records, batch.rejected, batch.complete) == ([], [], True)


def test_invalid_event_rejected_alone():
    batch = _parse("invalid_event_rejected_alone")

    assert [record.data["title"] for record in batch.records] == [
        "Conférence low-tech",
        "Fin avant le début",  # kept without its end (test_dtstart_after_dtend)
        "Troc de plantes",
    ]
    assert [(r.iri, r.reason) for r in batch.rejected] == [
        (f"{SOURCE}#broken-start%40etabli.example.org", "DTSTART cannot be read: '2026-10-22 18h00'"),
        (f"{SOURCE}#no-start%40etabli.example.org", "the event has no DTSTART"),
        (f"{SOURCE}#bad-rule%40etabli.example.org", "RRULE cannot be read: 'FREQ=SOMETIMES'"),
    ]
    assert batch.complete


def test_many_categories_become_themes():
    batch = _parse("many_categories_become_themes")

    themes = batch.records[0].data["themes"]
    assert themes[:5] == ["Numérique", "Fabrication", "Inclusion numérique, médiation", "Emploi", "Jeunesse"]
    assert themes[5:] == [f"Thème {i:02d}" for i in range(1, 26)]


def test_long_fields_are_truncated():
    data = _records(_parse("long_fields_are_truncated"))[f"{SOURCE}#textes-longs%40lafabrique.example.org"]

    assert len(data["title"]) == 300
    assert data["title"].startswith("Atelier très très") and data["title"].endswith("…")
    assert len(data["location"]["name"]) <= 200 and data["location"]["name"].endswith("…")
    assert "geo" not in data["location"]  # latitude 123.5
    assert "url" not in data  # javascript: is not a web page
    assert len(data["description"]) <= 20000
    assert data["description"].endswith("…")
    assert not re.search(r"(&#?\w*|<[^>]*)…$", data["description"])  # no half entity or tag left


def test_duplicate_uid_highest_sequence_wins():
    batch = _parse("duplicate_uid_highest_sequence_wins")

    assert _records(batch) == {
        f"{SOURCE}#d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6": {
            "title": "Club électronique (nouvel horaire)",
            "start": "2026-10-06T18:00:00+02:00",
            "end": "2026-10-06T20:00:00+02:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=3"},
            "overrides": [
                {"recurrence_id": "2026-10-13T18:00:00+02:00", "title": "Club électronique : soirée Arduino"}
            ],
        }
    }


def test_event_without_uid_gets_a_stable_iri():
    first, again = (
        _parse("event_without_uid_gets_a_stable_iri"),
        _parse("event_without_uid_gets_a_stable_iri"),
    )

    iris = [record.iri for record in first.records]
    assert iris == [record.iri for record in again.records]
    assert len(set(iris)) == 2
    assert all(iri.startswith(f"{SOURCE}#") for iri in iris)


def test_custom_timezone_keeps_the_instant():
    batch = _parse("custom_timezone_keeps_the_instant")

    # An Exchange display name instead of a zone id: the VTIMEZONE gives the instant, Paris shows it.
    assert _records(batch) == {
        f"{SOURCE}#040000008200E00074C5B7101A82E00800000000CAFE0123456789ABCDEF": {
            "title": "Permanence numérique",
            "start": "2026-11-20T10:00:00+01:00",
            "end": "2026-11-20T12:00:00+01:00",
            "timezone": "Europe/Paris",
            "status": "scheduled",
            "recurrence": {"rrule": "FREQ=WEEKLY;UNTIL=20261211T090000Z;INTERVAL=1;BYDAY=FR;WKST=MO"},
        }
    }
    assert _ours(batch) == _theirs("custom_timezone_keeps_the_instant")


def test_override_without_dtstart_keeps_the_original_time():
    batch = _parse("override_without_dtstart_keeps_the_original_time")

    assert batch.records[0].data["overrides"] == [
        {"recurrence_id": "2026-10-07T09:00:00+02:00", "status": "cancelled"}
    ]
    # recurring-ical-events fails on this file (KeyError: 'DTSTART'), so only our reading is checked.
    ours = _ours(batch)
    assert [o[3] for o in ours] == ["scheduled", "scheduled", "cancelled", "scheduled", "scheduled"]
    assert ours[2] == (_paris(2026, 10, 7, 9), _paris(2026, 10, 7, 10), "Accueil café", "cancelled")


def test_exdate_over_several_lines():
    batch = _parse("exdate_over_several_lines")

    records = _records(batch)
    welding = records[f"{SOURCE}#atelier-soudure-2026%40lafabrique.example.org"]
    # Three EXDATE lines, one of them in UTC, and lists of values, one folded: seven exceptions.
    assert len(welding["recurrence"]["exdates"]) == 7
    garden = records[f"{SOURCE}#permanence-jardin-2026%40lafabrique.example.org"]
    assert sorted(garden["recurrence"]["exdates"]) == ["2026-04-11", "2026-04-18", "2026-04-25"]
    ours = _ours(batch)
    assert len(ours) == 12 - 7 + 6 - 3
    assert ours == _theirs("exdate_over_several_lines")


def test_dtstart_without_timezone():
    batch = _parse("dtstart_without_timezone")

    # A floating DTSTART is read in the calendar's zone (here no X-WR-TIMEZONE: Europe/Paris),
    # whatever zone its DTEND names.
    assert [(r["title"], r["start"], r["end"]) for r in _records(batch).values()] == [
        ("Soirée jeux", "2026-10-09T20:00:00+02:00", "2026-10-09T23:00:00+02:00"),
        ("Atelier tricot", "2026-10-06T14:00:00+02:00", "2026-10-06T16:00:00+02:00"),
        ("Café couture", "2026-10-15T10:00:00+02:00", "2026-10-15T12:00:00+02:00"),
        ("Permanence administrative", "2026-10-16T09:00:00+02:00", "2026-10-16T12:00:00+02:00"),
    ]
    # recurring-ical-events reads the floating start of the last one in its DTEND's zone, UTC.
    apart = "Permanence administrative"
    theirs = _theirs("dtstart_without_timezone")
    assert [o[0] for o in theirs if o[2] == apart] == [datetime(2026, 10, 16, 9, tzinfo=UTC)]
    assert [o for o in _ours(batch) if o[2] != apart] == [o for o in theirs if o[2] != apart]


def test_weekly_series_with_forty_overrides():
    batch = _parse("weekly_series_with_forty_overrides")

    [series] = _records(batch).values()
    assert len(series["overrides"]) == 40
    window = (WINDOW[0], datetime(2036, 1, 1, tzinfo=UTC))
    theirs = [o for o in _theirs("weekly_series_with_forty_overrides", window=window)]
    # Two overrides name a date the rule does not produce (half an hour off, and after UNTIL):
    # they still happen.
    assert ("Atelier déplacé au dimanche", datetime(2035, 8, 5, 16, tzinfo=UTC)) in [
        (o[2], o[0]) for o in theirs
    ]
    assert _ours(batch, window=window) == theirs


def test_dtstart_after_dtend():
    batch = _parse("dtstart_after_dtend")

    # RFC 5545 wants DTEND later; people go by the start: each event is kept, its end left out
    # (a timed event then lasts no time, an all-day one its day).
    assert [(r["title"], r["start"], r.get("end")) for r in _records(batch).values()] == [
        ("Conférence sur le low-tech", "2026-10-21T18:00:00+02:00", None),
        ("Club vélo", "2026-10-03T14:00:00+02:00", None),
        ("Journée troc", "2026-11-07", None),
    ]
    assert [o[:3] for o in _ours(batch)] == [
        (_paris(2026, 10, 3, 14), _paris(2026, 10, 3, 14), "Club vélo"),
        (_paris(2026, 10, 10, 14), _paris(2026, 10, 10, 14), "Club vélo"),
        (_paris(2026, 10, 17, 14), _paris(2026, 10, 17, 14), "Club vélo"),
        (_paris(2026, 10, 21, 18), _paris(2026, 10, 21, 18), "Conférence sur le low-tech"),
        (_paris(2026, 11, 7), _paris(2026, 11, 8), "Journée troc"),
    ]


def test_missing_summary():
    batch = _parse("missing_summary")

    # No title is made up: the API shows none, the pages say "(sans titre)" or "(untitled)".
    assert [record.data.get("title") for record in batch.records] == [None, None]
    assert [o[2] for o in _ours(batch)] == ["", "", ""]
    assert _ours(batch) == _theirs("missing_summary")


def test_event_images_by_url_only():
    """RFC 7986 IMAGE, or an image ATTACH, kept when it is an http(s) URL; never a script or inline data."""
    records = _records(_parse("event_images_by_url_only"))
    images = {iri.rsplit("#", 1)[1]: data.get("image") for iri, data in records.items()}
    assert images == {
        "image-by-uri": "https://tiers-lieu.example.org/img/atelier.png",
        "image-attached": "https://tiers-lieu.example.org/affiche.jpg",
        "image-refused": None,
    }
