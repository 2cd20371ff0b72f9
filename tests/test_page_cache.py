"""Pages are kept while the data they show has not changed: read twice, a page is the same page
with an ETag a browser can revalidate; any change shows on the next read, in the answer and in
the choices of the filters; each language, and each encoding, reads its own page."""

from __future__ import annotations

from tests import factories

GZIP = {"Accept-Encoding": "gzip"}


def test_a_page_read_twice_is_the_same_page_and_a_browser_holding_it_gets_304(client):
    first = client.get("/?theme=digital", headers=GZIP)
    again = client.get("/?theme=digital", headers=GZIP)
    assert first.status_code == again.status_code == 200
    assert again.text == first.text and again.headers["etag"] == first.headers["etag"]
    held = client.get("/?theme=digital", headers={**GZIP, "If-None-Match": first.headers["etag"]})
    assert held.status_code == 304 and "Accept-Encoding" in held.headers["vary"]
    plain = client.get("/?theme=digital", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == first.text
    for answer in (first, plain):
        assert answer.headers["vary"].count("Accept-Encoding") == 1


def test_a_change_shows_on_the_next_read_of_a_kept_page(client, writer):
    place = client.post(
        "/api/v1/places", json=factories.place(name="La Fabrique du Lac"), headers=writer
    ).json()
    before = client.get("/")
    assert "Atelier soudure du jeudi" not in before.text
    client.post(
        "/api/v1/events",
        json=factories.event(place=place["id"], title="Atelier soudure du jeudi"),
        headers=writer,
    ).raise_for_status()
    after = client.get("/")
    assert "Atelier soudure du jeudi" in after.text and after.headers["etag"] != before.headers["etag"]
    client.post("/api/v1/places", json=factories.place(name="Le Tiers-Lieu des Cimes"), headers=writer)
    assert "Le Tiers-Lieu des Cimes" in client.get("/").text  # among the places to filter by


def test_each_language_reads_its_own_kept_page(client):
    english = client.get("/", headers={"Accept-Language": "en"})
    french = client.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="en"' in english.text and '<html lang="fr"' in french.text
    assert '<html lang="en"' in client.get("/", headers={"Accept-Language": "en"}).text
