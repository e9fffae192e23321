"""The embedded process's one read of the store for its three consumers (`ticketing.shared_feed`):
every consumer gets exactly the events after its own position, in order, as if it read the
store itself, while a commit is read once for all who keep up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from ticketing_feed import FeedBatch

from ticketing.shared_feed import SharedFeed, SourceFailed


@dataclass(frozen=True)
class Event:
    """Only what the shared feed looks at (a position), and a Persian text to tell them apart."""

    position: int
    title: str


class CountingFeed:
    """A source feed over a list, waiting for `commit` at the head; counts batches it yields."""

    def __init__(self, count: int = 0) -> None:
        self.events: list[Event] = []
        self.yielded = 0
        self.subscriptions = 0
        self.fail_with: Exception | None = None
        self.closed = False
        self._grown = asyncio.Event()
        self.commit(count)

    def close(self) -> None:
        """As a closed store does: every subscription ends."""
        self.closed = True
        self.commit(0)

    def commit(self, count: int) -> None:
        start = len(self.events)
        self.events += [Event(p, f"درخواست شماره {p}") for p in range(start + 1, start + count + 1)]
        self._grown.set()
        self._grown = asyncio.Event()

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        self.subscriptions += 1
        cursor = after
        while not self.closed:
            if self.fail_with is not None:
                raise self.fail_with
            grown = self._grown
            pending = [e for e in self.events if e.position > cursor][:max_events]
            if pending:
                cursor = pending[-1].position
                self.yielded += 1
                yield FeedBatch(pending, cursor)  # type: ignore[arg-type]
            else:
                await grown.wait()

    async def head(self) -> int:
        return len(self.events)


async def take(feed: Any, *, after: int, until: int, max_events: int = 1000) -> list[int]:
    """Positions read from `feed` after `after` until `until` is reached."""
    seen: list[int] = []
    async for batch in feed.batches(after=after, max_events=max_events):
        assert len(batch.events) <= max_events
        seen += [e.position for e in batch.events]
        assert batch.reached >= (seen[-1] if seen else after)
        if batch.reached >= until:
            return seen
    raise AssertionError("the feed ended")


async def test_three_consumers_at_the_head_read_each_commit_once_between_them() -> None:
    source = CountingFeed()
    shared = SharedFeed(source)
    readers = [asyncio.create_task(take(shared, after=0, until=30)) for _ in range(3)]
    for _ in range(3):
        await asyncio.sleep(0.01)
        source.commit(10)  # three commits of ten events, each woke all three consumers
    results = await asyncio.wait_for(asyncio.gather(*readers), 5)
    assert results == [list(range(1, 31))] * 3
    assert source.yielded == 3  # once per commit, not once per consumer
    assert shared.own_reads == 0


@pytest.mark.parametrize(
    ("positions", "max_events"),
    [((0, 0, 0), 1000), ((0, 17, 40), 1000), ((5, 5, 59), 7), ((60, 0, 33), 1)],
)
async def test_each_consumer_gets_exactly_the_events_after_its_own_position(
    positions: tuple[int, int, int], max_events: int
) -> None:
    source = CountingFeed(60)
    shared = SharedFeed(source, keep_events=25, batch=10)
    readers = [
        asyncio.create_task(take(shared, after=p, until=80, max_events=max_events))
        for p in positions
    ]
    await asyncio.sleep(0.05)
    source.commit(20)
    results = await asyncio.wait_for(asyncio.gather(*readers), 5)
    assert results == [list(range(p + 1, 81)) for p in positions]


async def test_a_consumer_behind_the_window_reads_on_its_own_and_then_joins_it() -> None:
    source = CountingFeed()
    shared = SharedFeed(source, keep_events=10, batch=10)
    ahead = asyncio.create_task(take(shared, after=0, until=100))
    for _ in range(10):
        await asyncio.sleep(0.005)
        source.commit(10)
    assert await asyncio.wait_for(ahead, 5) == list(range(1, 101))
    # The window holds only the last ten events: a consumer at 0 reads 1-90 itself.
    behind = asyncio.create_task(take(shared, after=0, until=110, max_events=30))
    await asyncio.sleep(0.05)
    source.commit(10)
    assert await asyncio.wait_for(behind, 5) == list(range(1, 111))
    assert shared.own_reads >= 3


async def test_a_failing_source_fails_every_consumer_and_a_new_read_starts_again() -> None:
    source = CountingFeed(5)
    shared = SharedFeed(source)
    assert await asyncio.wait_for(take(shared, after=0, until=5), 5) == [1, 2, 3, 4, 5]
    waiting = asyncio.create_task(take(shared, after=5, until=6))
    await asyncio.sleep(0.01)
    source.fail_with = OSError("disk I/O error")
    source.commit(1)
    with pytest.raises(SourceFailed, match="disk I/O error") as failed:
        await asyncio.wait_for(waiting, 5)
    assert isinstance(failed.value.__cause__, OSError)
    source.fail_with = None
    assert await asyncio.wait_for(take(shared, after=5, until=6), 5) == [6]


async def test_the_leader_stops_with_the_last_consumer_and_on_close() -> None:
    source = CountingFeed(3)
    shared = SharedFeed(source)
    assert await asyncio.wait_for(take(shared, after=0, until=3), 5) == [1, 2, 3]
    assert shared._leader is None  # the only consumer ended: nothing reads the store
    reader = asyncio.create_task(take(shared, after=3, until=99))
    await asyncio.sleep(0.01)
    assert shared._leader is not None
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    await shared.close()
    assert shared._leader is None


async def test_when_the_store_closes_every_consumer_ends_as_it_did_on_its_own_read() -> None:
    source = CountingFeed(4)
    shared = SharedFeed(source, keep_events=2, batch=2)

    async def read_all(after: int) -> list[int]:
        return [e.position async for b in shared.batches(after=after) for e in b.events]

    at_head = asyncio.create_task(read_all(4))
    behind = asyncio.create_task(read_all(0))  # the window holds 2: it reads 1-2 on its own
    await asyncio.sleep(0.05)
    source.close()
    assert await asyncio.wait_for(at_head, 5) == []
    assert await asyncio.wait_for(behind, 5) == [1, 2, 3, 4]


async def test_a_consumer_behind_by_several_small_batches_gets_them_as_one() -> None:
    # The leader reads whenever the fastest consumer wants more: one small batch per commit.
    # A slower consumer (the projector, whose every batch is a write) takes them together.
    source = CountingFeed()
    shared = SharedFeed(source)
    fast = asyncio.create_task(take(shared, after=0, until=12))
    for _ in range(4):
        await asyncio.sleep(0.01)
        source.commit(3)
    await asyncio.wait_for(fast, 5)
    assert source.yielded == 4
    slow = shared.batches(after=0, max_events=1000)
    first = await asyncio.wait_for(anext(slow), 5)
    assert [e.position for e in first.events] == list(range(1, 13))
    assert first.reached == 12
    await slow.aclose()  # type: ignore[attr-defined]
