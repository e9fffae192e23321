"""What only the Kafka feed has to get right: commits after handling, dead letters, markers and
`reached` over partitions, rebalances, and a broker that does not answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing

import pytest
from ticketing_contracts.dead_letters import origin
from ticketing_feed.events import EventIn
from ticketing_feed.kafka import KafkaFeed
from ticketing_feed.ports import FeedBatch

from tests.engines import kafka_bootstrap
from tests.integration.kafka_topic import ScratchTopic, envelope
from tests.ports import refusing_port

TICKET = "3f2b9c0e8d4a4f1b9e6c7a5d2b1e0f47"
OTHER_TICKET = "9a8b7c6d5e4f40318293a4b5c6d7e8f9"
LIMIT = 30  # seconds: a bound for a broken feed (a rebalance takes a few heartbeats)

Topics = Callable[[int], Awaitable[ScratchTopic]]


@pytest.fixture
async def topics() -> AsyncIterator[Topics]:
    made: list[ScratchTopic] = []

    async def make(partitions: int) -> ScratchTopic:
        topic = await ScratchTopic(kafka_bootstrap(), partitions=partitions).create()
        made.append(topic)
        return topic

    yield make
    for topic in made:
        await topic.delete()


def positions(events: list[EventIn]) -> list[int]:
    return [e.position for e in events]


async def collect_until(
    feed: KafkaFeed, done: Callable[[list[FeedBatch]], bool], *, max_events: int = 100
) -> list[FeedBatch]:
    """Batches until `done` says so; the last one is not handled (the loop stops on it)."""
    batches: list[FeedBatch] = []
    async with aclosing(feed.batches(after=0, max_events=max_events)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:
                batches.append(batch)
                if done(batches):
                    break
    return batches


async def wait_until(check: Callable[[], bool]) -> None:
    """Until `check()` holds (the caller bounds the time)."""
    while True:
        if check():
            return
        await asyncio.sleep(0.05)


@pytest.mark.integration
async def test_a_restart_gets_again_only_the_batch_that_was_not_handled(topics: Topics) -> None:
    topic = await topics(3)
    await topic.publish(*(envelope(n, n, ticket_id=TICKET) for n in range(1, 11)))
    feed = topic.feed("ticketing-query-restart")

    # Handle three batches of at most two events, stop on the fourth without handling it.
    batches = await collect_until(feed, lambda got: len(got) == 4, max_events=2)
    handled = [e for b in batches[:3] for e in b.events]
    unhandled = list(batches[3].events)
    assert all(0 < len(b.events) <= 2 for b in batches)
    assert positions(handled + unhandled) == list(range(1, len(handled) + len(unhandled) + 1))
    committed = await topic.committed("ticketing-query-restart")
    assert sorted(v for v in committed.values() if v is not None) == [len(handled)]

    again = topic.feed("ticketing-query-restart")
    rest = await collect_until(again, lambda got: got[-1].events[-1].position == 10)
    redelivered = [e for b in rest for e in b.events]
    assert positions(redelivered) == list(range(len(handled) + 1, 11))
    assert positions(redelivered[: len(unhandled)]) == positions(unhandled)


@pytest.mark.integration
async def test_with_a_commit_interval_handled_batches_are_committed_together(
    topics: Topics,
) -> None:
    topic = await topics(1)
    await topic.publish(*(envelope(n, n, ticket_id=TICKET) for n in range(1, 7)))
    group = "ticketing-notifications-interval"
    feed = topic.feed(group, commit_interval=60.0)
    seen: list[dict[int, int | None]] = []

    async with aclosing(feed.batches(after=0, max_events=2)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:
                seen.append(await topic.committed(group))
                if batch.events[-1].position == 6:
                    break
    # Nothing is committed while the interval runs; closing commits what was handled (the
    # first two batches, not the one in flight).
    assert len(seen) == 3
    assert seen == [{0: None}] * 3
    assert await topic.committed(group) == {0: 4}


@pytest.mark.integration
async def test_poison_records_are_parked_with_the_reason_and_the_feed_goes_on(
    topics: Topics,
) -> None:
    topic = await topics(1)
    closed = envelope(2, 2, ticket_id=TICKET)
    del closed["data"]["reason"]
    poison: list[tuple[bytes | None, list[tuple[str, bytes]], str]] = [
        (b"<not json>", [], "value is not JSON"),
        (b"[1, 2]", [], "not a JSON object"),
        (b"", [], "value is not JSON"),
        (None, [], "value is not JSON"),
        (_json({**envelope(2, 2, ticket_id=TICKET), "data": None}), [], "data must be an object"),
        (_json(_without(envelope(2, 2, ticket_id=TICKET), "actor")), [], "lacks 'actor'"),
        (_json(envelope(2, 2, ticket_id=TICKET, event_type="TicketMerged")), [], "TicketMerged"),
        (_json({**envelope(2, 2, ticket_id=TICKET), "schema_version": 9}), [], "version 9"),
        (_json({**envelope(2, 2, ticket_id=TICKET), "stream_version": "2"}), [], "positive"),
        (_json({**envelope(2, 2, ticket_id=TICKET), "brand_id": "globex"}), [], "brand"),
        (_json(closed), [], "data lacks ['reason']"),
        (b'{"type": "PositionMarker", "position": -1}', _MARKER, "not a position marker"),
        (b"{}", _MARKER, "unreadable position marker"),
    ]
    await topic.publish(envelope(1, 1, ticket_id=TICKET), partition=0)
    for value, headers, _ in poison:
        await topic.send_raw(value, headers=headers)
    await topic.publish(envelope(2, 2, ticket_id=TICKET), partition=0)
    # A good event with a header that is not UTF-8 is still a good event.
    await topic.send_raw(
        _json(envelope(3, 3, ticket_id=TICKET)), headers=[("x-trace", b"\xff\xfe")]
    )
    await topic.mark(3)
    group = "ticketing-notifications-poison"

    batches: list[FeedBatch] = []
    async with aclosing(topic.feed(group).batches(after=0)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:
                batches.append(batch)
                if batch.reached == 3:
                    await topic.mark(4)  # one more batch, so that this one is committed
                if batch.reached == 4:
                    break

    assert positions([e for b in batches for e in b.events]) == [1, 2, 3]
    parked = await topic.dead_letter_records(len(poison))
    assert len(parked) == len(poison)
    for record, (value, _, reason) in zip(parked, poison, strict=True):
        where = origin(record.headers)
        assert (where.topic, where.partition, where.group) == (topic.name, 0, group)
        assert reason in where.reason
        assert record.value == value
    assert [origin(r.headers).offset for r in parked] == list(range(1, len(poison) + 1))
    # Parked records are committed with their batch: all but the last batch (marker 4).
    assert (await topic.committed(group))[0] == 1 + len(poison) + 3


@pytest.mark.integration
async def test_markers_move_reached_over_partitions_that_have_no_events(topics: Topics) -> None:
    topic = await topics(3)
    await topic.publish(envelope(1, 1, ticket_id=TICKET), envelope(2, 2, ticket_id=TICKET))
    feed = topic.feed()
    seen: list[FeedBatch] = []
    async with aclosing(feed.batches(after=0, max_events=100)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:
                seen.append(batch)
                if positions([e for b in seen for e in b.events]) == [1, 2]:
                    await topic.mark(2)
                if batch.reached == 2:
                    break
    before = [b for b in seen if b.events]
    assert all(b.reached == 0 for b in before)  # two partitions have said nothing yet
    assert seen[-1].events == []
    assert seen[-1].reached == 2


@pytest.mark.integration
async def test_reached_is_the_minimum_over_the_partitions_and_head_the_maximum(
    topics: Topics,
) -> None:
    topic = await topics(2)
    await topic.mark(10, partitions=[0])
    await topic.mark(5, partitions=[1])
    feed = topic.feed()
    reached: list[int] = []
    async with aclosing(feed.batches(after=0, max_events=100)) as stream:  # type: ignore[type-var]
        async with asyncio.timeout(LIMIT):
            async for batch in stream:
                reached.append(batch.reached)
                if batch.reached == 5:
                    await topic.mark(12, partitions=[1])
                if batch.reached >= 10:
                    break
    assert reached == [5, 10]
    assert await feed.head() == 12


@pytest.mark.integration
async def test_a_second_member_takes_over_a_partition_from_its_committed_offset(
    topics: Topics,
) -> None:
    topic = await topics(2)
    await topic.publish(*(envelope(n, n, ticket_id=TICKET) for n in (1, 2, 3)), partition=0)
    await topic.publish(
        *(envelope(n, n - 3, ticket_id=OTHER_TICKET) for n in (4, 5, 6)), partition=1
    )
    group = "ticketing-query-rebalance"
    feeds = {"first": topic.feed(group), "second": topic.feed(group)}
    got: dict[str, list[int]] = {"first": [], "second": []}

    async def member(name: str) -> None:
        async with aclosing(feeds[name].batches(after=0)) as stream:  # type: ignore[type-var]
            async for batch in stream:
                got[name] += positions(list(batch.events))

    first = asyncio.create_task(member("first"))
    second: asyncio.Task[None] | None = None
    try:
        async with asyncio.timeout(LIMIT):
            await wait_until(lambda: sorted(got["first"]) == [1, 2, 3, 4, 5, 6])
            while await topic.committed(group) != {0: 3, 1: 3}:  # noqa: ASYNC110 - a remote check
                await asyncio.sleep(0.1)
            second = asyncio.create_task(member("second"))
            # The first member gives one partition up: what it handled there stays committed.
            await wait_until(lambda: [len(f.assigned_partitions) for f in feeds.values()] == [1, 1])
            await topic.publish(envelope(7, 4, ticket_id=TICKET), partition=0)
            await topic.publish(envelope(8, 4, ticket_id=OTHER_TICKET), partition=1)
            await wait_until(lambda: sorted(got["first"] + got["second"])[-2:] == [7, 8])
    finally:
        for task in (first, second):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    assert sorted(got["first"] + got["second"]) == [1, 2, 3, 4, 5, 6, 7, 8]  # none twice
    assert len(got["second"]) == 1  # it got one partition, and nothing already committed


@pytest.mark.integration
async def test_reached_stays_put_while_another_member_holds_a_partition(topics: Topics) -> None:
    # A service keeps one checkpoint: a member with only some partitions (the others held by a
    # crashed member until its session times out) must not let it pass events held elsewhere.
    topic = await topics(2)
    group = "ticketing-query-lingering"
    feeds = {"first": topic.feed(group), "second": topic.feed(group)}
    got: dict[str, list[FeedBatch]] = {"first": [], "second": []}

    async def member(name: str) -> None:
        async with aclosing(feeds[name].batches(after=0)) as stream:  # type: ignore[type-var]
            async for batch in stream:
                got[name].append(batch)

    tasks = {name: asyncio.create_task(member(name)) for name in feeds}
    try:
        async with asyncio.timeout(LIMIT):
            await wait_until(lambda: [len(f.assigned_partitions) for f in feeds.values()] == [1, 1])
            await topic.publish(envelope(1, 1, ticket_id=TICKET), partition=0)
            await topic.publish(envelope(2, 1, ticket_id=OTHER_TICKET), partition=1)
            await topic.mark(2)
            await wait_until(lambda: all(got.values()))
            await asyncio.sleep(1)  # markers 2 read on both partitions by now
            shared = [b.reached for batches in got.values() for b in batches]
            while await topic.committed(group) != {0: 2, 1: 2}:  # noqa: ASYNC110 - a remote check
                await asyncio.sleep(0.1)
            tasks["second"].cancel()  # leaves the group: the first takes both partitions
            await asyncio.gather(tasks["second"], return_exceptions=True)
            await wait_until(lambda: got["first"][-1].reached == 2)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)

    assert shared == [0, 0]  # each member saw marker 2 on its one partition: nothing moved
    handed_out = [e.position for batches in got.values() for b in batches for e in b.events]
    assert sorted(handed_out) == [1, 2]  # the take-over re-read the commit, handed out nothing
    assert got["first"][-1].events == []


@pytest.mark.integration
async def test_a_restart_after_traffic_stopped_knows_every_partitions_position(
    topics: Topics,
) -> None:
    # Everything is handled and committed, nothing new comes: the positions of the handled
    # records must still be known, or a consumer whose checkpoint is behind never catches up.
    topic = await topics(3)
    await topic.publish(*(envelope(n, n, ticket_id=TICKET) for n in (1, 2, 3)), partition=0)
    await topic.mark(3)
    group = "ticketing-notifications-idle"
    first: list[FeedBatch] = []

    async def read(feed: KafkaFeed, after: int, into: list[FeedBatch]) -> None:
        async with aclosing(feed.batches(after=after)) as stream:  # type: ignore[type-var]
            async for batch in stream:
                into.append(batch)

    task = asyncio.create_task(read(topic.feed(group), 0, first))
    try:
        async with asyncio.timeout(LIMIT):
            while await topic.committed(group) != {0: 4, 1: 1, 2: 1}:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert first[-1].reached == 3

    again: list[FeedBatch] = []
    task = asyncio.create_task(read(topic.feed(group), 1, again))  # a checkpoint behind
    try:
        async with asyncio.timeout(LIMIT):
            await wait_until(lambda: bool(again))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [(b.events, b.reached) for b in again] == [([], 3)]
    assert await topic.committed(group) == {0: 4, 1: 1, 2: 1}  # never moved back


@pytest.mark.integration
async def test_a_batch_in_flight_on_a_revoked_partition_goes_to_its_next_owner(
    topics: Topics,
) -> None:
    topic = await topics(2)
    await topic.publish(*(envelope(n, n, ticket_id=TICKET) for n in (1, 2, 3)), partition=0)
    await topic.publish(
        *(envelope(n, n - 3, ticket_id=OTHER_TICKET) for n in (4, 5, 6)), partition=1
    )
    group = "ticketing-notifications-revoke"
    feeds = {"first": topic.feed(group), "second": topic.feed(group)}
    got: dict[str, list[int]] = {"first": [], "second": []}
    first_batch: list[int] = []
    handled = asyncio.Event()

    async def member(name: str) -> None:
        async with aclosing(feeds[name].batches(after=0)) as stream:  # type: ignore[type-var]
            async for batch in stream:
                got[name] += positions(list(batch.events))
                if name == "first" and not first_batch:
                    first_batch.extend(positions(list(batch.events)))
                    await handled.wait()  # still handling it while the group rebalances

    tasks = [asyncio.create_task(member("first"))]
    try:
        async with asyncio.timeout(LIMIT):
            await wait_until(lambda: bool(first_batch))
            tasks.append(asyncio.create_task(member("second")))
            await wait_until(lambda: [len(f.assigned_partitions) for f in feeds.values()] == [1, 1])
            (taken,) = feeds["second"].assigned_partitions
            handled.set()
            while await topic.committed(group) != {0: 3, 1: 3}:  # noqa: ASYNC110 - a remote check
                await asyncio.sleep(0.1)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    on_taken = {0: [1, 2, 3], 1: [4, 5, 6]}[taken]
    assert sorted(set(got["first"] + got["second"])) == [1, 2, 3, 4, 5, 6]  # nothing lost
    assert got["second"] == on_taken  # read again from the commit, in flight or not
    assert not set(got["first"]) - set(first_batch) & set(on_taken)  # nothing after the revoke


async def test_a_broker_that_does_not_answer_is_retried_never_raised() -> None:
    port = refusing_port()
    feed = KafkaFeed(
        f"127.0.0.1:{port}",
        "tickets.events.v1",
        "ticketing-query",
        dead_letter_topic="tickets.events.v1.dlq",
        retry_initial=0.05,
        retry_max=0.2,
        head_timeout=1,
    )
    batches: list[FeedBatch] = []

    async def read_for(seconds: float) -> None:
        async with aclosing(feed.batches(after=7)) as stream:  # type: ignore[type-var]
            async with asyncio.timeout(seconds):
                async for batch in stream:
                    batches.append(batch)

    with pytest.raises(TimeoutError):  # still trying when the test gives up, nothing raised
        await read_for(1.5)
    assert batches == []
    assert await feed.head() == 0


_MARKER = [("ticketing-record", b"position-marker")]


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _without(envelope: dict[str, object], name: str) -> dict[str, object]:
    return {k: v for k, v in envelope.items() if k != name}
