"""Events and occurrences: time zones, recurrence, overrides, filters, validation."""

from __future__ import annotations

from tests import factories
from tests.factories import YEAR


def _post(client, writer, **fields):
    response = client.post("/api/v1/events", json=factories.event(**fields), headers=writer)
    assert response.status_code == 201, response.text
    return response.json()


def _occurrences(client, **params):
    response = client.get("/api/v1/occurrences", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_naive_times_are_read_in_the_instance_zone_and_shown_with_offsets(client, writer):
    event = _post(client, writer, start=f"{YEAR}-01-15T18:00", end=f"{YEAR}-01-15T20:00")
    assert event["start"] == f"{YEAR}-01-15T18:00:00+01:00"
    assert event["end"] == f"{YEAR}-01-15T20:00:00+01:00"
    assert event["timezone"] == "Europe/Paris"


def test_times_given_in_utc_are_shown_in_the_event_zone(client, writer):
    event = _post(client, writer, start=f"{YEAR}-07-01T10:00:00Z", end=f"{YEAR}-07-01T11:00:00Z")
    assert event["start"] == f"{YEAR}-07-01T12:00:00+02:00"


def test_weekly_event_keeps_local_time_across_dst_in_occurrences(client, writer):
    _post(
        client,
        writer,
        start=f"{YEAR}-03-08T13:00",
        end=f"{YEAR}-03-08T14:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=8"},
    )
    starts = [o["start"] for o in _occurrences(client, start=f"{YEAR}-03-01", end=f"{YEAR}-05-31")]
    assert len(starts) == 8
    assert {s[11:19] for s in starts} == {"13:00:00"}
    offsets = [s[-6:] for s in starts]
    switch = offsets.index("+02:00")
    assert offsets == ["+01:00"] * switch + ["+02:00"] * (8 - switch) and 0 < switch < 8


def test_cancelled_occurrence_is_listed_as_cancelled(client, writer):
    _post(
        client,
        writer,
        start=f"{YEAR}-05-03T13:00",
        end=f"{YEAR}-05-03T14:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
        overrides=[{"recurrence_id": f"{YEAR}-05-10T13:00", "status": "cancelled"}],
    )
    statuses = [
        (o["start"][:10], o["status"])
        for o in _occurrences(client, start=f"{YEAR}-05-01", end=f"{YEAR}-05-31")
    ]
    assert statuses == [
        (f"{YEAR}-05-03", "scheduled"),
        (f"{YEAR}-05-10", "cancelled"),
        (f"{YEAR}-05-17", "scheduled"),
    ]
    cancelled = _occurrences(client, start=f"{YEAR}-05-01", end=f"{YEAR}-05-31", status="cancelled")
    assert [o["start"][:10] for o in cancelled] == [f"{YEAR}-05-10"]


def test_exdate_given_as_a_day_removes_that_days_occurrence(client, writer):
    _post(
        client,
        writer,
        start=f"{YEAR}-05-06T08:30",
        end=f"{YEAR}-05-06T10:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3", "exdates": [f"{YEAR}-05-13"]},
    )
    assert [o["start"][:10] for o in _occurrences(client, start=f"{YEAR}-05-01", end=f"{YEAR}-05-31")] == [
        f"{YEAR}-05-06",
        f"{YEAR}-05-20",
    ]


def test_all_day_event_spans_its_days(client, writer):
    event = _post(client, writer, start=f"{YEAR}-09-20", end=f"{YEAR}-09-21")
    assert (event["start"], event["end"], event["all_day"]) == (f"{YEAR}-09-20", f"{YEAR}-09-21", True)
    occurrence = _occurrences(client, start=f"{YEAR}-09-21", end=f"{YEAR}-09-21")
    assert occurrence == []  # it starts on the 20th
    [occurrence] = _occurrences(client, start=f"{YEAR}-09-20", end=f"{YEAR}-09-20")
    assert (occurrence["start"], occurrence["end"]) == (f"{YEAR}-09-20", f"{YEAR}-09-21")


def test_end_before_start_is_refused_naming_end(client, writer):
    response = client.post(
        "/api/v1/events",
        json=factories.event(start=f"{YEAR}-01-02T10:00", end=f"{YEAR}-01-01T10:00"),
        headers=writer,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "end"


def test_unreadable_rule_is_refused_naming_the_rule(client, writer):
    response = client.post(
        "/api/v1/events", json=factories.event(recurrence={"rrule": "FREQ=OFTEN"}), headers=writer
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "recurrence.rrule"


def test_runaway_rule_is_refused_not_expanded(client, writer):
    response = client.post(
        "/api/v1/events", json=factories.event(recurrence={"rrule": "FREQ=SECONDLY"}), headers=writer
    )
    assert response.status_code == 422


def test_unknown_zone_is_refused_naming_timezone(client, writer):
    response = client.post("/api/v1/events", json=factories.event(timezone="Mars/Olympus"), headers=writer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "timezone"


def test_description_is_sanitized_on_the_way_in(client, writer):
    event = _post(
        client, writer, description='<p>Venez <img src=x onerror="alert(1)"><script>steal()</script>!</p>'
    )
    assert event["description"] == "<p>Venez !</p>"


def test_text_search_ignores_accents_and_case(client, writer):
    _post(client, writer, title="Café numérique")
    _post(client, writer, title="Atelier soudure")
    assert [o["title"] for o in _occurrences(client, q="CAFE", start=f"{YEAR}-01-01")] == ["Café numérique"]
    assert [o["title"] for o in _occurrences(client, q="numerique cafe", start=f"{YEAR}-01-01")] == [
        "Café numérique"
    ]


def test_theme_filter_finds_narrower_themes(client, writer):
    _post(client, writer, title="Install party", themes=["logiciel libre"])
    _post(client, writer, title="Réparer son vélo", themes=["réparation"])
    titles = [o["title"] for o in _occurrences(client, theme="digital", start=f"{YEAR}-01-01")]
    assert titles == ["Install party"]


def test_unknown_theme_is_kept_as_free_text(client, writer):
    event = _post(client, writer, themes=["Tricot urbain"])
    assert event["themes"] == [{"label": {"und": "Tricot urbain"}}]
    assert [o["title"] for o in _occurrences(client, theme="Tricot urbain", start=f"{YEAR}-01-01")] == [
        event["title"]
    ]


def test_theme_neither_in_the_thesaurus_nor_on_any_event_is_named_in_the_problem(client, writer):
    _post(client, writer, themes=["Tricot urbain"])
    response = client.get("/api/v1/occurrences", params={"theme": "numerque"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "theme" and "/api/v1/themes" in error["message"]
    assert "`digital`" in error["message"]  # the concept labelled "numérique"
    audience = client.get(
        "/api/v1/events", params={"audience": "https://w3id.org/tiers-lieux/themes/digital"}
    )
    assert audience.status_code == 422 and audience.json()["errors"][0]["field"] == "audience"


def test_event_outside_any_place_keeps_its_location(client, writer):
    place = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    event = _post(
        client,
        writer,
        place=place["uid"],
        location={"name": "Place du marché", "geo": {"lat": 46.1, "lon": 1.8}},
    )
    assert event["location"]["name"] == "Place du marché"
    assert event["place"]["id"] == place["id"]


def test_co_organizers_are_listed(client, writer):
    a = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    b = client.post("/api/v1/places", json=factories.place(), headers=writer).json()
    event = _post(
        client, writer, place=a["uid"], organizers=[b["uid"], "https://autre-noeud.example/places/42"]
    )
    assert event["organizers"] == [a["id"], b["id"], "https://autre-noeud.example/places/42"]


def test_unknown_local_place_is_refused(client, writer):
    response = client.post("/api/v1/events", json=factories.event(place="nope"), headers=writer)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "place"


def test_edit_bumps_sequence_and_keeps_identity(client, writer):
    event = _post(client, writer)
    edited = client.put(
        f"/api/v1/events/{event['uid']}", json=factories.event(title="Nouveau titre"), headers=writer
    )
    assert edited.status_code == 200
    assert edited.json()["id"] == event["id"]
    assert edited.json()["sequence"] == event["sequence"] + 1


def test_deleted_event_leaves_no_occurrence(client, writer):
    event = _post(client, writer, recurrence={"rrule": "FREQ=DAILY;COUNT=5"})
    assert client.delete(f"/api/v1/events/{event['uid']}", headers=writer).status_code == 204
    assert _occurrences(client, start=f"{YEAR}-01-01") == []


def test_occurrence_pages_are_contiguous(client, writer):
    _post(
        client,
        writer,
        start=f"{YEAR}-02-01T09:00",
        end=f"{YEAR}-02-01T10:00",
        recurrence={"rrule": "FREQ=DAILY;COUNT=9"},
    )
    seen, cursor = [], None
    while True:
        params = {"start": f"{YEAR}-01-01", "limit": 4} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/occurrences", params=params).json()
        seen += [o["start"][:10] for o in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [f"{YEAR}-02-{d:02d}" for d in range(1, 10)]


def test_one_off_events_starting_together_are_paged_one_by_one(client, writer):
    for title in ("Atelier", "Conférence", "Repair café"):
        _post(client, writer, title=title, start=f"{YEAR}-03-02T18:00", end=f"{YEAR}-03-02T20:00")
    titles, cursor = [], None
    for _ in range(4):
        params = {"start": f"{YEAR}-01-01", "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/occurrences", params=params)
        assert page.status_code == 200, page.text
        titles += [o["title"] for o in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            break
    assert sorted(titles) == ["Atelier", "Conférence", "Repair café"]


def test_a_series_rewritten_while_a_client_pages_through_it_is_read_once(client, writer):
    series = dict(
        start=f"{YEAR}-02-01T09:00", end=f"{YEAR}-02-01T10:00", recurrence={"rrule": "FREQ=DAILY;COUNT=9"}
    )
    event = _post(client, writer, **series)
    params = {"start": f"{YEAR}-01-01", "limit": 4}
    first = client.get("/api/v1/occurrences", params=params).json()
    # An edit (or the horizon's roll) writes the series' occurrences anew.
    edited = client.put(
        f"/api/v1/events/{event['uid']}", json=factories.event(title="Permanence", **series), headers=writer
    )
    assert edited.status_code == 200, edited.text
    rest = client.get("/api/v1/occurrences", params=params | {"cursor": first["next_cursor"]}).json()
    starts = [o["start"][:10] for o in first["items"] + rest["items"]]
    assert starts == [f"{YEAR}-02-{d:02d}" for d in range(1, 9)]
    assert [o["title"] for o in rest["items"]] == ["Permanence"] * 4


def test_bad_dates_in_query_are_clear_errors(client):
    for params, field in (({"start": "demain"}, "start"), ({"end": f"{YEAR}-02-30"}, "end")):
        response = client.get("/api/v1/occurrences", params=params)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field


def test_reads_carry_etag_and_answer_304(client, writer):
    _post(client, writer)
    first = client.get("/api/v1/events")
    again = client.get("/api/v1/events", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_text_search_matches_word_prefixes_and_french_plurals_where_the_database_stems(client, writer, db):
    _post(client, writer, title="Ateliers du soir")
    _post(client, writer, title="Atelier bois")
    assert len(_occurrences(client, q="atelier", start=f"{YEAR}-01-01")) == 2
    plural = [o["title"] for o in _occurrences(client, q="ateliers", start=f"{YEAR}-01-01")]
    if db.kind == "postgresql":  # French stemming: "ateliers" and "atelier" are one word
        assert sorted(plural) == ["Atelier bois", "Ateliers du soir"]
    else:  # SQLite's FTS5 has no French stemmer: prefixes only
        assert plural == ["Ateliers du soir"]
