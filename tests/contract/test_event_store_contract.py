"""The event store port's contract: every adapter (see conftest.ADAPTERS) must pass all of it.

Tests never assume an empty store: positions are compared with the head read before, and every
test writes to fresh streams under its own brand prefix, so the suite also runs against a shared
server.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from ticketing_eventstore import (
    DuplicateEventId,
    EventBatch,
    EventStore,
    EventStoreClosed,
    NewEvent,
    RecordedEvent,
    WrongExpectedVersion,
)

if TYPE_CHECKING:
    from conftest import Adapter

COMPLAINT = "سلام، پنل پیامکی من کار نمی‌کند"


def brand() -> str:
    """A brand of its own, so prefix reads see only this test's streams."""
    return f"acme{uuid.uuid4().hex[:8]}"


def ticket_stream(brand_id: str = "acme") -> str:
    return f"ticket-{brand_id}-{uuid.uuid4().hex}"


def opened(title: str = COMPLAINT, **data: Any) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="TicketOpened",
        data={"title": title, "department": "پشتیبانی فنی", **data},
        metadata={"actor": {"id": "customer-17", "role": "customer"}},
    )


def posted(body: str = "لطفاً پیگیری کنید") -> NewEvent:
    return NewEvent(event_id=str(uuid.uuid4()), event_type="MessagePosted", data={"body": body})


async def take(subscription: AsyncIterator[RecordedEvent], count: int) -> list[RecordedEvent]:
    async with asyncio.timeout(5):
        return [await anext(subscription) for _ in range(count)]


async def test_the_first_event_of_a_stream_is_version_1_at_a_position_of_at_least_1(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    result = await store.append(stream, [opened()], expected_version=0)
    assert result.version == 1
    assert result.position >= 1
    [event] = await store.read_stream(stream)
    assert (event.stream_version, event.position, event.event_type) == (
        1,
        result.position,
        "TicketOpened",
    )


async def test_expecting_no_stream_on_an_existing_stream_fails_and_writes_nothing(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened()], expected_version=0)
    head = await store.head_position()
    with pytest.raises(WrongExpectedVersion) as raised:
        await store.append(stream, [opened(), posted()], expected_version=0)
    assert (raised.value.stream_id, raised.value.expected, raised.value.actual) == (stream, 0, 1)
    assert [e.event_type for e in await store.read_stream(stream)] == ["TicketOpened"]
    assert await store.head_position() == head


@pytest.mark.parametrize("expected", [1, 3], ids=["lower", "higher"])
async def test_expecting_a_version_other_than_the_actual_fails_and_names_the_actual(
    store: EventStore, expected: int
) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened(), posted()], expected_version=0)
    with pytest.raises(WrongExpectedVersion) as raised:
        await store.append(stream, [posted("هنوز مشکل دارم")], expected_version=expected)
    assert (raised.value.expected, raised.value.actual) == (expected, 2)
    assert len(await store.read_stream(stream)) == 2


async def test_appending_with_any_version_works_on_new_and_existing_streams(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    first = await store.append(stream, [opened()], expected_version=None)
    second = await store.append(stream, [posted()], expected_version=None)
    assert (first.version, second.version) == (1, 2)
    assert second.position > first.position


async def test_a_multi_event_append_gets_contiguous_versions_and_positions(
    store: EventStore, adapter: Adapter
) -> None:
    stream = ticket_stream()
    first = await store.append(stream, [opened()], expected_version=0)
    result = await store.append(stream, [posted(), posted(), posted()], expected_version=1)
    events = await store.read_stream(stream, from_version=2)
    assert [e.stream_version for e in events] == [2, 3, 4]
    positions = [e.position for e in events]
    if adapter.contiguous_positions:
        assert positions == [result.position - 2, result.position - 1, result.position]
    else:
        assert first.position < positions[0] < positions[1] < positions[2] == result.position
    assert result.version == 4


async def test_a_multi_event_append_with_a_stored_event_id_writes_none_of_its_events(
    store: EventStore, adapter: Adapter
) -> None:
    if not adapter.rejects_stored_event_ids:
        pytest.skip("this store recognises only a repeated append (see the next test)")
    stream = ticket_stream()
    first = opened()
    await store.append(stream, [first], expected_version=0)
    again = NewEvent(first.event_id, "MessagePosted", {"body": "تکراری"})
    with pytest.raises(DuplicateEventId) as raised:
        await store.append(stream, [posted(), again, posted()], expected_version=1)
    assert raised.value.event_id == first.event_id
    assert [e.event_id for e in await store.read_stream(stream)] == [first.event_id]


async def test_an_event_id_already_stored_in_another_stream_is_rejected(
    store: EventStore, adapter: Adapter
) -> None:
    if not adapter.rejects_stored_event_ids:
        pytest.skip("this store has no index of event ids across streams")
    event = opened()
    await store.append(ticket_stream(), [event], expected_version=0)
    other = ticket_stream()
    with pytest.raises(DuplicateEventId):
        await store.append(other, [event], expected_version=0)
    assert await store.read_stream(other) == []


async def test_repeating_an_append_of_stored_event_ids_writes_nothing(
    store: EventStore, adapter: Adapter
) -> None:
    stream = ticket_stream()
    events = [opened(), posted()]
    first = await store.append(stream, events, expected_version=None)
    head = await store.head_position()
    if adapter.rejects_stored_event_ids:
        with pytest.raises(DuplicateEventId):
            await store.append(stream, events, expected_version=None)
    else:  # a retry after a lost reply: the first append's result, nothing written
        assert await store.append(stream, events, expected_version=None) == first
        assert await store.append(stream, events, expected_version=0) == first
    assert [e.event_id for e in await store.read_stream(stream)] == [e.event_id for e in events]
    assert await store.head_position() == head


async def test_positions_strictly_increase_in_commit_order_across_streams(
    store: EventStore,
) -> None:
    streams = [ticket_stream() for _ in range(3)]
    results = [await store.append(s, [opened()], expected_version=None) for s in streams * 2]
    positions = [r.position for r in results]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


async def test_read_stream_starts_at_the_version_asked_for(store: EventStore) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened(), posted("اول"), posted("دوم")], expected_version=0)
    events = await store.read_stream(stream, from_version=2)
    assert [e.data["body"] for e in events] == ["اول", "دوم"]
    assert await store.read_stream(stream, from_version=4) == []
    assert await store.read_stream(ticket_stream()) == []


async def test_read_all_returns_events_after_a_position_up_to_a_limit(store: EventStore) -> None:
    head = await store.head_position()
    stream = ticket_stream()
    await store.append(stream, [opened(), posted(), posted(), posted()], expected_version=0)
    events = await store.read_all(after=head, limit=3)
    assert [(e.stream_id, e.stream_version) for e in events] == [(stream, v) for v in (1, 2, 3)]
    rest = await store.read_all(after=events[-1].position, limit=3)
    assert [e.stream_version for e in rest] == [4]


async def test_read_all_with_a_prefix_returns_only_that_brands_streams(store: EventStore) -> None:
    ours, theirs = brand(), brand()
    head = await store.head_position()
    for brand_id in (ours, theirs, ours):
        await store.append(ticket_stream(brand_id), [opened()], expected_version=0)
    events = await store.read_all(after=head, stream_prefix=f"ticket-{ours}-")
    assert len(events) == 2
    assert all(e.stream_id.startswith(f"ticket-{ours}-") for e in events)


async def test_an_underscore_or_percent_in_a_prefix_is_not_a_wildcard(store: EventStore) -> None:
    tag = uuid.uuid4().hex[:8]
    head = await store.head_position()
    for brand_id in (f"a_b{tag}", f"axb{tag}", f"a%b{tag}", f"azzb{tag}"):
        await store.append(ticket_stream(brand_id), [opened()], expected_version=0)
    underscore = await store.read_all(after=head, stream_prefix=f"ticket-a_b{tag}")
    percent = await store.read_all(after=head, stream_prefix=f"ticket-a%b{tag}")
    assert [e.stream_id.split("-")[1] for e in underscore] == [f"a_b{tag}"]
    assert [e.stream_id.split("-")[1] for e in percent] == [f"a%b{tag}"]


async def test_head_position_is_the_position_of_the_last_committed_event(
    store: EventStore,
) -> None:
    result = await store.append(ticket_stream(), [opened(), posted()], expected_version=0)
    assert await store.head_position() == result.position


async def test_a_subscription_sees_history_then_live_events_in_order_without_duplicates(
    store: EventStore,
) -> None:
    head = await store.head_position()
    stream = ticket_stream()
    await store.append(stream, [opened(), posted("تاریخچه")], expected_version=0)
    async with aclosing(store.subscribe(after=head)) as subscription:  # type: ignore[type-var]
        history = await take(subscription, 2)
        live = asyncio.create_task(take(subscription, 3))
        await asyncio.sleep(0.05)  # the subscriber is now waiting for live events
        for version in (2, 3, 4):
            await store.append(stream, [posted(f"پیام {version}")], expected_version=version)
        events = history + await live
    assert [e.stream_version for e in events] == [1, 2, 3, 4, 5]
    positions = [e.position for e in events]
    assert positions == sorted(set(positions))


async def test_a_live_event_reaches_a_waiting_subscriber_within_a_hundred_milliseconds(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened()], expected_version=0)
    head = await store.head_position()
    latencies = []
    async with aclosing(store.subscribe(after=head)) as subscription:  # type: ignore[type-var]
        for version in range(1, 6):
            received = asyncio.create_task(take(subscription, 1))
            await asyncio.sleep(0.02)
            await store.append(stream, [posted()], expected_version=version)
            committed = time.perf_counter()
            await received
            latencies.append(time.perf_counter() - committed)
    # Waiting for a poll (0.25 s) instead of the commit signal would fail this five times over.
    assert max(latencies) < 0.1


async def test_a_subscription_with_a_prefix_sees_only_that_brand(store: EventStore) -> None:
    ours, theirs = brand(), brand()
    head = await store.head_position()
    await store.append(ticket_stream(theirs), [opened()], expected_version=0)
    await store.append(ticket_stream(ours), [opened("سفارش ثبت نمی‌شود")], expected_version=0)
    subscription = store.subscribe(after=head, stream_prefix=f"ticket-{ours}-")
    async with aclosing(subscription) as events:  # type: ignore[type-var]
        live = asyncio.create_task(take(events, 2))
        await asyncio.sleep(0.05)
        await store.append(ticket_stream(theirs), [opened()], expected_version=0)
        await store.append(ticket_stream(ours), [opened("پرداخت ناموفق")], expected_version=0)
        titles = [e.data["title"] for e in await live]
    assert titles == ["سفارش ثبت نمی‌شود", "پرداخت ناموفق"]


async def test_a_subscription_from_a_later_position_starts_after_it(store: EventStore) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened(), posted("قدیمی")], expected_version=0)
    result = await store.append(stream, [posted("جدید")], expected_version=2)
    await store.append(stream, [posted("جدیدتر")], expected_version=3)
    async with aclosing(store.subscribe(after=result.position - 1)) as subscription:  # type: ignore[type-var]
        events = await take(subscription, 2)
    assert [e.data["body"] for e in events] == ["جدید", "جدیدتر"]


async def test_closing_the_store_ends_its_subscriptions(adapter: Adapter, tmp_path: Path) -> None:
    store = adapter.make(tmp_path)
    await store.append(ticket_stream(), [opened()], expected_version=0)
    head = await store.head_position()
    seen = []

    async def consume() -> None:
        async for event in store.subscribe(after=head):
            seen.append(event)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    await store.close()
    await asyncio.wait_for(consumer, timeout=2)
    assert seen == []
    with pytest.raises(EventStoreClosed):
        await store.append(ticket_stream(), [opened()], expected_version=0)


async def test_fifty_concurrent_appenders_to_one_stream_win_one_version_each(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened()], expected_version=0)
    winners: dict[int, list[int]] = {}

    async def agent_replies(agent: int) -> None:
        while True:
            version = len(await store.read_stream(stream))
            try:
                await store.append(
                    stream, [posted(f"پاسخ کارشناس {agent}")], expected_version=version
                )
            except WrongExpectedVersion:
                continue
            winners.setdefault(version, []).append(agent)
            return

    await asyncio.gather(*(agent_replies(agent) for agent in range(50)))
    events = await store.read_stream(stream)
    assert [e.stream_version for e in events] == list(range(1, 52))
    assert sorted(winners) == list(range(1, 51))
    assert all(len(agents) == 1 for agents in winners.values())
    bodies = sorted(e.data["body"] for e in events[1:])
    assert bodies == sorted(f"پاسخ کارشناس {agent}" for agent in range(50))


async def test_sixty_four_concurrent_appenders_on_different_streams_all_succeed(
    store: EventStore, adapter: Adapter
) -> None:
    streams = [ticket_stream() for _ in range(64)]
    results = await asyncio.gather(
        *(store.append(s, [opened(), posted()], expected_version=0) for s in streams)
    )
    assert {r.version for r in results} == {2}
    assert len({r.position for r in results}) == 64
    for stream, result in zip(streams, results, strict=True):
        first, second = (e.position for e in await store.read_stream(stream))
        assert second == result.position
        if adapter.contiguous_positions:
            assert first == result.position - 1
        else:
            assert first < second


async def test_a_conflicting_append_in_the_same_batch_as_good_ones_fails_alone(
    store: EventStore, adapter: Adapter, tmp_path: Path
) -> None:
    taken, stored = ticket_stream(), opened()
    await store.append(taken, [stored], expected_version=0)
    good = [ticket_stream() for _ in range(8)]
    duplicate = ticket_stream()
    # While writes are held the appends queue up, and are committed together when released.
    async with adapter.hold_writes(tmp_path):
        appends = [
            asyncio.create_task(store.append(s, [opened()], expected_version=0)) for s in good[:4]
        ]
        appends.append(asyncio.create_task(store.append(taken, [posted()], expected_version=0)))
        appends.append(asyncio.create_task(store.append(duplicate, [stored], expected_version=0)))
        appends += [
            asyncio.create_task(store.append(s, [opened()], expected_version=0)) for s in good[4:]
        ]
        await asyncio.sleep(0.05)
    outcomes = await asyncio.gather(*appends, return_exceptions=True)
    assert isinstance(outcomes[4], WrongExpectedVersion)
    assert outcomes[4].actual == 1
    assert [getattr(o, "version", None) for o in outcomes[:4] + outcomes[6:]] == [1] * 8
    assert len(await store.read_stream(taken)) == 1
    if adapter.rejects_stored_event_ids:
        assert isinstance(outcomes[5], DuplicateEventId)
        assert await store.read_stream(duplicate) == []
    else:  # no index of ids across streams: written like any other
        assert getattr(outcomes[5], "version", None) == 1


async def test_appending_no_events_checks_the_expected_version_and_writes_nothing(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    written = await store.append(stream, [opened()], expected_version=0)
    head = await store.head_position()
    result = await store.append(stream, [], expected_version=1)
    assert (result.version, result.position) == (1, written.position)
    with pytest.raises(WrongExpectedVersion):
        await store.append(stream, [], expected_version=0)
    assert await store.head_position() == head


async def test_data_and_metadata_round_trip_persian_text_nesting_and_numbers(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    data = {
        "title": COMPLAINT,
        "customer": {"name": "زهرا محمدی", "phone": "۰۹۱۲۳۴۵۶۷۸۹", "tags": ["vip", "پیامک"]},
        "amount": 1_250_000,
        "big": 2**62,
        "ratio": 0.125,
        "urgent": True,
        "assignee": None,
        "emoji": "🙏",
    }
    metadata = {"correlation_id": str(uuid.uuid4()), "actor": {"id": "agent-3", "role": "agent"}}
    await store.append(
        stream, [NewEvent(str(uuid.uuid4()), "TicketOpened", data, metadata)], expected_version=0
    )
    [event] = await store.read_stream(stream)
    assert event.data == data
    assert event.metadata == metadata
    assert event.recorded_at.utcoffset() == UTC.utcoffset(None)


async def test_callers_cannot_change_stored_events_by_mutating_what_they_passed_or_read(
    store: EventStore,
) -> None:
    stream = ticket_stream()
    data: dict[str, Any] = {"title": COMPLAINT, "tags": ["پیامک"]}
    await store.append(
        stream, [NewEvent(str(uuid.uuid4()), "TicketOpened", data)], expected_version=0
    )
    data["tags"].append("دستکاری")
    [read] = await store.read_stream(stream)
    read.data["tags"].append("دستکاری")  # type: ignore[index]
    [again] = await store.read_stream(stream)
    assert again.data == {"title": COMPLAINT, "tags": ["پیامک"]}


async def test_a_reopened_store_keeps_every_event(adapter: Adapter, tmp_path: Path) -> None:
    if not adapter.durable:
        pytest.skip("this adapter keeps nothing across instances")
    stream = ticket_stream()
    first = adapter.make(tmp_path)
    await first.append(stream, [opened(), posted("قبل از راه‌اندازی مجدد")], expected_version=0)
    before = await first.read_stream(stream)
    head = await first.head_position()
    await first.close()
    second = adapter.make(tmp_path)
    try:
        assert await second.read_stream(stream) == before
        assert await second.head_position() == head
        result = await second.append(stream, [posted("بعد")], expected_version=2)
        assert result.version == 3
        if adapter.contiguous_positions:
            assert result.position == head + 1
        else:
            assert result.position > head
    finally:
        await second.close()


# -- batch subscriptions ---------------------------------------------------------------------


async def next_batch(batches: AsyncIterator[EventBatch]) -> EventBatch:
    async with asyncio.timeout(5):
        return await anext(batches)


async def test_a_batch_subscription_splits_history_at_the_limit_in_global_order(
    store: EventStore,
) -> None:
    ours = brand()
    head = await store.head_position()
    stream = ticket_stream(ours)
    await store.append(
        stream, [opened(), *(posted(f"پیام {n}") for n in range(4))], expected_version=0
    )
    batches = store.subscribe_batches(after=head, stream_prefix=f"ticket-{ours}-", limit=2)
    async with aclosing(batches):  # type: ignore[type-var]
        first, second, third = [await next_batch(batches) for _ in range(3)]
    assert [len(b.events) for b in (first, second, third)] == [2, 2, 1]
    versions = [e.stream_version for b in (first, second, third) for e in b.events]
    assert versions == [1, 2, 3, 4, 5]
    assert first.reached == first.events[-1].position
    assert third.reached >= third.events[-1].position


async def test_a_batch_subscription_reaches_past_the_events_of_other_streams(
    store: EventStore,
) -> None:
    ours, theirs = brand(), brand()
    head = await store.head_position()
    await store.append(ticket_stream(ours), [opened()], expected_version=0)
    await store.append(ticket_stream(theirs), [opened(), posted()], expected_version=0)
    batches = store.subscribe_batches(after=head, stream_prefix=f"ticket-{ours}-")
    async with aclosing(batches):  # type: ignore[type-var]
        batch = await next_batch(batches)
        assert [e.stream_id.split("-")[1] for e in batch.events] == [ours]
        assert batch.reached == await store.head_position()
        # Only other streams commit: an empty batch says how far the store was looked at.
        waiting = asyncio.create_task(next_batch(batches))
        await asyncio.sleep(0.02)
        result = await store.append(ticket_stream(theirs), [opened()], expected_version=0)
        skipped = await waiting
    assert skipped.events == []
    assert skipped.reached == result.position


async def test_a_live_batch_comes_at_once_without_waiting_to_fill(store: EventStore) -> None:
    stream = ticket_stream()
    await store.append(stream, [opened()], expected_version=0)
    head = await store.head_position()
    batches = store.subscribe_batches(after=head, limit=1000)
    async with aclosing(batches):  # type: ignore[type-var]
        waiting = asyncio.create_task(next_batch(batches))
        await asyncio.sleep(0.02)
        result = await store.append(stream, [posted(), posted()], expected_version=1)
        committed = time.perf_counter()
        batch = await waiting
        latency = time.perf_counter() - committed
    assert [e.stream_version for e in batch.events] == [2, 3]
    assert batch.reached == result.position
    assert latency < 0.1


async def test_closing_the_store_ends_its_batch_subscriptions(
    adapter: Adapter, tmp_path: Path
) -> None:
    store = adapter.make(tmp_path)
    await store.append(ticket_stream(), [opened()], expected_version=0)
    head = await store.head_position()
    seen = []

    async def consume() -> None:
        async for batch in store.subscribe_batches(after=head):
            seen.append(batch)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    await store.close()
    await asyncio.wait_for(consumer, timeout=2)
    assert seen == []
