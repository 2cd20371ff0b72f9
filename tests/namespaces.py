"""The RDF namespaces the tests read graphs in: schema.org and the project's own."""

from __future__ import annotations

from rdflib import Namespace

SCHEMA = Namespace("http://schema.org/")
TL = Namespace("https://w3id.org/tiers-lieux/ns#")
