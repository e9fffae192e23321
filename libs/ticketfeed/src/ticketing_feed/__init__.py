"""Ticket events from the event store, as batches: the shared feed of the query, notifications
and attachments services.

Exported here: the port and its values only, `EventIn` (pure, `events`), the `EventFeed` port
and `FeedBatch` (`ports`), and the checks every adapter shares to read an envelope
(`envelopes`). The adapters are imported from their own modules by the bootstraps that pick
them, so that importing the port loads no store or broker client: the store-backed
`ticketing_feed.store.StoreFeed`, the unit-test `ticketing_feed.memory.InMemoryFeed`, and the
Kafka adapter `ticketing_feed.kafka.KafkaFeed` (settings: `ticketing_feed.kafka_settings`).
"""

from .envelopes import UnreadableEvent, event_from_envelope
from .events import EventIn
from .ports import EventFeed, FeedBatch

__all__ = [
    "EventFeed",
    "EventIn",
    "FeedBatch",
    "UnreadableEvent",
    "event_from_envelope",
]
