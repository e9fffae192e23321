"""Ticket events from the event store, as batches: the shared feed of the query, notifications
and attachments services.

`EventIn` (pure, `events`), the `EventFeed` port and `FeedBatch` (`ports`), the store-backed
`StoreFeed` (`store`) and the unit-test `InMemoryFeed` (`memory`). The Kafka feed adapter will
live here too, next to `StoreFeed`.
"""

from .events import EventIn
from .memory import InMemoryFeed
from .ports import EventFeed, FeedBatch
from .store import StoreFeed, to_event_in

__all__ = ["EventFeed", "EventIn", "FeedBatch", "InMemoryFeed", "StoreFeed", "to_event_in"]
