"""A private engine (engines.sh on ports of a test's own) whose port another program took
between the pick and the engine's bind is started again: on other ports the first time, on
the same ports (which a topology names by then) once they are free again."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from tests.engines import mongodb_url

from .private_engines import PrivateEngine

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def ferretdb(tmp_path: Path) -> PrivateEngine:
    mongodb_url()  # the shared FerretDB answering means its build is in the cache ours uses
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    return PrivateEngine("ferretdb", tmp_path / "ferretdb", env)


def test_a_first_start_whose_port_was_taken_starts_on_another(ferretdb: PrivateEngine) -> None:
    picked = ferretdb.port
    with socket.create_server(("127.0.0.1", picked)):  # another program got there first
        try:
            ferretdb.up()
            assert ferretdb.port != picked
            assert _answers(ferretdb.port)
        finally:
            ferretdb.down()


def test_a_restart_whose_port_is_held_for_a_while_waits_for_the_same_port(
    ferretdb: PrivateEngine,
) -> None:
    ferretdb.up()
    try:
        port = ferretdb.port
        ferretdb.down()
        taken = socket.create_server(("127.0.0.1", port))
        threading.Timer(3.0, taken.close).start()  # let go while the restart keeps trying
        ferretdb.up()
        assert ferretdb.port == port
        assert _answers(port)
    finally:
        ferretdb.down()
