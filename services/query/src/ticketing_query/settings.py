"""The query service's settings: one BaseSettings, read from TICKETING_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from ticketing_feed.kafka_settings import KafkaSettings
from ticketing_feed.store_settings import EventStoreSettings
from ticketing_web.internal import AttachmentsClientSettings
from ticketing_web.settings import JwtSettings


class QuerySettings(JwtSettings, KafkaSettings, AttachmentsClientSettings, EventStoreSettings):
    """Mode and token keys come from JwtSettings (shared with every service); the Kafka feed's
    from KafkaSettings; where the attachments service is from AttachmentsClientSettings."""

    kafka_group_id: str = "ticketing-query"
    #: False: serve a read model other processes project (API replicas); X-Min-Position then
    #: follows the read model's checkpoint.
    query_projector: bool = True
    #: How often a replica without a projector reads the read model's checkpoint.
    query_checkpoint_poll_seconds: float = Field(default=0.05, gt=0, le=10)

    data_dir: Path = Path("var")
    #: `sqlite:///path.db` or `memory://`; empty = `<data_dir>/query.db`.
    read_model_url: str = ""
    #: Where the standalone service's projector reads events (the embedded process passes its
    #: own store instead); empty = `<data_dir>/events.db`.
    event_store_url: str = ""
    #: How long a GET with `X-Min-Position` waits for the projector before answering 503.
    min_position_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    projector_batch_size: int = Field(default=1000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: The brands' catalogue, the same file the tickets service reads (labels of what it shows).
    brands_file: Path | None = None
    log_level: str = "INFO"

    def resolved_read_model_url(self) -> str:
        return self.read_model_url or f"sqlite:///{self.data_dir / 'query.db'}"
