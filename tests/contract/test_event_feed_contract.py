"""The ticket-event feed port (ticketing_feed.EventFeed): one suite over every adapter.

Each adapter gets a harness that writes ticket events (and, where the source has them, events
of other streams, which the feed must pass over) into its source; the suite reads them back.
The Kafka harness publishes what the relay would: the events (kafka_wire records, keyed by
ticket id) and then a position marker at the store's head to every partition. The relay harness
writes to an event store and lets the tickets service's relay carry the events to Kafka.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticketing_contracts import TicketClosed
from ticketing_contracts.kafka_wire import EventRecord
from ticketing_contracts.stored import envelope_metadata
from ticketing_eventstore import NewEvent
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_eventstore.ports import EventStore
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_feed.memory import InMemoryFeed
from ticketing_feed.ports import EventFeed, FeedBatch
from ticketing_feed.store import StoreFeed
from ticketing_tickets.adapters.relay_checkpoint_memory import InMemoryRelayCheckpoint
from ticketing_tickets.adapters.relay_kafka import KafkaEventPublisher, TopicSpec
from ticketing_tickets.application.relay import Relay, RelayOptions
from ticketing_tickets.application.relay_ports import EventPublisher

from tests.engines import kafka_bootstrap
from tests.integration.kafka_topic import ScratchTopic, envelope
from tests.typed_events import event_in

T0 = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
TICKET = "7" * 32
LIMIT = 20  # seconds: a bound for a broken feed (a consumer group may take a while to join)


def closed_data(n: int) -> dict[str, object]:
    """A TicketClosed's data as written at schema version 1 (before names were recorded)."""
    return {"reason": f"حل شد ({n})"}


def closed_read(n: int) -> dict[str, object]:
    """The same as every feed hands it over: upcast to the current version (v2, name null)."""
    return {**closed_data(n), "closed_by_name": None}


@dataclass
class StoreHarness:
    """Writes real stored events (plus tracking-code reservations) into an event store."""

    store: EventStore
    feed: EventFeed = field(init=False)
    versions: int = 0

    def __post_init__(self) -> None:
        self.feed = StoreFeed(self.store)

    async def write(self, count: int, *, with_other_stream: bool = False) -> list[int]:
        positions = []
        for _ in range(count):
            self.versions += 1
            occurred = T0 + timedelta(seconds=self.versions)
            meta = envelope_metadata(
                schema_version=1, occurred_at=occurred, brand_id="acme", actor_id="agent-1",
                actor_role="agent", correlation_id="req-1", causation_id=None,
            )  # fmt: skip
            event = NewEvent(str(uuid.uuid4()), "TicketClosed", closed_data(self.versions), meta)
            result = await self.store.append(
                f"ticket-acme-{TICKET}", [event], expected_version=self.versions - 1
            )
            positions.append(result.position)
        if with_other_stream:
            reservation = NewEvent(str(uuid.uuid4()), "TrackingCodeReserved", {"code": "1"})
            await self.store.append(
                f"tracking-acme-{uuid.uuid4().hex[:8]}", [reservation], expected_version=0
            )
        return positions

    async def close(self) -> None:
        await self.store.close()


@dataclass
class MemoryHarness:
    """Feeds EventIn values straight into the in-memory feed (other streams: a head jump)."""

    feed: InMemoryFeed = field(default_factory=InMemoryFeed)
    position: int = 0
    versions: int = 0

    async def write(self, count: int, *, with_other_stream: bool = False) -> list[int]:
        events = []
        for _ in range(count):
            self.position += 1
            self.versions += 1
            events.append(
                event_in(
                    position=self.position,
                    brand_id="acme",
                    ticket_id=TICKET,
                    stream_version=self.versions,
                    event_type="TicketClosed",
                    occurred_at=T0 + timedelta(seconds=self.versions),
                    actor_id="agent-1",
                    actor_role="agent",
                    data=closed_read(self.versions),
                )
            )
        if with_other_stream:
            self.position += 1
        self.feed.extend(events, head=self.position)
        return [e.position for e in events]

    async def close(self) -> None:
        return None


@dataclass
class KafkaHarness:
    """Publishes to a scratch event topic of a real broker; the feed is a fresh consumer group."""

    topic: ScratchTopic
    feed: EventFeed = field(init=False)
    position: int = 0
    versions: int = 0

    def __post_init__(self) -> None:
        self.feed = self.topic.feed()

    async def write(self, count: int, *, with_other_stream: bool = False) -> list[int]:
        positions = []
        for _ in range(count):
            self.position += 1
            self.versions += 1
            await self.topic.publish(envelope(self.position, self.versions, ticket_id=TICKET))
            positions.append(self.position)
        if with_other_stream:  # a tracking-code reservation in the store: never on the topic
            self.position += 1
        await self.topic.mark(self.position)
        return positions

    async def close(self) -> None:
        await self.topic.delete()


class MarkedPublisher:
    """The relay's publisher, noting the last position marker the broker acknowledged."""

    def __init__(self, inner: EventPublisher) -> None:
        self._inner = inner
        self.marked = 0

    async def start(self) -> None:
        await self._inner.start()

    async def publish(self, records: Sequence[EventRecord]) -> Awaitable[None]:
        return await self._inner.publish(records)

    async def publish_marker(self, position: int) -> None:
        await self._inner.publish_marker(position)
        self.marked = position

    async def ready(self) -> bool:
        return await self._inner.ready()

    async def close(self) -> None:
        await self._inner.close()


@dataclass
class RelayHarness:
    """Store events (and other streams) relayed to a scratch topic by the real relay."""

    topic: ScratchTopic
    source: StoreHarness = field(default_factory=lambda: StoreHarness(InMemoryEventStore()))
    feed: EventFeed = field(init=False)
    publisher: MarkedPublisher = field(init=False)
    relay: Relay = field(init=False)
    running: asyncio.Task[None] = field(init=False)

    def __post_init__(self) -> None:
        self.feed = self.topic.feed()
        spec = TopicSpec(self.topic.name, self.topic.partitions, 1)
        self.publisher = MarkedPublisher(
            KafkaEventPublisher(bootstrap=self.topic.bootstrap, topic=spec)
        )
        self.relay = Relay(
            store=self.source.store,
            publisher=self.publisher,
            checkpoint=InMemoryRelayCheckpoint(),
            options=RelayOptions(marker_interval=0.05, retry_initial=0.05),
        )
        self.running = asyncio.create_task(self.relay.run())

    async def write(self, count: int, *, with_other_stream: bool = False) -> list[int]:
        positions = await self.source.write(count, with_other_stream=with_other_stream)
        head = await self.source.store.head_position()
        async with asyncio.timeout(LIMIT):  # relayed, and a marker at the head on every partition
            while True:
                if self.publisher.marked >= head:
                    return positions
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        self.relay.stop()
        await self.running
        await self.source.close()
        await self.topic.delete()


Harness = StoreHarness | MemoryHarness | KafkaHarness | RelayHarness
HARNESSES: dict[str, Callable[[Path], Awaitable[Harness]]] = {}


async def _memory(_: Path) -> Harness:
    return MemoryHarness()


async def _store_memory(_: Path) -> Harness:
    return StoreHarness(InMemoryEventStore())


async def _store_sqlite(tmp_path: Path) -> Harness:
    return StoreHarness(await SqliteEventStore(tmp_path / "events.db").open())


async def _kafka(_: Path) -> Harness:
    return KafkaHarness(await ScratchTopic(kafka_bootstrap()).create())


async def _kafka_relay(_: Path) -> Harness:
    return RelayHarness(await ScratchTopic(kafka_bootstrap()).create())


HARNESSES.update(
    memory=_memory,
    store_memory=_store_memory,
    store_sqlite=_store_sqlite,
    kafka=_kafka,
    kafka_relay=_kafka_relay,
)
ON_ENGINES = {"kafka", "kafka_relay"}


@pytest.fixture(
    params=[
        pytest.param(name, marks=pytest.mark.integration) if name in ON_ENGINES else name
        for name in sorted(HARNESSES)
    ]
)
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    made = await HARNESSES[request.param](tmp_path)
    yield made
    await made.close()


async def take(feed: EventFeed, *, after: int, max_events: int, until: int) -> list[FeedBatch]:
    """Batches from `after` until one reaches `until` (bounded in time)."""
    batches: list[FeedBatch] = []
    async with aclosing(feed.batches(after=after, max_events=max_events)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:
                batches.append(batch)
                if batch.reached >= until:
                    break
    return batches


async def test_history_comes_in_order_in_batches_no_larger_than_asked(harness: Harness) -> None:
    positions = await harness.write(7)
    batches = await take(harness.feed, after=0, max_events=3, until=positions[-1])
    assert all(len(b.events) <= 3 for b in batches)
    assert [e.position for b in batches for e in b.events] == positions
    assert [e.stream_version for b in batches for e in b.events] == list(range(1, 8))
    first = batches[0].events[0]
    assert (first.brand_id, first.ticket_id, first.event_type) == ("acme", TICKET, "TicketClosed")
    assert first.event == TicketClosed.model_validate(closed_read(1))
    assert first.occurred_at == T0 + timedelta(seconds=1)


async def test_reading_after_a_position_skips_everything_up_to_it(harness: Harness) -> None:
    positions = await harness.write(5)
    batches = await take(harness.feed, after=positions[1], max_events=100, until=positions[-1])
    assert [e.position for b in batches for e in b.events] == positions[2:]


async def test_other_streams_are_passed_over_but_the_feed_reaches_the_head(
    harness: Harness,
) -> None:
    positions = await harness.write(2, with_other_stream=True)
    head = await harness.feed.head()
    assert head > positions[-1]
    batches = await take(harness.feed, after=0, max_events=100, until=head)
    assert [e.position for b in batches for e in b.events] == positions
    assert batches[-1].reached == head


async def test_live_events_follow_the_history_without_a_new_subscription(
    harness: Harness,
) -> None:
    first = await harness.write(2)
    seen: list[int] = []
    later: list[int] = []
    async with aclosing(harness.feed.batches(after=0, max_events=100)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:  # batches without events may come (reached moving on)
                seen += [e.position for e in batch.events]
                if seen == first and not later:
                    later = await harness.write(2)
                elif len(seen) == 4:
                    break
    assert seen == first + later


async def test_the_head_is_the_newest_position_of_the_source(harness: Harness) -> None:
    assert await harness.feed.head() == 0
    positions = await harness.write(3)
    assert await harness.feed.head() == positions[-1]
