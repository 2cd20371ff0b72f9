"""Federated open data hub for networks of tiers-lieux."""

__version__ = "0.1.0"
