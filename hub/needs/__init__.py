"""Needs and offers: who can help whom, matched across the network and relayed, never exposed."""
