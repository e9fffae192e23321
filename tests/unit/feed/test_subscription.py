"""Subscription: the runtime every feed consumer runs on — resume after the checkpoint, restart
with backoff, wake readers of a position, readiness, stop, metrics, and the replica mode.

The handler here is a ledger kept in memory, as a store would keep it: its checkpoint moves
with each batch it applies, and it can be told to fail, to hang, or to stop answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from structlog.testing import capture_logs
from ticketing_feed import EventIn, FeedBatch
from ticketing_feed.memory import InMemoryFeed
from ticketing_feed.restarts import Backoff
from ticketing_feed.subscription import Subscription

from ..notifications.events import T0, Story


class Ledger:
    """A handler over an in-memory store: what it applied, and its checkpoint."""

    def __init__(self, *, checkpoint: int = 0, failures: int = 0) -> None:
        self.position = checkpoint
        self.applied: list[int] = []
        self.batches: list[FeedBatch] = []
        self.failures_left = failures
        self.down = False  # the store does not answer at all
        self.hold: asyncio.Event | None = None  # apply waits for it (a slow disk)

    async def checkpoint(self) -> int:
        if self.down:
            raise ConnectionError("پایگاه داده‌ی اعلان‌ها پاسخ نمی‌دهد")
        return self.position

    async def apply(self, batch: FeedBatch) -> None:
        if self.hold is not None:
            await self.hold.wait()
        if self.failures_left:
            self.failures_left -= 1
            raise OSError("دیسک پر است")
        self.batches.append(batch)
        self.applied += [e.position for e in batch.events]
        self.position = batch.reached


class Waits:
    """The subscription's sleep between restarts: notes each wait, hardly waits."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0.001)


def conversation(replies: int = 3) -> list[EventIn]:
    """One ticket's history: its opening, then replies both ways (positions 1, 2, ...)."""
    story = Story()
    return [story.opened()] + [
        story.message(by="agent" if n % 2 == 0 else "customer") for n in range(replies)
    ]


def subscribe(feed: object, ledger: Ledger, **options: object) -> Subscription:
    return Subscription(name="projector", feed=feed, handler=ledger, **options)  # type: ignore[arg-type]


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - polling a plain attribute of the fake
            await asyncio.sleep(0.001)


@pytest.fixture
async def running() -> AsyncIterator[list[Subscription]]:
    """Subscriptions a test starts; all stopped at the end, whatever the test did."""
    started: list[Subscription] = []
    yield started
    for subscription in started:
        await subscription.stop()


# -- resuming and applying ------------------------------------------------------------------


async def test_given_a_checkpoint_when_started_then_only_later_events_are_applied_each_once(
    running: list[Subscription],
) -> None:
    events = conversation(replies=4)  # positions 1..5
    feed = InMemoryFeed(events[:3])
    ledger = Ledger(checkpoint=2)  # 1 and 2 were applied by an earlier run
    first = subscribe(feed, ledger)
    running.append(first)
    first.start()
    assert await first.wait_for(3, timeout=2)
    await first.stop()

    feed.extend(events[3:])
    again = subscribe(feed, ledger)  # the process restarted
    running.append(again)
    again.start()
    assert await again.wait_for(5, timeout=2)
    assert ledger.applied == [3, 4, 5]
    assert again.applied == ledger.position == 5


async def test_given_a_batch_that_fails_twice_when_running_then_it_is_retried_with_growing_waits(
    running: list[Subscription],
) -> None:
    ledger = Ledger(failures=2)
    waits = Waits()
    subscription = subscribe(
        InMemoryFeed(conversation()), ledger, backoff=Backoff(first=0.5, cap=30), sleep=waits
    )
    running.append(subscription)
    with capture_logs() as logs:
        subscription.start()
        assert await subscription.wait_for(4, timeout=2)
    assert waits.seconds == [0.5, 1.0]
    assert ledger.applied == [1, 2, 3, 4]  # the failed batch came again, and once applied
    failures = [entry for entry in logs if entry["event"] == "projector_failed"]
    assert [f["restart_in_seconds"] for f in failures] == [0.5, 1.0]
    assert [f["failures_in_a_row"] for f in failures] == [1, 2]
    assert all(f["log_level"] == "error" and f["exc_info"] for f in failures)


async def test_given_a_success_after_failures_then_the_next_failure_waits_the_first_delay_again(
    running: list[Subscription],
) -> None:
    events = conversation()
    feed = InMemoryFeed(events[:2])
    ledger = Ledger(failures=3)
    waits = Waits()
    subscription = subscribe(feed, ledger, backoff=Backoff(first=1, cap=3), sleep=waits)
    running.append(subscription)
    with capture_logs():
        subscription.start()
        assert await subscription.wait_for(2, timeout=2)
        ledger.failures_left = 1
        feed.extend(events[2:])
        assert await subscription.wait_for(4, timeout=2)
    assert waits.seconds == [1, 2, 3, 1]  # capped at 3, then back to the first after a success


async def test_given_a_feed_behind_the_checkpoint_then_batches_carry_at_least_the_checkpoint(
    running: list[Subscription],
) -> None:
    events = conversation(replies=2)  # positions 1..3

    class Lagging:
        """Kafka while this member does not own every partition: `reached` stays behind."""

        async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
            yield FeedBatch([], 1)  # nothing new, and behind: not handed over
            yield FeedBatch(events[2:], 2)  # a redelivered event: handed over, reached held
            yield FeedBatch([], 7)  # skipped streams: progress without events
            await asyncio.Event().wait()

        async def head(self) -> int:
            return 7

    ledger = Ledger(checkpoint=3)
    subscription = subscribe(Lagging(), ledger)
    running.append(subscription)
    subscription.start()
    assert await subscription.wait_for(7, timeout=2)
    assert [(len(b.events), b.reached) for b in ledger.batches] == [(1, 3), (0, 7)]


# -- readers of a position -----------------------------------------------------------------


async def test_given_readers_waiting_when_batches_land_then_each_wakes_at_its_position_only(
    running: list[Subscription],
) -> None:
    events = conversation()
    feed = InMemoryFeed(events[:1])
    subscription = subscribe(feed, Ledger())
    running.append(subscription)
    subscription.start()
    assert await subscription.wait_for(1, timeout=2)
    later = asyncio.create_task(subscription.wait_for(3, timeout=5))
    await asyncio.sleep(0.01)
    assert not later.done()
    feed.extend(events[1:3])
    assert await asyncio.wait_for(later, 1) is True
    assert not await subscription.wait_for(99, timeout=0.05)  # never applied: times out


async def test_given_a_reader_waiting_when_a_restart_finds_a_checkpoint_past_it_then_it_wakes(
    running: list[Subscription],
) -> None:
    subscription = subscribe(InMemoryFeed(), Ledger(checkpoint=40))
    running.append(subscription)
    waiting = asyncio.create_task(subscription.wait_for(40, timeout=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    subscription.start()
    assert await asyncio.wait_for(waiting, 1) is True


# -- readiness ------------------------------------------------------------------------------


async def test_given_a_handler_that_keeps_failing_then_it_is_not_ready_until_a_batch_applies(
    running: list[Subscription],
) -> None:
    ledger = Ledger(failures=10**6)
    subscription = subscribe(InMemoryFeed(conversation()), ledger, sleep=Waits())
    assert not await subscription.ready()  # not started
    running.append(subscription)
    with capture_logs():
        subscription.start()
        await eventually(lambda: subscription.failing)
        assert subscription.running
        assert not await subscription.ready()
        ledger.failures_left = 0
        assert await subscription.wait_for(4, timeout=2)
    assert await subscription.ready()


async def test_given_a_failure_of_the_feed_when_the_restart_finds_nothing_left_then_it_is_ready(
    running: list[Subscription],
) -> None:
    events = conversation()

    class Dropping:
        """A feed whose first reading fails (the store's file went away a moment)."""

        def __init__(self) -> None:
            self.inner = InMemoryFeed(events)
            self.readings = 0

        async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
            self.readings += 1
            if self.readings == 1:
                raise ConnectionError("اتصال به مخزن رویدادها قطع شد")
            async for batch in self.inner.batches(after=after, max_events=max_events):
                yield batch

        async def head(self) -> int:
            return await self.inner.head()

    feed = Dropping()
    subscription = subscribe(feed, Ledger(checkpoint=4), sleep=Waits())
    running.append(subscription)
    with capture_logs():
        subscription.start()
        await eventually(lambda: feed.readings == 2)
    assert not subscription.failing  # back, and nothing to redo: no batch needed to say so
    assert await subscription.ready()


async def test_given_a_store_that_does_not_answer_then_a_running_subscription_is_not_ready(
    running: list[Subscription],
) -> None:
    ledger = Ledger()
    subscription = subscribe(InMemoryFeed(conversation()), ledger)
    running.append(subscription)
    subscription.start()
    assert await subscription.wait_for(4, timeout=2)
    assert await subscription.ready()
    ledger.down = True
    assert not await subscription.ready()


# -- stopping -------------------------------------------------------------------------------


async def test_when_stopped_mid_batch_then_it_ends_closes_its_feed_and_applies_nothing() -> None:
    events = conversation()

    class Closing:
        def __init__(self) -> None:
            self.inner = InMemoryFeed(events[:2])
            self.closed = 0

        async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
            try:
                async for batch in self.inner.batches(after=after, max_events=max_events):
                    yield batch
            finally:
                self.closed += 1

        async def head(self) -> int:
            return await self.inner.head()

    feed = Closing()
    ledger = Ledger()
    ledger.hold = asyncio.Event()  # the batch is being written when the stop comes
    subscription = subscribe(feed, ledger)
    subscription.start()
    await asyncio.sleep(0.01)
    async with asyncio.timeout(1):
        await subscription.stop()
    assert not subscription.running
    assert feed.closed == 1
    ledger.hold.set()
    feed.inner.extend(events[2:])
    await asyncio.sleep(0.01)
    assert (ledger.applied, subscription.applied) == ([], 0)


async def test_when_stopped_while_waiting_to_restart_then_it_ends_at_once() -> None:
    ledger = Ledger(failures=1)
    subscription = subscribe(InMemoryFeed(conversation()), ledger, backoff=Backoff(first=30))
    with capture_logs():
        subscription.start()
        await eventually(lambda: subscription.failing)
    async with asyncio.timeout(1):
        await subscription.stop()
    assert not subscription.running
    subscription.start()  # and it starts again after a stop
    assert await subscription.wait_for(4, timeout=2)
    await subscription.stop()


# -- metrics --------------------------------------------------------------------------------


async def test_the_metrics_count_events_and_batches_and_measure_lag_from_the_last_event_applied(
    running: list[Subscription],
) -> None:
    events = conversation(replies=4)  # positions 1..5, a minute apart
    feed = InMemoryFeed(events[:3])
    now = T0 + timedelta(minutes=10)
    subscription = subscribe(feed, Ledger(), batch_size=2, clock=lambda: now)
    running.append(subscription)
    subscription.start()
    assert await subscription.wait_for(3, timeout=2)
    await subscription.stop()
    feed.extend(events[3:])
    await subscription.refresh_head()
    metrics = subscription.metrics
    assert (metrics.events, metrics.batches, metrics.head) == (3, 2, 5)
    assert metrics.last_event_at == events[2].occurred_at
    assert metrics.last_batch_at == now
    assert metrics.last_batch_seconds >= 0
    assert subscription.lag_events == 2
    assert subscription.lag_seconds == (now - events[2].occurred_at).total_seconds()
    assert not await subscription.caught_up()


async def test_a_caught_up_subscription_reports_no_lag(running: list[Subscription]) -> None:
    subscription = subscribe(InMemoryFeed(conversation()), Ledger())
    running.append(subscription)
    subscription.start()
    assert await subscription.wait_for(4, timeout=2)
    await subscription.refresh_head()
    assert (subscription.lag_events, subscription.lag_seconds) == (0, 0.0)
    assert await subscription.caught_up()


# -- a replica ------------------------------------------------------------------------------


async def test_given_a_replica_then_it_applies_nothing_and_follows_the_checkpoint_another_writes(
    running: list[Subscription],
) -> None:
    ledger = Ledger(checkpoint=2)
    replica = subscribe(InMemoryFeed(conversation()), ledger, replica_poll_seconds=0.01)
    running.append(replica)
    replica.start()
    assert await replica.wait_for(2, timeout=1)
    waiting = asyncio.create_task(replica.wait_for(4, timeout=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    ledger.position = 4  # the projecting process wrote up to 4
    assert await asyncio.wait_for(waiting, 1) is True
    assert ledger.applied == []
    assert await replica.ready()
