"""The distributed topology's processes and environments: every variable it sets is one the
process's settings read, with the value meant, and names stay unique per deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.settings import NotificationsSettings
from ticketing_panel.settings import PanelSettings
from ticketing_query.settings import QuerySettings
from ticketing_tickets.relay import RelaySettings
from ticketing_tickets.settings import TicketsSettings
from ticketing_web.serve import ListenSettings

from ticketing.distributed import Engines, Topology
from ticketing.gateway import GatewaySettings

SETTINGS: dict[str, type[BaseSettings]] = {
    "tickets": TicketsSettings,
    "relay": RelaySettings,
    "query": QuerySettings,
    "attachments": AttachmentsSettings,
    "notifications": NotificationsSettings,
    "panel": PanelSettings,
    "gateway": GatewaySettings,
}
ENGINES = Engines(
    "127.0.0.1:9092", "mongodb://127.0.0.1:27018", "http://127.0.0.1:9000", "key", "secret-key"
)


@pytest.fixture
def topology(tmp_path: Path) -> Topology:
    return Topology(tmp_path, ENGINES, port_base=18000, internal_token="t" * 40)


def _read(name: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> BaseSettings:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return SETTINGS[name]()


@pytest.mark.parametrize("name", list(SETTINGS))
def test_every_variable_set_for_a_process_is_one_its_settings_read(
    topology: Topology, name: str
) -> None:
    known = {f"TICKETING_{field.upper()}" for field in SETTINGS[name].model_fields}
    known |= {f"TICKETING_{field.upper()}" for field in ListenSettings.model_fields}
    assert set(topology.environment(name)) <= known


def test_the_processes_listen_on_their_own_ports_the_gateway_on_the_base(
    topology: Topology,
) -> None:
    ports = {p.name: p.port for p in topology.processes}
    assert ports == {
        "gateway": 18000,
        "tickets": 18001,
        "query": 18002,
        "attachments": 18003,
        "notifications": 18004,
        "relay": 18005,
        "panel": 18006,
    }
    assert topology.processes[-1].name == "gateway"  # started last, once the others are up
    for process in topology.processes:
        assert topology.environment(process.name)["TICKETING_PORT"] == str(process.port)


def test_the_tickets_service_and_the_relay_share_one_event_store_file(
    topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = _read("tickets", topology.environment("tickets"), monkeypatch)
    relay = _read("relay", topology.environment("relay"), monkeypatch)
    assert isinstance(tickets, TicketsSettings)
    assert isinstance(relay, RelaySettings)
    url = f"sqlite:///{topology.run_dir / 'events.db'}"
    assert tickets.resolved_event_store_url() == relay.resolved_event_store_url() == url
    assert relay.kafka_bootstrap == "127.0.0.1:9092"


def test_the_consumers_read_kafka_in_groups_of_their_own(
    topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = set()
    for name in ("query", "attachments", "notifications"):
        monkeypatch.delenv("TICKETING_KAFKA_GROUP_ID", raising=False)
        settings = _read(name, topology.environment(name), monkeypatch)
        assert isinstance(settings, QuerySettings | AttachmentsSettings | NotificationsSettings)
        assert settings.kafka_bootstrap == "127.0.0.1:9092"
        assert settings.kafka_topic == "tickets.events.v1"
        assert settings.kafka_dead_letter_topic == "tickets.events.v1.dlq"
        groups.add(settings.kafka_group_id)
    assert groups == {"ticketing-query", "ticketing-attachments", "ticketing-notifications"}


def test_the_engines_and_the_attachments_service_are_where_the_topology_says(
    topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = _read("query", topology.environment("query"), monkeypatch)
    assert isinstance(query, QuerySettings)
    assert query.resolved_read_model_url() == "mongodb://127.0.0.1:27018/ticketing_query"
    assert query.attachments_url == "http://127.0.0.1:18003"
    attachments = _read("attachments", topology.environment("attachments"), monkeypatch)
    assert isinstance(attachments, AttachmentsSettings)
    assert attachments.attachments_blob_url == "s3://ticketing-attachments"
    assert attachments.s3_endpoint == "http://127.0.0.1:9000"
    assert attachments.internal_token is not None
    assert query.internal_token == attachments.internal_token  # the same shared secret
    gateway = _read("gateway", topology.environment("gateway"), monkeypatch)
    assert isinstance(gateway, GatewaySettings)
    assert gateway.upstreams()["notifications"] == "http://127.0.0.1:18004"


def test_missing_engines_say_to_start_them() -> None:
    with pytest.raises(LookupError, match="make engines-up"):
        Engines.from_environment({"KAFKA_BOOTSTRAP": "127.0.0.1:9092"})
