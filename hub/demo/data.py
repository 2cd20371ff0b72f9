"""Fictional demo data. Every person here is invented; dates follow today's date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from hub.calendar.rules import first_date
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.people.schemas import PersonIn
from hub.people.service import save_person
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.settings import Settings


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def series_start(rule: str, day: date, hour: int, minute: int = 0) -> datetime:
    """The first date of `rule` from `day` on, at that time of day: a series starts on a date
    of its own rule, whatever today is (the API refuses any other start)."""
    # Weekdays and months are wall-clock matters: read in UTC, which has no daylight saving.
    first = first_date(rule, datetime.combine(day, time(hour, minute), UTC))
    if first is None:
        raise ValueError(f"{rule} has no date from {day}")
    return first.replace(tzinfo=None)


FABRIQUE = {
    "name": "La Fabrique du Bocage",
    "description": "<p>Fablab et espace de coworking associatif (lieu fictif de démonstration).</p>",
    "kinds": ["fablab", "coworking"],
    "address": {"street": "12 rue des Ateliers", "postal_code": "23400", "city": "Saint-Aurèle-du-Bocage"},
    "geo": {"lat": 45.9581, "lon": 1.7602},
    "opening_hours": [
        {"days": ["Mo", "Tu", "We", "Th", "Fr"], "opens": "09:00", "closes": "18:00"},
        {"days": ["Sa"], "opens": "10:00", "closes": "13:00"},
    ],
    "contact": {"email": "bonjour@fabrique-bocage.example", "phone": "05 55 00 00 01"},
    "website": "https://fabrique-bocage.example/",
    "equipment": [
        {"name": "découpeuse laser", "category": "fabrication numérique", "quantity": 1},
        {"name": "imprimante 3D", "category": "fabrication numérique", "quantity": 4},
        {"name": "fraiseuse numérique", "category": "fabrication numérique", "quantity": 1},
        {"name": "poste à souder", "category": "électronique", "quantity": 6},
        {"name": "scie à format", "category": "bois", "quantity": 1},
        {"name": "postes de coworking", "category": "coworking", "quantity": 14},
    ],
}


def seed_fabrique(
    session: Session, settings: Settings, today: date, shared: dict | None = None
) -> dict[str, str]:
    """A fablab-coworking with its recurring life, a few members, and one who never consented.

    `shared` is an event it co-organizes with another place of the network.
    """
    place = create_place(session, settings.base_url, PlaceIn.model_validate(FABRIQUE))
    if shared is not None:
        save_event(session, settings, EventIn(place=place.id, **shared))
    first_friday = _weekday_on_or_after(today - timedelta(days=70), 4)
    cancelled_friday = _weekday_on_or_after(today + timedelta(days=21), 4)
    colunch = save_event(
        session,
        settings,
        EventIn(
            title="Co-lunch du vendredi",
            description="<p>Chacun apporte un plat, on partage la table et les projets.</p>",
            start=_at(first_friday, 13),
            end=_at(first_friday, 14),
            recurrence={"rrule": "FREQ=WEEKLY;BYDAY=FR"},
            overrides=[{"recurrence_id": _at(cancelled_friday, 13), "status": "cancelled"}],
            place=place.id,
            themes=["repas partagé"],
            audience=["tout public"],
            is_free=True,
        ),
    )
    pitch = "FREQ=MONTHLY;BYDAY=3TH"
    pitch_start = series_start(pitch, today.replace(day=1) - timedelta(days=60), 19)
    save_event(
        session,
        settings,
        EventIn(
            title="Soirée pitch",
            description="<p>Trois porteurs de projet, cinq minutes chacun, et des questions.</p>",
            start=pitch_start,
            end=pitch_start + timedelta(hours=2, minutes=30),
            recurrence={"rrule": pitch},
            place=place.id,
            themes=["soirée pitch"],
            audience=["entrepreneurs"],
            is_free=True,
            registration_url="https://fabrique-bocage.example/pitch",
        ),
    )
    breakfast = "FREQ=MONTHLY;BYDAY=1MO"
    first_monday = series_start(breakfast, today.replace(day=1) - timedelta(days=31), 8, 30)
    save_event(
        session,
        settings,
        EventIn(
            title="Petit-déjeuner des nouveaux",
            description="<p>Le premier lundi du mois, on accueille les nouveaux venus autour d'un café.</p>",
            start=first_monday,
            end=first_monday + timedelta(hours=1, minutes=30),
            recurrence={"rrule": breakfast},
            place=place.id,
            themes=["accueil des nouveaux"],
            audience=["nouveaux arrivants"],
            is_free=True,
        ),
    )
    workshop_day = _weekday_on_or_after(today + timedelta(days=8), 1)
    save_event(
        session,
        settings,
        EventIn(
            title="Atelier CV et numérique pour les demandeurs d'emploi",
            description="<p>Refaire son CV, créer son espace en ligne, <strong>accompagné</strong>.</p>",
            start=_at(workshop_day, 14),
            end=_at(workshop_day, 17),
            place=place.id,
            themes=["recherche d'emploi", "inclusion numérique"],
            audience=["demandeurs d'emploi"],
            is_free=True,
            capacity=12,
            registration_url="https://fabrique-bocage.example/atelier-cv",
        ),
    )
    market_day = _weekday_on_or_after(today + timedelta(days=12), 5)
    save_event(
        session,
        settings,
        EventIn(
            title="Repair café hors les murs",
            description="<p>La Fabrique s'installe au marché : apportez vos objets en panne.</p>",
            start=_at(market_day, 9),
            end=_at(market_day, 12, 30),
            place=place.id,
            location={
                "name": "Place du marché",
                "address": {
                    "street": "Place du marché",
                    "postal_code": "23400",
                    "city": "Saint-Aurèle-du-Bocage",
                },
                "geo": {"lat": 45.9566, "lon": 1.7631},
            },
            themes=["réparation"],
            audience=["tout public"],
            is_free=True,
        ),
    )
    everything = ["display_name", "bio", "skills", "badges", "places", "links", "contact"]
    people = [
        PersonIn(
            display_name="Inès Laforge",
            bio="Animatrice de la Fabrique (personne fictive).",
            skills=["community management", "facilitation", "organisation d'événements"],
            badges=["Staff", "animateur"],
            places=[place.id],
            contact={"email": "ines@fabrique-bocage.example"},
            visibility={f: "public" for f in everything},
            consent={"fields": everything},
        ),
        PersonIn(
            display_name="Karim Vasseur",
            bio="Maker, bricole l'électronique et le bois (personne fictive).",
            skills=["impression 3D", "découpe laser", "soudure", "Arduino"],
            badges=["maker"],
            places=[place.id],
            contact={"email": "karim@exemple.example", "phone": "06 00 00 00 02"},
            visibility={"display_name": "public", "skills": "public", "places": "public", "bio": "network"},
            consent={"fields": ["display_name", "bio", "skills", "places", "contact"]},
        ),
        PersonIn(
            display_name="Jeanne Ollier",
            bio="Comptable indépendante (personne fictive).",
            skills=["compta", "droit des associations"],
            badges=["coworkeuse"],
            places=[place.id],
            visibility={"display_name": "network", "skills": "network", "bio": "private"},
            consent={"fields": ["display_name", "bio", "skills", "badges", "places"]},
        ),
        PersonIn(
            display_name="Théo Marchal",
            bio="Développeur web (personne fictive).",
            skills=["développement web", "Python", "logiciel libre"],
            places=[place.id],
            visibility={"display_name": "public", "bio": "public", "skills": "network", "places": "public"},
            consent={"fields": ["display_name", "bio", "skills", "places"]},
        ),
        PersonIn(
            display_name="Paul Rivière",
            bio="Membre qui n'a jamais donné son accord (personne fictive).",
            skills=["menuiserie"],
            places=[place.id],
            visibility={f: "public" for f in everything},
        ),
    ]
    for person in people:
        save_person(session, settings.base_url, person)
    return {"place": place.id, "colunch": colunch.id}
