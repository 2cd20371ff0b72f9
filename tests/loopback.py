"""Nothing a test or a contract run does goes further than 127.0.0.0/8 (and ::1), whatever a
fuzzer or a source names: within `loopback_only()`, a name other than localhost does not resolve,
and a connection to an address elsewhere is refused before it is tried. It covers the process it
runs in (the apps the tests serve in threads), not the processes they start."""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def _loopback(host: object) -> bool:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only() -> Iterator[None]:
    resolve, connect = socket.getaddrinfo, socket.socket.connect

    def loopback_getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"the tests resolve no name but localhost ({host!r})")
        return resolve(host, *args, **kwargs)

    def loopback_connect(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise OSError(errno.ENETUNREACH, f"the tests connect nowhere but 127.0.0.0/8 ({address[0]})")
        return connect(sock, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", loopback_getaddrinfo)
        patch.setattr(socket.socket, "connect", loopback_connect)
        yield
