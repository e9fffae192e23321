"""Ticket events from the event store, as batches: the shared feed of the query, notifications
and attachments services.

`EventIn` (pure, `events`), the `EventFeed` port and `FeedBatch` (`ports`), the store-backed
`StoreFeed` (`store`), the unit-test `InMemoryFeed` (`memory`), and the checks both real adapters
share to read an envelope (`envelopes`). The Kafka adapter is imported from its own module,
`ticketing_feed.kafka.KafkaFeed` (settings: `ticketing_feed.kafka_settings.KafkaSettings`), so
that the embedded mode never loads the Kafka client.
"""

from .envelopes import UnreadableEvent, event_from_envelope
from .events import EventIn
from .memory import InMemoryFeed
from .ports import EventFeed, FeedBatch
from .store import StoreFeed, to_event_in

__all__ = [
    "EventFeed",
    "EventIn",
    "FeedBatch",
    "InMemoryFeed",
    "StoreFeed",
    "UnreadableEvent",
    "event_from_envelope",
    "to_event_in",
]
