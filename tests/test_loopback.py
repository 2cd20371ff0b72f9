"""The tests' own guard (tests/loopback.py): no name but localhost resolves, no connection leaves
127.0.0.0/8, and loopback still works."""

from __future__ import annotations

import errno
import socket

import pytest


def test_no_name_but_localhost_resolves_and_no_connection_leaves_loopback() -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("agenda.tiers-lieux.example", 443)
    with socket.socket() as outside, pytest.raises(OSError) as refused:
        outside.setblocking(False)
        outside.connect(("192.0.2.1", 80))  # TEST-NET-1: nothing answers there anyway
    assert refused.value.errno == errno.ENETUNREACH
    assert socket.getaddrinfo("localhost", 80)
    with socket.socket() as listening, socket.socket() as inside:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        inside.connect(listening.getsockname())
