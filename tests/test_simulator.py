"""The benchmarks' simulated network (bench/simulator.py) stays what a hub harvests: its nodes'
records pass the hub's own checks, over real HTTP. A benchmark over a network the hub refuses
would measure failures.

The simulator places its nodes at the national survey's places (../shared/data, beside the
repository on development machines); the test gives it a few fictional ones in the survey's shape."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlmodel import Session, func, select

from bench.simulator import make_app
from hub.events.models import Event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Quarantine
from hub.federation.registry import SourceIn, add_source
from hub.people.models import Person
from hub.places.models import Place
from hub.store.db import session_scope
from tests.servers import serve

NODES = 3
SURVEY_ROWS = [
    {
        "NOM_TL": name,
        "TYPO": typo,
        "ADRESSE": "1 rue de l'Exemple",
        "CP": postal_code,
        "NOMCOM": city,
        "LAT": lat,
        "LONG": lon,
        "department": postal_code[:2],
    }
    for name, typo, postal_code, city, lat, lon in (
        ("La Ruche fictive", "Coworking", "23000", "Guéret", "46.17", "1.87"),
        ("L'Atelier imaginaire", "Fablab", "35000", "Rennes", "48.11", "-1.68"),
        ("Le Tiers-lieu modèle", "Tiers-lieu", "69001", "Lyon", "45.76", "4.83"),
    )
]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_hub_harvests_every_record_of_the_simulated_nodes(db, monkeypatch):
    monkeypatch.setattr("bench.simulator.survey_places", lambda: SURVEY_ROWS)
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False)
    with serve(lambda base_url: make_app(base_url, NODES, date.today())) as base:
        with session_scope(db.engine) as session:
            for i in range(NODES):
                add_source(session, SourceIn(url=f"{base}/n{i}", kind="node"), default_interval=3600)
        reports = asyncio.run(harvest_many(db.engine, settings, all_sources(db.engine)))
    assert all(report.ok for report in reports), [report.error for report in reports]
    with Session(db.engine) as session:
        counts = {
            table: session.exec(select(func.count()).select_from(table)).one()
            for table in (Place, Event, Person)
        }
        assert session.exec(select(func.count()).select_from(Quarantine)).one() == 0
    assert all(counts.values()), counts
