"""The query service's settings: one BaseSettings, read from TICKETING_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from ticketing_web.settings import JwtSettings


class QuerySettings(JwtSettings):
    """Mode and token keys come from JwtSettings (shared with every service)."""

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
    log_level: str = "INFO"

    def resolved_read_model_url(self) -> str:
        return self.read_model_url or f"sqlite:///{self.data_dir / 'query.db'}"

    def resolved_event_store_url(self) -> str:
        return self.event_store_url or f"sqlite:///{self.data_dir / 'events.db'}"
