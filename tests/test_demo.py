"""`hub demo` serves the demo node over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import icalendar
import pytest


def _free_port_pair() -> int:
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        try:
            b.bind(("127.0.0.1", port + 1))
        except OSError:
            return _free_port_pair()
        return port


@pytest.fixture
def demo(tmp_path):
    port = _free_port_pair()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--port", str(port), "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port + 1}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/places", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"the demo did not come up: {process.stdout.read()}")
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_demo_node_serves_its_place_events_people_and_feeds(demo):
    with httpx.Client(base_url=demo, timeout=10) as client:
        [place] = client.get("/api/v1/places").json()["items"]
        assert place["name"] == "La Fabrique du Bocage"
        titles = {
            o["title"] for o in client.get("/api/v1/occurrences", params={"limit": 200}).json()["items"]
        }
        assert {"Co-lunch du vendredi", "Soirée pitch", "Petit-déjeuner des nouveaux"} <= titles
        names = {p["display_name"] for p in client.get("/api/v1/people").json()["items"]}
        assert "Paul Rivière" not in names and "Inès Laforge" in names
        calendar = icalendar.Calendar.from_ical(client.get("/feeds/events.ics").content)
        assert len(calendar.walk("VEVENT")) == 6  # five series and one cancelled occurrence
        assert client.get("/feeds/events.rss").status_code == 200
