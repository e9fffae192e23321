"""The feed a consumer service run on its own reads, as its settings say.

Kafka (the distributed mode) when TICKETING_KAFKA_BOOTSTRAP is set: a member of the service's
consumer group. Otherwise the event store named by TICKETING_EVENT_STORE_URL, read directly (a
standalone service beside the embedded store file). The embedded process passes its own feed
and never comes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ticketing_eventstore import InMemoryEventStore, SqliteEventStore
from ticketing_eventstore.ports import EventStore

from .kafka_settings import KafkaSettings
from .ports import EventFeed
from .store import StoreFeed


@dataclass(frozen=True, slots=True)
class OpenedFeed:
    feed: EventFeed
    #: The event store opened for the feed, if any: the service closes it when it closes.
    store: EventStore | None


def open_feed(settings: KafkaSettings, *, event_store_url: str) -> OpenedFeed:
    """Kafka if the settings name a broker, else the event store at `event_store_url`."""
    if settings.kafka_bootstrap:
        from .kafka import KafkaFeed  # only the distributed mode loads the Kafka client

        return OpenedFeed(KafkaFeed.from_settings(settings), None)
    store = open_store(event_store_url)
    return OpenedFeed(StoreFeed(store), store)


def open_store(url: str) -> EventStore:
    """`sqlite:///path` or `memory://` (tests)."""
    if url.startswith("sqlite:///"):
        return SqliteEventStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith("memory://"):
        return InMemoryEventStore()
    raise ValueError(f"unsupported event store URL {url!r}")
