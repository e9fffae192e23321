"""The supervisor binds every process's port before any process starts and holds it until the
topology stops, so no other program can take a port between the pick and the process's bind
(the race that failed `query exited with 3 … address already in use`)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ticketing.distributed import Engines, StartFailed, Supervisor, Topology
from ticketing.distributed.topology import PORT_OFFSETS

ENGINES = Engines(
    "127.0.0.1:9092", "mongodb://127.0.0.1:27018", "http://127.0.0.1:9000", "key", "secret-key"
)


def _bind_error(port: int) -> int | None:
    """The errno of binding `port` from another socket, None if that works."""
    with socket.socket() as other:
        try:
            other.bind(("127.0.0.1", port))
        except OSError as error:
            return error.errno
    return None


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    made = Supervisor(Topology(tmp_path, ENGINES, port_base=0), base_env={})
    try:
        yield made
    finally:
        made.stop()


def test_a_topology_on_any_free_ports_gets_them_bound_and_held_by_the_supervisor(
    supervisor: Supervisor,
) -> None:
    ports = {p.name: p.port for p in supervisor.topology.processes}
    assert set(ports) == set(PORT_OFFSETS)
    assert 0 not in ports.values()
    assert len(set(ports.values())) == len(ports), ports
    for name, port in ports.items():
        assert _bind_error(port) == errno.EADDRINUSE, f"{name}'s port {port} is not held"


def test_every_process_is_told_the_ports_the_supervisor_bound(supervisor: Supervisor) -> None:
    topology = supervisor.topology
    gateway = topology.environment("gateway")
    assert gateway["TICKETING_GATEWAY_QUERY_URL"] == f"http://127.0.0.1:{topology.port_of('query')}"
    tickets = topology.environment("tickets")
    assert tickets["TICKETING_ATTACHMENTS_URL"] == topology.process("attachments").url
    assert topology.gateway_url == f"http://127.0.0.1:{topology.port_of('gateway')}"


def test_the_ports_are_let_go_when_the_supervisor_stops(supervisor: Supervisor) -> None:
    ports = [p.port for p in supervisor.topology.processes]
    supervisor.stop()
    assert [_bind_error(port) for port in ports] == [None] * len(ports)


def test_an_unbound_topology_on_free_ports_has_no_urls_to_give_out(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use the Supervisor's topology"):
        _ = Topology(tmp_path, ENGINES, port_base=0).gateway_url


def test_a_fixed_port_another_program_holds_fails_the_start_naming_it_and_binds_nothing(
    tmp_path: Path,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        topology = Topology(tmp_path, ENGINES, port_base=port)  # the gateway's port is taken
        others = [p.port for p in topology.processes if p.name != "gateway"]
        if any(_bind_error(p) is not None for p in others):
            pytest.skip("a port next to the taken one is in use too: the failure would name it")
        with pytest.raises(StartFailed, match=rf"port {port} \(gateway\) is already in use"):
            Supervisor(topology, base_env={})
        assert [_bind_error(p) for p in others] == [None] * len(others)  # nothing left bound
