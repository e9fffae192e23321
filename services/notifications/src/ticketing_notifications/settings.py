"""The notifications service's settings: one BaseSettings, read from TICKETING_* variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from ticketing_feed.kafka_settings import KafkaSettings
from ticketing_feed.store_settings import EventStoreSettings
from ticketing_web.settings import JwtSettings

from .adapters.sms_http import DEFAULT_BODY_TEMPLATE


class NotificationsSettings(JwtSettings, KafkaSettings, EventStoreSettings):
    """Mode and token keys come from JwtSettings (shared with every service); the Kafka feed's
    from KafkaSettings."""

    kafka_group_id: str = "ticketing-notifications"

    data_dir: Path = Path("var")
    #: `sqlite:///path.db` or `memory://`; empty = `<data_dir>/notifications.db`.
    notifications_store_url: str = ""
    #: Where the standalone service reads events (the embedded process passes its feed).
    event_store_url: str = ""
    #: How long a GET with `X-Min-Position` waits for the consumer before a 503.
    min_position_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    #: Links in emails and SMS open the ticket in the panel: `<base>/panel/tickets/<ticket_id>`.
    panel_base_url: str = "http://127.0.0.1:8000"
    #: The brands' catalogue (department labels in the texts to agents), as the tickets service.
    brands_file: Path | None = None
    #: SMTP server; empty = `.eml` files in `<data_dir>/outbox/` (the embedded default).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_start_tls: bool | None = None  # None: upgrade when the server offers STARTTLS
    email_from: str = "support@localhost"
    #: SMS gateway URL; empty = lines appended to `<data_dir>/sms.log` (the embedded default).
    sms_gateway_url: str = ""
    #: The POST body; `$phone` and `$text` are substituted as JSON strings.
    sms_body_template: str = DEFAULT_BODY_TEMPLATE
    send_max_attempts: int = Field(default=5, ge=1, le=100)
    send_backoff_seconds: float = Field(default=1.0, gt=0)
    send_backoff_max_seconds: float = Field(default=600.0, gt=0)
    consumer_batch_size: int = Field(default=500, ge=1, le=100_000)
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    sse_poll_seconds: float = Field(default=1.0, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_level: str = "INFO"

    def resolved_store_url(self) -> str:
        return self.notifications_store_url or f"sqlite:///{self.data_dir / 'notifications.db'}"
