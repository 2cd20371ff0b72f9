"""Programmes: series of events run across several places (schema.org EventSeries)."""
