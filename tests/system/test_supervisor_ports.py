"""A process the supervisor starts serves on the socket the supervisor bound, and one killed
and started again serves on the very same socket: its port is never free for another program
to take, not even while the process is down (before, a restart re-bound the port and lost it
to whoever took it in between)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ticketing.distributed import Engines, Supervisor, Topology

pytestmark = pytest.mark.slow

# Nothing answers there: only the tickets service (SQLite) is needed ready here; the processes
# that need an engine may fail, and are stopped with the rest.
NOWHERE = Engines(
    "127.0.0.1:9", "mongodb://127.0.0.1:9", "http://127.0.0.1:9", "key", "secret-key-for-tests"
)


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    env = {"PATH": "/usr/bin:/bin", "TICKETING_LOG_LEVEL": "WARNING"}
    made = Supervisor(Topology(tmp_path, NOWHERE, port_base=0, log_level="WARNING"), base_env=env)
    try:
        made.start()
        yield made
    finally:
        made.stop()


def _occupy(port: int) -> int | None:
    """Try to take `port` as another program would: the errno, or None if it got it."""
    with socket.socket() as other:
        try:
            other.bind(("127.0.0.1", port))
            other.listen()
        except OSError as error:
            return error.errno
    return None


def test_a_killed_process_is_restarted_on_the_same_socket_that_nobody_could_take_meanwhile(
    supervisor: Supervisor,
) -> None:
    tickets = supervisor.topology.process("tickets")
    supervisor.restart("tickets", timeout=60)  # started, then ready: serving on the socket
    first = next(r.popen.pid for r in supervisor.running if r.process.name == "tickets")
    assert httpx.get(f"{tickets.url}/readyz", timeout=10).status_code == 200

    supervisor.kill("tickets")
    assert _occupy(tickets.port) == errno.EADDRINUSE  # still held while nothing serves it

    supervisor.restart("tickets", timeout=60)
    again = next(r.popen.pid for r in supervisor.running if r.process.name == "tickets")
    assert again != first
    assert httpx.get(f"{tickets.url}/readyz", timeout=10).status_code == 200
