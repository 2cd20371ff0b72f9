"""Source adapters, one module per kind of source, registered by kind in `kinds.py`."""
