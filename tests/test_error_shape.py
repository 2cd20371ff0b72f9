"""Every error is an RFC 9457 problem document with the same shape, naming the field at fault."""

from __future__ import annotations

import re

import pytest

from hub import errors
from hub.federation import errors as harvest_errors

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("https://w3id.org/tiers-lieux/problems/")
    return body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/nowhere", 404),
        ("get", "/api/v1/events/unknown", 404),
        ("patch", "/api/v1/events", 405),
        ("post", "/api/v1/events", 401),
    ],
)
def test_errors_are_problem_documents(client, method, path, status):
    _assert_problem(getattr(client, method)(path), status)


def test_query_error_names_the_parameter(client):
    body = _assert_problem(client.get("/api/v1/occurrences", params={"limit": 0}), 422)
    assert body["errors"] == [
        {"field": "limit", "location": "query", "message": body["errors"][0]["message"]}
    ]


def test_body_error_names_the_nested_field(client, writer):
    data = {"title": "x", "start": "2031-01-01T10:00", "recurrence": {"exdates": ["pas une date"]}}
    body = _assert_problem(client.post("/api/v1/events", json=data, headers=writer), 422)
    assert [e["field"] for e in body["errors"]] == ["recurrence.exdates[0]"]


def test_unknown_body_field_is_refused(client, writer):
    body = _assert_problem(
        client.post(
            "/api/v1/events", json={"title": "x", "start": "2031-01-01", "colour": "red"}, headers=writer
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["colour"]


def test_malformed_json_body_is_a_problem_not_a_crash(client, writer):
    response = client.post(
        "/api/v1/events", content=b"{not json", headers=writer | {"Content-Type": "application/json"}
    )
    _assert_problem(response, 422)


def test_too_large_page_is_refused(client, settings):
    body = _assert_problem(client.get("/api/v1/events", params={"limit": settings.page_size_max + 1}), 422)
    assert body["errors"][0]["field"] == "limit"


def test_nul_characters_are_refused_everywhere(client, writer):
    assert client.get("/api/v1/places/%00").status_code == 422
    assert client.get("/api/v1/occurrences", params={"place": "\x00"}).status_code == 422
    body = _assert_problem(
        client.post("/api/v1/events", json={"title": "\x00", "start": "2031-01-01"}, headers=writer), 422
    )
    assert body["errors"][0]["field"] == "title"


def test_method_not_allowed_names_every_method_the_path_takes(client):
    response = client.request("OPTIONS", "/api/v1/events/anything")
    _assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PUT"
    assert client.patch("/api/v1/places").headers["allow"] == "GET, POST"


def test_a_body_that_is_not_utf8_json_gets_a_documented_400(client, writer, app):
    response = client.post(
        "/api/v1/places", content=b"\xff\xfe{", headers=writer | {"Content-Type": "application/json"}
    )
    _assert_problem(response, 400)
    assert "400" in app.openapi()["paths"]["/api/v1/places"]["post"]["responses"]


@pytest.mark.parametrize(
    ("field", "value"), [("capacity", False), ("capacity", "12"), ("is_free", 1), ("price", "3")]
)
def test_numbers_and_booleans_of_a_body_are_taken_as_they_are_typed(client, writer, field, value):
    event = {"title": "Atelier", "start": "2030-06-12T18:00:00+02:00", field: value}
    body = _assert_problem(client.post("/api/v1/events", json=event, headers=writer), 422)
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/occurrences", {"start": "2027-02-29"}, "start"),
        ("/api/v1/events", {"end": "2100-02-29"}, "end"),
        ("/api/v1/events", {"start": "0000-01-01"}, "start"),
        ("/api/v1/places", {"near": "91,1.8"}, "near"),
        ("/api/v1/events/not.an.id", {}, "event_id"),
    ],
)
def test_the_contract_states_which_dates_points_and_ids_exist(client, path, params, field):
    """Refused by the patterns the OpenAPI document publishes, not by a rule clients cannot see."""
    body = _assert_problem(client.get(path, params=params), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert "should match pattern" in body["errors"][0]["message"]


def test_a_refusal_of_the_domain_reads_in_its_own_words_without_the_validator_s(client, writer):
    event = {
        "title": "Atelier",
        "start": "2030-01-10T10:00:00+01:00",
        "recurrence": {"rrule": "FREQ=MINUTELY"},
    }
    body = _assert_problem(client.post("/api/v1/events", json=event, headers=writer), 422)
    [error] = body["errors"]
    assert error["field"] == "recurrence.rrule" and error["message"].startswith("FREQ=MINUTELY is refused")
    assert "Value error" not in body["detail"]


# A line of a drawn tree: the root at the margin, or a branch under `|` and `+--`.
TREE_LINE = re.compile(r"^(?P<branch>(?:[ |]*\+-- )?)(?P<name>[A-Z]\w+)\s+(?P<value>\S+)")


@pytest.mark.parametrize(("module", "attribute"), [(errors, "status"), (harvest_errors, "kind")])
def test_the_error_trees_drawn_in_the_docstrings_are_the_classes(module, attribute):
    drawn: dict[str, tuple[str | None, str]] = {}
    parents: list[tuple[int, str]] = []
    for line in module.__doc__.splitlines():
        found = TREE_LINE.match(line.strip())
        if found is None or not hasattr(module, found["name"]):
            continue
        column = line.index(found["name"])
        parents = [(c, name) for c, name in parents if c < column]
        drawn[found["name"]] = (parents[-1][1] if parents else None, found["value"])
        parents.append((column, found["name"]))
    [root] = [name for name, (parent, _) in drawn.items() if parent is None]
    defined = {
        name
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, getattr(module, root))
    }
    assert set(drawn) == defined
    for name, (parent, value) in drawn.items():
        cls = getattr(module, name)
        assert parent is None or cls.__bases__ == (getattr(module, parent),), name
        assert str(getattr(cls, attribute)) == value, name


def test_unknown_parameter_is_named_in_the_problem(client):
    body = _assert_problem(client.get("/api/v1/occurrences", params={"tehme": "numerique"}), 422)
    assert body["errors"] == [
        {"field": "tehme", "location": "query", "message": "unknown parameter (did you mean `theme`?)"}
    ]


def test_every_unknown_parameter_is_named(client):
    body = _assert_problem(client.get("/api/v1/places", params={"colour": "red", "size": "1"}), 422)
    assert [e["field"] for e in body["errors"]] == ["colour", "size"]


def test_a_hostile_query_string_is_not_echoed_back_whole(client):
    params = {"x" * 5000: "1", **{f"p{i}": "1" for i in range(100)}}
    body = _assert_problem(client.get("/api/v1/places", params=params), 422)
    assert len(body["errors"]) == 20
    assert body["errors"][0]["field"] == "x" * 100 + "…"
    assert len(body["detail"]) < 2500


def test_language_cache_buster_and_campaign_tags_are_taken_everywhere(client):
    tolerated = {"lang": "en", "_": "1733356800", "utm_source": "newsletter", "fbclid": "x", "gclid": "y"}
    assert client.get("/api/v1/occurrences", params=tolerated).status_code == 200
    assert client.get("/feeds/events.ics", params=tolerated).status_code == 200


def test_every_documented_read_refuses_an_unknown_parameter(client, app):
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations or "{" in path:
            continue
        response = client.get(path, params={"tehme": "x"})
        assert response.status_code == 422, path
        assert response.json()["errors"][0]["field"] == "tehme", path


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events",
        "/api/v1/places",
        "/api/v1/changes",
        "/feeds/events.ics",
        "/feeds/events.rss",
        "/embed/agenda",
    ],
)
def test_one_limit_for_limit_everywhere(client, settings, path):
    assert client.get(path, params={"limit": settings.page_size_max}).status_code == 200
    body = _assert_problem(client.get(path, params={"limit": settings.page_size_max + 1}), 422)
    assert body["errors"] == [
        {"field": "limit", "location": "query", "message": f"at most {settings.page_size_max}"}
    ]
