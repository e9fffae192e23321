"""The relay's ports: where it publishes ticket events, and where it keeps its place.

The relay (application/relay.py) reads the event store and drives these two; adapters live in
adapters/ (Kafka, a checkpoint file, and in-memory ones for tests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol

from ticketing_contracts.kafka_wire import EventRecord


class EventPublisher(Protocol):
    """The topic of ticket events, as the relay writes to it."""

    async def start(self) -> None:
        """Connect and make sure the topics exist; raises while the broker is unreachable.

        Called again after `close` when the relay recovers from a failure.
        """
        ...

    async def publish(self, records: Sequence[EventRecord]) -> Awaitable[None]:
        """Hand `records` over for sending and return once they all are: records of a later
        call go after them (per key). The awaitable returned completes once the broker
        acknowledged every one of them, and raises if any was not: some may have been written
        all the same, and the caller sends them again (consumers drop the duplicates)."""
        ...

    async def publish_marker(self, position: int) -> None:
        """Send a position marker to every partition; return once all are acknowledged."""
        ...

    async def ready(self) -> bool:
        """Whether the broker answers now (for the readiness probe; never raises)."""
        ...

    async def close(self) -> None:
        """Flush what was sent and disconnect; safe to call when not started or twice."""
        ...


class RelayCheckpoint(Protocol):
    """The global position up to which every ticket event is acknowledged by the broker."""

    async def load(self) -> int:
        """The saved position; 0 when nothing was saved yet."""
        ...

    async def save(self, position: int) -> None:
        """Keep `position`; durable once this returns (a crash right after loses nothing)."""
        ...
