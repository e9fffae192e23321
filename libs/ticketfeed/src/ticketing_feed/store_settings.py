"""Where a process finds the event store (TICKETING_EVENT_STORE_URL): one definition for the
tickets service, the relay and the three consumers.

A mixin like KafkaSettings: a service's settings class inherits it and may restate the two
fields with its own comment; `resolved_event_store_url` is written only here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class EventStoreSettings(BaseSettings):
    """The event store's URL, defaulting to the embedded SQLite file in the data directory."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    data_dir: Path = Path("var")
    #: `sqlite:///path.db`, `memory://`, `kurrentdb://…`; empty = `<data_dir>/events.db`.
    event_store_url: str = ""

    def resolved_event_store_url(self) -> str:
        return self.event_store_url or f"sqlite:///{self.data_dir / 'events.db'}"
