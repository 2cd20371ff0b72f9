"""Test data: fictional places, events and people, as the API takes them."""

from __future__ import annotations

import itertools
from datetime import date

_counter = itertools.count(1)
# Test events happen in a year that is always ahead, inside the tests' ten-year horizon.
YEAR = date.today().year + 2


def place(**overrides) -> dict:
    n = next(_counter)
    data = {
        "name": f"Atelier partagé n°{n}",
        "kinds": ["fablab"],
        "address": {"street": f"{n} rue de l'Exemple", "postal_code": "23000", "city": "Guéret"},
        "geo": {"lat": 46.17, "lon": 1.87},
        "equipment": [{"name": "découpeuse laser", "category": "fabrication numérique", "quantity": 1}],
    }
    data.update(overrides)
    return data


def event(**overrides) -> dict:
    data = {
        "title": "Atelier découverte",
        "start": f"{YEAR}-06-12T18:00:00+02:00",
        "end": f"{YEAR}-06-12T20:00:00+02:00",
    }
    data.update(overrides)
    return data


def co_lunch(**overrides) -> dict:
    """A weekly series of 2027 across both changes of daylight saving time, one date cancelled
    and one moved to another day with its own title."""
    data = event(
        title="Co-lunch du vendredi",
        start="2027-02-05T12:30:00+01:00",
        end="2027-02-05T13:30:00+01:00",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=FR"},
        overrides=[
            {"recurrence_id": "2027-04-02T12:30:00+02:00", "status": "cancelled"},
            {
                "recurrence_id": "2027-11-12T12:30:00+01:00",
                "start": "2027-11-10T12:00:00+01:00",
                "end": "2027-11-10T14:00:00+01:00",
                "title": "Co-lunch (exceptionnellement le mercredi)",
            },
        ],
    )
    data.update(overrides)
    return data


def person(**overrides) -> dict:
    everything = ["display_name", "bio", "skills", "badges", "places", "links", "contact"]
    data = {
        "display_name": f"Personne fictive {next(_counter)}",
        "bio": "Un profil inventé pour les tests.",
        "skills": ["impression 3D"],
        "badges": ["membre"],
        "contact": {"email": "fictive@example.org"},
        "visibility": {f: "public" for f in everything} | {"contact": "private"},
        "consent": {"fields": everything},
    }
    data.update(overrides)
    return data
