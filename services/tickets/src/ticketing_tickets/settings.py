"""The tickets service's settings: one BaseSettings, read from TICKETING_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from ticketing_feed.store_settings import EventStoreSettings
from ticketing_web.internal import AttachmentsClientSettings
from ticketing_web.settings import DEV_JWT_SECRET, JwtSettings

__all__ = ["DEV_JWT_SECRET", "TicketsSettings"]


class TicketsSettings(JwtSettings, AttachmentsClientSettings, EventStoreSettings):
    """Mode and token keys come from JwtSettings (shared with every service); where the
    attachments service is from AttachmentsClientSettings."""

    data_dir: Path = Path("var")
    #: `sqlite:///abs/or/relative/path.db`, `memory://`; empty = `<data_dir>/events.db`.
    event_store_url: str = ""
    sqlite_synchronous: Literal["FULL", "EXTRA", "NORMAL"] = "FULL"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    brands_file: Path | None = None
    idempotency_ttl_hours: float = Field(default=24.0, ge=24.0)
    log_level: str = "INFO"
