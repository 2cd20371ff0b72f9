"""The network's shared programme and its animators: "Place à l'Emploi", run by the fablab and
joined by the coworking space's digital café; the animators the two places declare, one of whom
shows his places to the network only (a coordinator's token sees him, the public does not)."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
from sqlmodel import Session, select

from hub.events.models import Event
from hub.events.schemas import EventIn
from hub.events.service import event_input, save_event
from hub.people.animators import name_animators
from hub.people.models import Person
from hub.people.roles import declare_role
from hub.people.schemas import RoleIn
from hub.places.service import own_places
from hub.programmes.schemas import ProgrammeIn
from hub.programmes.service import save_programme
from hub.settings import Settings


def _join(session: Session, settings: Settings, title: str, programme: str, animators: list[str]) -> None:
    """The event of that title joins the programme, animated by these members."""
    event = session.exec(select(Event).where(Event.title == title)).one()
    data = EventIn.model_validate(
        {**event_input(orjson.loads(event.doc)), "programme": programme, "animators": animators}
    )
    save_event(session, settings, data, event=event, animators=name_animators(session, data))


def _people(session: Session) -> dict[str, Person]:
    return {p.display_name: p for p in session.exec(select(Person)).all()}


def seed_fabrique_programme(session: Session, settings: Settings, today: date) -> str:
    """The fablab's programme for job seekers and its two animators; returns the programme's IRI."""
    [place] = own_places(session, 1)
    programme = save_programme(
        session,
        settings.base_url,
        ProgrammeIn(
            name="Place à l'Emploi",
            description="<p>Ateliers pour les demandeurs d'emploi, de lieu en lieu (programme fictif).</p>",
            url="https://fabrique-bocage.example/place-a-l-emploi",
            organizers=[place.id],
            themes=["recherche d'emploi"],
        ),
    )
    people = _people(session)
    roles = {
        "Inès Laforge": RoleIn(
            role_name="animatrice",
            badges=["community-facilitation", "employment-support"],
            since=today - timedelta(days=400),
        ),
        "Karim Vasseur": RoleIn(role_name="fabmanager", badges=["fab-manager"]),
    }
    for name, role in roles.items():
        declare_role(session, place.id, people[name].id, role)
    title = "Atelier CV et numérique pour les demandeurs d'emploi"
    _join(session, settings, title, programme.iri, [people["Inès Laforge"].id])
    return programme.iri


def seed_escale_programme(session: Session, settings: Settings, programme: str) -> None:
    """The coworking space's digital café joins the fablab's programme; its digital mediator, who
    shows his places to the network only, animates it."""
    [place] = own_places(session, 1)
    mediator = _people(session)["Yannick Pérot"]
    declare_role(
        session, place.id, mediator.id, RoleIn(role_name="médiateur numérique", badges=["digital-inclusion"])
    )
    _join(session, settings, "Café numérique", programme, [mediator.id])
