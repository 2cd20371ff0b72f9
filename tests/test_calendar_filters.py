"""The calendar's filters answer what a plain reading of the whole calendar gives, whichever way
the store walks to them: an area's dates from its own index, a common theme or word tested on
each date in date order (on SQLite), a rare one from the list of its events; page after page,
each date once. An area follows its places when they move or go."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from hub.federation.apply import delete_record
from tests import factories

WEEKS = 6
FIRST = f"{factories.YEAR}-03-02"
LAST = f"{factories.YEAR}-05-01"
PLACES = {
    # name: postal code (department), the region following from it
    "Le Fournil": "23000",  # Creuse, Nouvelle-Aquitaine (75)
    "La Grange": "23200",  # Creuse
    "Les Pentes": "69001",  # Rhône, Auvergne-Rhône-Alpes (84)
    "Le Quai": "75011",  # Paris, Île-de-France (11)
}
REGIONS = {"23": "75", "69": "84", "75": "11"}
# Forty weekly series: half of them about gardening and named "Atelier…" (common: on SQLite,
# walked in date order), three about cinema and named "Projection…" (rare: read from the list
# of their events), two under a theme typed as free text.
COMMON, RARE, FREE = "gardening", "cinema", "Tricot urbain"


def _series(i: int, place_id: str) -> dict:
    if i % 2 == 0:
        title, themes = f"Atelier jardinage n°{i}", [COMMON]
    elif i in (1, 3, 5):
        title, themes = f"Projection documentaire n°{i}", [RARE]
    elif i in (7, 9):
        title, themes = f"Rencontre n°{i}", [FREE]
    else:
        title, themes = f"Rencontre n°{i}", ["music"]
    hour = 9 + i % 10
    return factories.event(
        title=title,
        themes=themes,
        place=place_id,
        start=f"{FIRST}T{hour:02d}:00:00+01:00",
        end=f"{FIRST}T{hour:02d}:45:00+01:00",
        recurrence={"rrule": f"FREQ=WEEKLY;COUNT={WEEKS}"},
    )


@pytest.fixture
def calendar(client, writer) -> dict:
    """Four places in three departments, forty weekly series: what each event is, by IRI."""
    places = {}
    for name, postal_code in PLACES.items():
        data = factories.place(name=name, address={"street": "1 place du Marché", "postal_code": postal_code})
        response = client.post("/api/v1/places", json=data, headers=writer)
        assert response.status_code == 201, response.text
        places[name] = response.json()
    events = {}
    names = list(places)
    for i in range(40):
        place = places[names[i % len(names)]]
        response = client.post("/api/v1/events", json=_series(i, place["uid"]), headers=writer)
        assert response.status_code == 201, response.text
        department = PLACES[place["name"]][:2]
        events[response.json()["id"]] = {
            "title": response.json()["title"],
            "themes": _series(i, place["uid"])["themes"],
            "place": place,
            "department": department,
            "region": REGIONS[department],
        }
    return {"places": places, "events": events}


def _dates(client, **params) -> list[tuple[str, str]]:
    """Every date the filters give, page after page of seven, as (occurrence, event)."""
    found, cursor = [], None
    for _ in range(100):
        asked = {"start": FIRST, "end": LAST, "limit": 7, **params} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/occurrences", params=asked)
        assert response.status_code == 200, response.text
        body = response.json()
        found += [(o["id"], o["event"]["id"]) for o in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            return found
    raise AssertionError("more pages than dates")


def _expected(client, calendar: dict, keep) -> list[tuple[str, str]]:
    """The dates of the whole calendar whose event `keep` accepts, in the calendar's order."""
    return [d for d in _dates(client) if keep(calendar["events"][d[1]])]


def test_the_whole_calendar_gives_every_date_of_every_series_once(client, calendar):
    dates = _dates(client)
    assert len(dates) == len(set(dates)) == 40 * WEEKS


@pytest.mark.parametrize(
    "params, keep",
    [
        ({"department": "23"}, lambda e: e["department"] == "23"),
        ({"department": "69"}, lambda e: e["department"] == "69"),
        ({"region": "75"}, lambda e: e["region"] == "75"),
        ({"region": "11"}, lambda e: e["region"] == "11"),
        ({"theme": "food"}, lambda e: COMMON in e["themes"]),  # gardening is a narrower theme of food
        ({"theme": COMMON}, lambda e: COMMON in e["themes"]),
        ({"theme": RARE}, lambda e: RARE in e["themes"]),
        ({"theme": "culture"}, lambda e: {RARE, "music"} & set(e["themes"])),  # both narrower
        ({"theme": FREE}, lambda e: FREE in e["themes"]),
        ({"q": "atelier"}, lambda e: "Atelier" in e["title"]),
        ({"q": "project docu"}, lambda e: "Projection documentaire" in e["title"]),
        ({"q": "atelier", "department": "69"}, lambda e: "Atelier" in e["title"] and e["department"] == "69"),
        ({"theme": COMMON, "region": "75"}, lambda e: COMMON in e["themes"] and e["region"] == "75"),
    ],
)
def test_a_filter_gives_the_dates_a_plain_reading_of_the_calendar_gives(client, calendar, params, keep):
    expected = _expected(client, calendar, keep)
    assert expected, "the filter should keep some dates"
    assert _dates(client, **params) == expected


def test_a_place_moved_to_another_department_takes_its_dates_along(client, writer, calendar):
    grange = calendar["places"]["La Grange"]
    of_grange = [e for e, held in calendar["events"].items() if held["place"]["uid"] == grange["uid"]]
    moved = factories.place(
        name="La Grange", address={"street": "2 quai Saint-Vincent", "postal_code": "69001"}
    )
    response = client.put(f"/api/v1/places/{grange['uid']}", json=moved, headers=writer)
    assert response.status_code == 200, response.text

    assert not {event for _, event in _dates(client, department="23")} & set(of_grange)
    assert set(of_grange) <= {event for _, event in _dates(client, department="69")}
    assert set(of_grange) <= {event for _, event in _dates(client, region="84")}


def test_a_place_gone_takes_its_dates_out_of_its_area_and_keeps_them_in_the_calendar(client, db, calendar):
    quai = calendar["places"]["Le Quai"]
    with Session(db.engine) as session:
        assert delete_record(session, "place", quai["id"])
        session.commit()
    assert _dates(client, region="11") == []
    assert len(_dates(client)) == 40 * WEEKS


def test_dates_on_each_side_of_a_page_boundary_are_neither_lost_nor_repeated(client, calendar):
    """Pages of one date each, across a day where several series meet at the same hour."""
    found, cursor = [], None
    for _ in range(40 * WEEKS + 1):
        params = {"start": FIRST, "end": LAST, "limit": 1, "theme": COMMON}
        response = client.get("/api/v1/occurrences", params=params | ({"cursor": cursor} if cursor else {}))
        body = response.json()
        found += [o["id"] for o in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert len(found) == len(set(found)) == 20 * WEEKS
