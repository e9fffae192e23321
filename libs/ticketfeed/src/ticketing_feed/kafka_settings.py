"""The Kafka settings every distributed process shares (TICKETING_KAFKA_*).

A mixin: a service's settings class inherits it (beside JwtSettings) and overrides
`kafka_group_id` with its own default.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from ticketing_contracts.topics import TICKET_EVENTS_DLQ, TICKET_EVENTS_TOPIC


class KafkaSettings(BaseSettings):
    """Where Kafka is and how the ticket-event topics are named and shaped."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    #: `host:port[,host:port…]`; empty = consumers read the event store directly (embedded).
    kafka_bootstrap: str = ""
    kafka_topic: str = TICKET_EVENTS_TOPIC
    kafka_dead_letter_topic: str = TICKET_EVENTS_DLQ
    kafka_group_id: str = "ticketing"
    kafka_partitions: int = Field(default=6, ge=1)
    kafka_replication_factor: int = Field(default=1, ge=1)
    #: A consumer commits its handled offsets at most this often (0: after every batch). Each
    #: commit is a write to the broker; a crash hands out again what was handled since the
    #: last one, which every consumer takes idempotently.
    kafka_commit_interval_ms: int = Field(default=0, ge=0, le=60_000)
