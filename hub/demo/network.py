"""The rest of the fictional rural network: a coworking space, a village third place, a
makerspace, and a place that only publishes an iCalendar file. Dates follow today's date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from hub.demo.data import series_start
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.needs.schemas import NeedIn
from hub.needs.service import create_need
from hub.people.schemas import PersonIn
from hub.people.service import save_person
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.settings import Settings

EVERYTHING = ["display_name", "bio", "skills", "badges", "places", "links", "contact"]


def _day(today: date, days: int, weekday: int | None = None) -> date:
    day = today + timedelta(days=days)
    return day if weekday is None else day + timedelta(days=(weekday - day.weekday()) % 7)


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute)).isoformat()


def _member(name: str, bio: str, skills: list[str], place_id: str, *, public: bool = True) -> PersonIn:
    level = "public" if public else "network"
    return PersonIn(
        display_name=name,
        bio=f"{bio} (personne fictive)",
        skills=skills,
        places=[place_id],
        visibility={f: level for f in EVERYTHING} | {"contact": "private"},
        consent={"fields": EVERYTHING},
    )


def forum(today: date, co_organizer: str) -> dict:
    """The network's forum, which the fablab and the coworking space both announce."""
    day = _day(today, 20, 5)
    return {
        "title": "Forum des tiers-lieux du bocage",
        "description": "<p>Rencontre annuelle des lieux du réseau : ateliers, stands, repas partagé.</p>",
        "start": _at(day, 14),
        "end": _at(day, 18),
        "organizers": [co_organizer],
        "themes": ["vie du lieu"],
        "audience": ["tout public"],
        "is_free": True,
    }


def escale_place(session: Session, settings: Settings):
    return create_place(
        session,
        settings.base_url,
        PlaceIn(
            name="L'Escale Coworking",
            description="<p>Espace de coworking en centre-ville (lieu fictif).</p>",
            kinds=["coworking"],
            address={"street": "3 place du Marché", "postal_code": "23000", "city": "Guéret"},
            geo={"lat": 46.1713, "lon": 1.8713},
            opening_hours=[{"days": ["Mo", "Tu", "We", "Th", "Fr"], "opens": "08:30", "closes": "19:00"}],
            equipment=[{"name": "salle de réunion", "category": "coworking", "quantity": 2}],
        ),
    )


def seed_escale(session: Session, settings: Settings, today: date, place_id: str, shared: dict) -> None:
    """A coworking space in town; it co-organizes the network's forum with the fablab."""
    tuesday = _day(today, -30, 1)
    save_event(
        session,
        settings,
        EventIn(
            title="Café numérique",
            description="<p>Un café et vos questions : ordinateur, téléphone, démarches en ligne.</p>",
            start=_at(tuesday, 10),
            end=_at(tuesday, 12),
            recurrence={"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"},
            place=place_id,
            themes=["inclusion numérique"],
            audience=["tout public", "seniors"],
            is_free=True,
        ),
    )
    afterwork = series_start("FREQ=MONTHLY;BYDAY=1TH", today + timedelta(days=3), 18, 30)
    save_event(
        session,
        settings,
        EventIn(
            title="Afterwork des indépendants",
            start=afterwork.isoformat(),
            end=(afterwork + timedelta(hours=2, minutes=30)).isoformat(),
            recurrence={"rrule": "FREQ=MONTHLY;BYDAY=1TH"},
            place=place_id,
            themes=["afterwork"],
            audience=["indépendants"],
        ),
    )
    save_event(session, settings, EventIn(place=place_id, **shared))
    for person in (
        _member("Sofiane Delmas", "Graphiste indépendant", ["design graphique", "illustration"], place_id),
        _member(
            "Claire Bouchet", "Cheffe de projet", ["gestion de projet", "animation de réunion"], place_id
        ),
        _member("Yannick Pérot", "Formateur", ["formation", "médiation numérique"], place_id, public=False),
    ):
        saved = save_person(session, settings.base_url, person)
    create_need(
        session,
        settings,
        NeedIn(
            title="Je cherche quelqu'un pour la compta d'une asso",
            description="Notre association de coworkers clôture ses comptes : un coup de main d'une soirée ?",
            author=saved.id,
            visibility="network",
        ),
    )


def seed_fournil(session: Session, settings: Settings, today: date) -> dict[str, str]:
    """A third place in a village: bakery oven, repair café, shared garden."""
    place = create_place(
        session,
        settings.base_url,
        PlaceIn(
            name="Le Fournil Partagé",
            description="<p>Tiers-lieu de village : four à pain, jardin, repair café (lieu fictif).</p>",
            kinds=["third-place"],
            address={"street": "1 rue de l'Église", "postal_code": "23250", "city": "Lavaud-sur-Creuse"},
            geo={"lat": 46.0512, "lon": 1.8251},
            equipment=[{"name": "four à pain", "category": "alimentation", "quantity": 1}],
        ),
    )
    repair = "FREQ=MONTHLY;BYDAY=2SA"
    saturday = series_start(repair, today - timedelta(days=20), 14)
    save_event(
        session,
        settings,
        EventIn(
            title="Repair café du village",
            description="<p>On répare ensemble petit électroménager, vélos et vêtements.</p>",
            start=saturday.isoformat(),
            end=(saturday + timedelta(hours=3)).isoformat(),
            recurrence={"rrule": repair},
            place=place.id,
            themes=["réparation"],
            audience=["habitants"],
            is_free=True,
        ),
    )
    save_event(
        session,
        settings,
        EventIn(
            title="Fournée collective et repas partagé",
            start=_at(_day(today, 9, 6), 11),
            end=_at(_day(today, 9, 6), 15),
            place=place.id,
            themes=["repas partagé", "alimentation"],
            audience=["familles"],
        ),
    )
    for person in (
        _member("Marcel Aubusson", "Boulanger retraité", ["boulangerie", "cuisine"], place.id),
        _member("Nadia Ferrand", "Réparatrice bénévole", ["réparation de vélos", "couture"], place.id),
    ):
        save_person(session, settings.base_url, person)
    create_need(
        session,
        settings,
        NeedIn(
            title="Besoin d'une découpe laser",
            description="Des lettres en bois pour la fête du village.",
            author=place.id,
        ),
    )
    return {"place": place.iri}


def seed_atelier(session: Session, settings: Settings, today: date) -> dict[str, str]:
    """A makerspace about a hundred kilometres away."""
    place = create_place(
        session,
        settings.base_url,
        PlaceIn(
            name="L'Atelier des Possibles",
            description="<p>Makerspace associatif : électronique, bois, impression 3D (lieu fictif).</p>",
            kinds=["makerspace"],
            address={"street": "8 quai de la Corrèze", "postal_code": "19000", "city": "Tulle"},
            geo={"lat": 45.2658, "lon": 1.7722},
            equipment=[
                {"name": "imprimante 3D", "category": "fabrication numérique", "quantity": 3},
                {"name": "découpeuse laser", "category": "fabrication numérique", "quantity": 1},
            ],
        ),
    )
    wednesday = _day(today, -14, 2)
    save_event(
        session,
        settings,
        EventIn(
            title="Soirée Arduino",
            start=_at(wednesday, 18),
            end=_at(wednesday, 21),
            recurrence={"rrule": "FREQ=WEEKLY;BYDAY=WE"},
            place=place.id,
            themes=["fabrication numérique"],
            audience=["makers"],
        ),
    )
    save_event(
        session,
        settings,
        EventIn(
            title="Install party logiciel libre",
            start=_at(_day(today, 16, 5), 10),
            end=_at(_day(today, 16, 5), 17),
            place=place.id,
            themes=["logiciel libre"],
            audience=["tout public"],
            is_free=True,
        ),
    )
    for person in (
        _member(
            "Lucie Mercadier", "Ingénieure et maker", ["3D printing", "électronique", "Python"], place.id
        ),
        _member("Bastien Roux", "Menuisier", ["menuiserie", "découpe laser"], place.id),
    ):
        saved = save_person(session, settings.base_url, person)
    create_need(
        session,
        settings,
        NeedIn(
            kind="offer", title="Initiation à la découpe laser", skills=["laser-cutting"], author=saved.id
        ),
    )
    return {"place": place.iri}


def grange_calendar(today: date) -> bytes:
    """The iCalendar file of a place that runs no node: what a shared calendar app exports."""
    first = _day(today, -7, 0)
    stamp = f"{today:%Y%m%d}T000000Z"
    events = [
        (
            "grange-yoga@grange.example",
            "Atelier d'écriture",
            _day(today, 5, 3),
            14,
            16,
            "RRULE:FREQ=WEEKLY;BYDAY=TH\r\n",
        ),
        ("grange-conte@grange.example", "Veillée contes", _day(today, 11, 4), 20, 22, ""),
        (
            "grange-permanence@grange.example",
            "Permanence emploi",
            first,
            9,
            12,
            "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n",
        ),
    ]
    body = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp}\r\nSUMMARY:{title}\r\n"
        f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T{start:02d}0000\r\n"
        f"DTEND;TZID=Europe/Paris:{day:%Y%m%d}T{end:02d}0000\r\n"
        f"{rule}CATEGORIES:Culture\r\nLOCATION:La Grange aux Savoirs\\, Chénérailles\r\nEND:VEVENT\r\n"
        for uid, title, day, start, end, rule in events
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud calendar v4.7//FR\r\n"
        f"X-WR-CALNAME:La Grange\r\n{body}END:VCALENDAR\r\n"
    ).encode()


GRANGE = PlaceIn(
    name="La Grange aux Savoirs",
    description="<p>Lieu culturel de village qui publie son agenda en iCalendar (lieu fictif).</p>",
    kinds=["cultural-space"],
    address={"street": "Le Bourg", "postal_code": "23130", "city": "Chénérailles"},
    geo={"lat": 46.1125, "lon": 2.1767},
)
