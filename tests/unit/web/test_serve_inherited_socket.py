"""A process handed a listening socket (TICKETING_LISTEN_FD) serves on exactly that socket, and
refuses a descriptor that is not a TCP socket instead of serving somewhere unexpected."""

from __future__ import annotations

import os
import socket

import pytest
from ticketing_web.serve import ListenSettings, inherited_sockets


def test_no_descriptor_means_binding_host_and_port() -> None:
    assert inherited_sockets(ListenSettings(port=8001)) is None


def test_an_inherited_tcp_socket_is_served_as_it_is() -> None:
    with socket.create_server(("127.0.0.1", 0)) as bound:
        copy = os.dup(bound.fileno())  # what a child inherits
        sockets = inherited_sockets(ListenSettings(listen_fd=copy))
        assert sockets is not None
        [served] = sockets
        try:
            assert served.getsockname() == bound.getsockname()
        finally:
            served.close()


@pytest.mark.parametrize(
    "kind",
    [(socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_UNIX, socket.SOCK_STREAM)],
    ids=["udp", "unix"],
)
def test_a_descriptor_that_is_not_a_tcp_socket_is_refused_and_left_open(
    kind: tuple[socket.AddressFamily, socket.SocketKind],
) -> None:
    with socket.socket(*kind) as other:
        with pytest.raises(ValueError, match="not a TCP socket"):
            inherited_sockets(ListenSettings(listen_fd=other.fileno()))
        assert other.fileno() != -1
        os.fstat(other.fileno())  # still open: nothing closed what it does not own
