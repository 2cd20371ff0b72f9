"""The demo network: fictional places, events and people, served over real HTTP on 127.0.0.1."""
