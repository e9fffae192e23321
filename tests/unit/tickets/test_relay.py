"""The relay (application/relay.py) over the in-memory store, a fake publisher and the in-memory
checkpoint: order, checkpoint only after acknowledgement, retries, skipped records, markers."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from ticketing_contracts.kafka_wire import EventRecord, header
from ticketing_eventstore import EventBatch, NewEvent
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_tickets.adapters.relay_checkpoint_file import (
    CheckpointFileError,
    FileRelayCheckpoint,
)
from ticketing_tickets.adapters.relay_checkpoint_memory import InMemoryRelayCheckpoint
from ticketing_tickets.application.relay import Relay, RelayOptions

from tests.relay_samples import BRAND, new_ticket_id, opened, stream_of, ticket_story

FAST = RelayOptions(marker_interval=0.05, retry_initial=0.01, retry_max=0.05, batch_size=7)


class FakePublisher:
    """Records what it is given; can refuse to start, fail publishes, or hold their acks."""

    def __init__(self) -> None:
        self.records: list[EventRecord] = []
        self.markers: list[int] = []
        self.marker_times: list[float] = []
        self.clock: Callable[[], float] = time.monotonic
        self.on_publish: Callable[[], None] = lambda: None
        self.acknowledged: set[int] = set()  # positions the "broker" acknowledged
        self.start_failures = 0
        self.publish_failures = 0
        self.gate: asyncio.Event | None = None  # holds every acknowledgement
        self.held: dict[int, asyncio.Event] = {}  # holds the nth publish's acknowledgement
        self.calls = 0
        self.started = False
        self.starts = 0
        self.closes = 0

    async def start(self) -> None:
        self.starts += 1
        if self.start_failures:
            self.start_failures -= 1
            raise ConnectionError("Kafka is unreachable")
        self.started = True

    async def publish(self, records: Sequence[EventRecord]) -> Awaitable[None]:
        assert self.started
        self.on_publish()
        if self.publish_failures:
            self.publish_failures -= 1
            # Half the batch was written before the failure: the retry sends it again.
            self.records.extend(records[: len(records) // 2])
            return self._acknowledge([], error=TimeoutError("not acknowledged in time"))
        self.records.extend(records)
        self.calls += 1
        return self._acknowledge(
            [record.position for record in records], gate=self.held.get(self.calls)
        )

    async def _acknowledge(
        self,
        positions: list[int],
        error: Exception | None = None,
        gate: asyncio.Event | None = None,
    ) -> None:
        for hold in (self.gate, gate):
            if hold is not None:
                await hold.wait()
        if error is not None:
            raise error
        self.acknowledged.update(positions)

    async def publish_marker(self, position: int) -> None:
        assert self.started
        self.markers.append(position)
        self.marker_times.append(self.clock())

    async def ready(self) -> bool:
        return self.started

    async def close(self) -> None:
        self.started = False
        self.closes += 1


class CheckedCheckpoint(InMemoryRelayCheckpoint):
    """Fails the test if a position is saved before every ticket event up to it is acked."""

    def __init__(
        self, publisher: FakePublisher, ticket_positions: Callable[[], set[int]], position: int
    ) -> None:
        super().__init__(position)
        self._publisher = publisher
        self._ticket_positions = ticket_positions

    async def save(self, position: int) -> None:
        due = {p for p in self._ticket_positions() if p <= position}
        assert due <= self._publisher.acknowledged, f"saved {position} before its events' acks"
        await super().save(position)


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - a condition on plain attributes
            await asyncio.sleep(0.005)


class Harness:
    def __init__(
        self,
        options: RelayOptions = FAST,
        checkpoint_at: int = 0,
        clock: Callable[[], float] = time.monotonic,
        store: InMemoryEventStore | None = None,
    ) -> None:
        self.store = store or InMemoryEventStore()
        self.publisher = FakePublisher()
        self.publisher.acknowledged.update(range(1, checkpoint_at + 1))  # by an earlier run
        self.ticket_positions: set[int] = set()
        self.checkpoint = CheckedCheckpoint(
            self.publisher, lambda: self.ticket_positions, checkpoint_at
        )
        self.relay = Relay(
            store=self.store,
            publisher=self.publisher,
            checkpoint=self.checkpoint,
            options=options,
            clock=clock,
        )
        self.publisher.clock = clock
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.relay.run())

    async def stop(self) -> None:
        self.relay.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 5)

    async def append(self, stream_id: str, events: Sequence[NewEvent]) -> int:
        result = await self.store.append(stream_id, events, expected_version=None)
        self.ticket_positions.update(range(result.position - len(events) + 1, result.position + 1))
        return result.position

    async def write_tickets(self, tickets: int, replies: int) -> list[str]:
        ids = [new_ticket_id() for _ in range(tickets)]
        for round_ in range(replies + 1):  # interleaved, as real traffic is
            for ticket_id in ids:
                event = ticket_story(ticket_id, replies)[round_]
                await self.append(stream_of(ticket_id), [event])
        return ids

    async def caught_up(self) -> None:
        head = await self.store.head_position()
        await wait_until(lambda: self.checkpoint.saves[-1:] == [head])


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    yield h
    if h.task is not None and not h.task.done():
        await h.stop()


async def test_every_ticket_event_is_published_in_order_and_the_checkpoint_reaches_the_head(
    harness: Harness,
) -> None:
    tickets = await harness.write_tickets(tickets=4, replies=5)
    harness.start()
    await harness.caught_up()

    records = harness.publisher.records
    assert [r.position for r in records] == sorted(harness.ticket_positions)
    for ticket_id in tickets:
        mine = [r for r in records if r.key == ticket_id.encode()]
        versions = [json.loads(r.value)["stream_version"] for r in mine]
        assert versions == list(range(1, 7))
        assert all(header(r.headers, "ce_brandid") == BRAND.encode() for r in mine)
    assert harness.relay.metrics.relayed._value.get() == 24


async def test_live_events_follow_the_history(harness: Harness) -> None:
    await harness.write_tickets(tickets=2, replies=1)
    harness.start()
    await harness.caught_up()
    await harness.write_tickets(tickets=3, replies=2)
    await harness.caught_up()
    assert [r.position for r in harness.publisher.records] == sorted(harness.ticket_positions)


async def test_the_checkpoint_waits_for_the_acknowledgement(harness: Harness) -> None:
    await harness.write_tickets(tickets=1, replies=2)
    harness.publisher.gate = asyncio.Event()
    harness.start()
    await asyncio.sleep(0.1)
    assert harness.checkpoint.saves == []
    assert harness.relay.position == 0

    harness.publisher.gate.set()
    await harness.caught_up()
    assert harness.relay.position == 3


async def test_batches_are_sent_before_earlier_ones_are_acknowledged_but_counted_in_order() -> None:
    h = Harness(options=RelayOptions(marker_interval=0.05, batch_size=2, in_flight=4))
    first_ack = h.publisher.held[1] = asyncio.Event()
    await h.write_tickets(tickets=2, replies=2)
    h.start()
    await wait_until(lambda: len(h.publisher.records) == 6)  # all three batches handed over
    await wait_until(lambda: h.publisher.acknowledged == {3, 4, 5, 6})
    await asyncio.sleep(0.1)
    assert h.checkpoint.saves == []
    assert h.relay.position == 0

    first_ack.set()
    await h.caught_up()
    assert h.checkpoint.saves == [6]
    await h.stop()


async def test_a_failed_publish_is_retried_from_the_last_acknowledged_position(
    harness: Harness,
) -> None:
    await harness.write_tickets(tickets=3, replies=4)
    harness.publisher.publish_failures = 3
    harness.start()
    await harness.caught_up()

    published = [r.position for r in harness.publisher.records]
    assert set(published) == harness.ticket_positions  # none missing, some twice
    assert len(published) > len(harness.ticket_positions)
    assert harness.relay.metrics.failures._value.get() == 3
    assert harness.checkpoint.saves == sorted(harness.checkpoint.saves)


class FlakyStore(InMemoryEventStore):
    """Its first subscription breaks after one batch, as a connection to a server may."""

    def __init__(self) -> None:
        super().__init__()
        self.subscriptions = 0

    async def subscribe_batches(  # type: ignore[override]
        self, *, after: int = 0, stream_prefix: str | None = None, limit: int = 1000
    ) -> AsyncIterator[EventBatch]:
        self.subscriptions += 1
        batches = 0
        async for batch in super().subscribe_batches(
            after=after, stream_prefix=stream_prefix, limit=limit
        ):
            if self.subscriptions == 1 and batches == 1:
                raise ConnectionResetError("the event store went away")
            batches += 1
            yield batch


async def test_a_broken_subscription_is_resumed_from_the_acknowledged_position() -> None:
    store = FlakyStore()
    h = Harness(store=store)
    await h.write_tickets(tickets=3, replies=4)
    h.start()
    await h.caught_up()
    assert store.subscriptions == 2
    assert sorted({r.position for r in h.publisher.records}) == sorted(h.ticket_positions)
    assert h.relay.metrics.failures._value.get() == 1
    await h.stop()


async def test_a_broker_down_at_start_is_waited_for(harness: Harness) -> None:
    await harness.write_tickets(tickets=1, replies=1)
    harness.publisher.start_failures = 4
    harness.start()
    await harness.caught_up()
    assert harness.publisher.starts == 5
    assert len(harness.publisher.records) == 2


async def test_a_stop_does_not_wait_for_a_start_that_hangs(harness: Harness) -> None:
    never = asyncio.Event()

    async def hangs() -> None:  # a broker that accepts the connection and never answers
        await never.wait()

    harness.publisher.start = hangs  # type: ignore[method-assign]
    harness.start()
    await asyncio.sleep(0.05)
    harness.relay.stop()
    assert harness.task is not None
    await asyncio.wait_for(harness.task, 1)


async def test_records_that_cannot_be_encoded_are_skipped_and_the_relay_goes_on(
    harness: Harness,
) -> None:
    good = new_ticket_id()
    await harness.append(stream_of(good), [opened(good)])
    # A stream named like a ticket's but not one, and an event whose brand is not its stream's.
    await harness.store.append("ticket-not-a-ticket", [opened(good)], expected_version=None)
    other = new_ticket_id()
    await harness.store.append(
        stream_of(other), [opened(other, brand="another_brand")], expected_version=None
    )
    # An event bigger than the broker takes (as no command can write, but a foreign writer may).
    huge = new_ticket_id()
    await harness.store.append(
        stream_of(huge),
        [replace(opened(huge), data={**opened(huge).data, "body": "ب" * 600_000})],
        expected_version=None,
    )
    # An event type no contract knows.
    unknown = NewEvent("d3b07384-d9a0-4c5e-8f1a-2b3c4d5e6f70", "TicketTeleported", {}, {})
    await harness.store.append(stream_of(new_ticket_id()), [unknown], expected_version=None)
    last = new_ticket_id()
    await harness.append(stream_of(last), [opened(last)])

    harness.start()
    await harness.caught_up()
    assert [r.key for r in harness.publisher.records] == [good.encode(), last.encode()]
    assert harness.relay.metrics.skipped._value.get() == 4


async def test_other_streams_are_not_published_but_the_checkpoint_passes_them(
    harness: Harness,
) -> None:
    ticket = new_ticket_id()
    await harness.append(stream_of(ticket), [opened(ticket)])
    await harness.store.append("tracking-sms_panel-4071932", [opened(ticket)], expected_version=0)
    harness.start()
    await harness.caught_up()
    assert len(harness.publisher.records) == 1
    assert harness.checkpoint.saves[-1] == 2


async def test_an_idle_relay_sends_a_marker_at_the_position_it_reached(harness: Harness) -> None:
    await harness.write_tickets(tickets=2, replies=1)
    harness.start()
    await wait_until(lambda: harness.publisher.markers[-1:] == [4])
    markers_then = len(harness.publisher.markers)
    await asyncio.sleep(0.2)  # four marker intervals with nothing new: no repeated marker
    assert len(harness.publisher.markers) == markers_then

    position = await harness.append(*_one_more_event())
    await wait_until(lambda: harness.publisher.markers[-1:] == [position])


async def test_markers_are_sent_at_most_once_per_interval_under_load() -> None:
    # Each publish takes 50 ms of the relay's clock: 100 batches of one event last 5 s.
    skew = [0.0]
    h = Harness(
        options=RelayOptions(marker_interval=0.2, batch_size=1, in_flight=1),
        clock=lambda: time.monotonic() + skew[0],
    )
    h.publisher.on_publish = lambda: skew.__setitem__(0, skew[0] + 0.05)
    await h.write_tickets(tickets=10, replies=9)
    h.start()
    await wait_until(lambda: h.publisher.markers[-1:] == [100])
    await h.stop()

    times = h.publisher.marker_times
    assert 20 <= len(times) <= 26
    assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(times))
    assert h.publisher.markers == sorted(h.publisher.markers)


async def test_a_restart_resumes_after_the_checkpoint() -> None:
    h = Harness(checkpoint_at=3)
    await h.write_tickets(tickets=1, replies=5)
    h.start()
    await wait_until(lambda: h.publisher.markers[-1:] == [6])
    await h.stop()
    assert [r.position for r in h.publisher.records] == [4, 5, 6]
    assert h.publisher.markers[-1] == 6
    assert min(h.publisher.markers) >= 3


async def test_stop_saves_the_checkpoint_and_closes_the_publisher(harness: Harness) -> None:
    await harness.write_tickets(tickets=2, replies=2)
    harness.start()
    await harness.caught_up()
    await harness.stop()
    assert harness.checkpoint.saves[-1] == 6
    assert harness.publisher.closes >= 1
    assert not harness.publisher.started


async def test_the_relay_ends_when_its_store_closes(harness: Harness) -> None:
    harness.start()
    await asyncio.sleep(0.05)
    await harness.store.close()
    assert harness.task is not None
    await asyncio.wait_for(harness.task, 5)


async def test_ready_needs_the_publisher_started(harness: Harness) -> None:
    assert not await harness.relay.ready()
    harness.start()
    await wait_until(lambda: harness.publisher.started)
    # The relay marks itself started just after the publisher does, and its probe of the store
    # has a short timeout: under load the first ask may come too early, so ask until it holds.
    for _ in range(50):
        if await harness.relay.ready():
            break
        await asyncio.sleep(0.1)
    assert await harness.relay.ready()


def _one_more_event() -> tuple[str, list[NewEvent]]:
    ticket = new_ticket_id()
    return stream_of(ticket), [opened(ticket)]


async def test_the_checkpoint_file_is_replaced_whole(tmp_path: Path) -> None:
    checkpoint = FileRelayCheckpoint(tmp_path / "relay" / "relay.checkpoint")
    assert await checkpoint.load() == 0
    await checkpoint.save(41)
    await checkpoint.save(1042)
    assert await checkpoint.load() == 1042
    assert [p.name for p in (tmp_path / "relay").iterdir()] == ["relay.checkpoint"]


async def test_a_checkpoint_file_that_holds_no_position_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "relay.checkpoint"
    path.write_text("nonsense")
    with pytest.raises(CheckpointFileError):
        await FileRelayCheckpoint(path).load()
