"""What runs where: the processes of the distributed topology and the environment of each."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Engines:
    """Where the real engines are (`var/engines/env` names them)."""

    kafka_bootstrap: str
    mongodb_url: str  # mongodb://host:port, without a database
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Engines:
        names = ("KAFKA_BOOTSTRAP", "MONGODB_URL", "S3_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY")
        missing = [n for n in names if not env.get(n)]
        if missing:
            raise LookupError(
                f"{', '.join(missing)} not set: start the engines with `make engines-up` and "
                "source var/engines/env"
            )
        return cls(*(env[n] for n in names))


@dataclass(frozen=True, slots=True)
class Process:
    name: str
    module: str
    port: int

    @property
    def url(self) -> str:
        if self.port == 0:  # a topology on any free ports, before the Supervisor bound them
            raise ValueError(f"{self.name} has no port yet: use the Supervisor's topology")
        return f"http://127.0.0.1:{self.port}"


#: Each process's port as an offset from the topology's port base; the start order.
PORT_OFFSETS = {
    "attachments": 3,
    "tickets": 1,
    "relay": 5,
    "query": 2,
    "notifications": 4,
    "panel": 6,
    "gateway": 0,
}
MODULES = {
    "attachments": "ticketing_attachments",
    "tickets": "ticketing_tickets",
    "relay": "ticketing_tickets.relay",
    "query": "ticketing_query",
    "notifications": "ticketing_notifications",
    "panel": "ticketing_panel",
    "gateway": "ticketing.gateway",
}


@dataclass(frozen=True)
class Topology:
    """One deployment's processes, names and places; unique names keep runs apart.

    Ports are `port_base` + each process's offset; `port_base=0` asks for any free ports, which
    the Supervisor binds and records in `ports` of the topology it runs (`Supervisor.topology`).
    """

    run_dir: Path
    engines: Engines
    port_base: int = 8000
    kafka_topic: str = "tickets.events.v1"
    kafka_group_prefix: str = "ticketing"
    mongo_database: str = "ticketing_query"
    s3_bucket: str = "ticketing-attachments"
    internal_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    log_level: str = "INFO"
    #: The bound port of each process, where they are not `port_base` + offset.
    ports: Mapping[str, int] | None = field(default=None, hash=False)

    @property
    def processes(self) -> list[Process]:
        """In start order; the gateway last."""
        return [Process(name, MODULES[name], self.port_of(name)) for name in PORT_OFFSETS]

    def port_of(self, name: str) -> int:
        if self.ports is not None:
            return self.ports[name]
        return 0 if self.port_base == 0 else self.port_base + PORT_OFFSETS[name]

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    @property
    def gateway_url(self) -> str:
        return self.process("gateway").url

    def environment(self, name: str) -> dict[str, str]:
        """The TICKETING_* variables of one process (on top of the inherited environment)."""
        e = self.engines
        port = self.process(name).port
        events = f"sqlite:///{self.run_dir / 'events.db'}"
        kafka = {
            "TICKETING_KAFKA_BOOTSTRAP": e.kafka_bootstrap,
            "TICKETING_KAFKA_TOPIC": self.kafka_topic,
            "TICKETING_KAFKA_DEAD_LETTER_TOPIC": f"{self.kafka_topic}.dlq",
            "TICKETING_KAFKA_GROUP_ID": f"{self.kafka_group_prefix}-{name}",
        }
        attachments_client = {
            "TICKETING_ATTACHMENTS_URL": self.process("attachments").url,
            "TICKETING_INTERNAL_TOKEN": self.internal_token,
        }
        common = {
            "TICKETING_HOST": "127.0.0.1",
            "TICKETING_PORT": str(port),
            "TICKETING_DATA_DIR": str(self.run_dir / name),
            "TICKETING_LOG_LEVEL": self.log_level,
        }
        own: dict[str, str]
        match name:
            case "tickets":
                own = {"TICKETING_EVENT_STORE_URL": events, **attachments_client}
            case "relay":
                own = {
                    "TICKETING_EVENT_STORE_URL": events,
                    **kafka,
                }
            case "query":
                mongo = f"{e.mongodb_url.rstrip('/')}/{self.mongo_database}"
                own = {"TICKETING_READ_MODEL_URL": mongo, **kafka, **attachments_client}
            case "attachments":
                own = {
                    "TICKETING_ATTACHMENTS_BLOB_URL": f"s3://{self.s3_bucket}",
                    "TICKETING_S3_ENDPOINT": e.s3_endpoint,
                    "TICKETING_S3_ACCESS_KEY": e.s3_access_key,
                    "TICKETING_S3_SECRET_KEY": e.s3_secret_key,
                    "TICKETING_INTERNAL_TOKEN": self.internal_token,
                    **kafka,
                }
            case "notifications":
                own = {"TICKETING_PANEL_BASE_URL": self.gateway_url, **kafka}
            case "panel":  # keeps no files: sessions in memory, the API through the gateway
                del common["TICKETING_DATA_DIR"]
                own = {"TICKETING_PANEL_API_URL": self.gateway_url}
            case "gateway":  # keeps no files
                del common["TICKETING_DATA_DIR"]
                own = {
                    f"TICKETING_GATEWAY_{p.name.upper()}_URL": p.url
                    for p in self.processes
                    if p.name in ("tickets", "query", "attachments", "notifications", "panel")
                }
            case _:
                raise ValueError(f"no process named {name!r}")
        return common | own
