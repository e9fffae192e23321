"""The attachments service's settings: one BaseSettings, read from TICKETING_* environment
variables (TICKETING_ATTACHMENTS_* for its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from ticketing_feed.kafka_settings import KafkaSettings
from ticketing_feed.store_settings import EventStoreSettings
from ticketing_web.internal import InternalTokenSettings
from ticketing_web.settings import JwtSettings

from .application.inspection import DEFAULT_ALLOWED


class AttachmentsSettings(JwtSettings, KafkaSettings, InternalTokenSettings, EventStoreSettings):
    """Mode and token keys come from JwtSettings (shared with every service); the Kafka feed's
    from KafkaSettings; the internal API's token from InternalTokenSettings."""

    kafka_group_id: str = "ticketing-attachments"

    data_dir: Path = Path("var")
    #: `sqlite:///path.db` or `memory://`; empty = `<data_dir>/attachments.db`.
    attachments_catalog_url: str = ""
    #: Where blobs live: a directory, or `memory://`; empty = `<data_dir>/attachments`.
    attachments_blob_dir: str = ""
    #: `s3://bucket` (one bucket per deployment, on TICKETING_S3_*), `memory://`; empty = the
    #: directory above.
    attachments_blob_url: str = ""
    #: Downloads answer 307 to a short-lived signed URL of the object (after the usual
    #: authorisation) instead of streaming the bytes; needs an `s3://` blob URL.
    attachments_download_redirect: bool = False
    s3_endpoint: str = ""  # http(s)://host:port
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"
    s3_signed_url_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    attachments_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=1024**3)
    attachments_allowed_types: frozenset[str] = DEFAULT_ALLOWED
    #: Uploads no ticket references are deleted after this many hours.
    attachments_keep_unreferenced_hours: float = Field(default=24.0, gt=0)
    attachments_cleanup_interval_seconds: float = Field(default=600.0, gt=0)
    #: Where the standalone service reads events; empty = `<data_dir>/events.db`.
    event_store_url: str = ""
    #: How long a GET with `X-Min-Position` waits for the reference consumer before a 503.
    min_position_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    sqlite_synchronous: Literal["FULL", "EXTRA", "NORMAL"] = "FULL"
    #: Every other request body's cap (uploads have their own, above).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_level: str = "INFO"

    def resolved_catalog_url(self) -> str:
        return self.attachments_catalog_url or f"sqlite:///{self.data_dir / 'attachments.db'}"

    def resolved_blob_dir(self) -> str:
        return self.attachments_blob_dir or str(self.data_dir / "attachments")
