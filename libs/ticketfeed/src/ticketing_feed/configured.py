"""The feed a consumer service run on its own reads, as its settings say.

Kafka (the distributed mode) when TICKETING_KAFKA_BOOTSTRAP is set: a member of the service's
consumer group. Otherwise the event store that TICKETING_EVENT_STORE_URL names
(`open_event_store`), read directly: a standalone service beside the embedded store file, or on
KurrentDB. The embedded process passes its own feed and never comes here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ticketing_eventstore import open_event_store
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
    store = open_event_store(event_store_url)
    return OpenedFeed(StoreFeed(store), store)
