"""KurrentDBEventStore's own logic against a model of the server (kurrentdb_model.py).

Paging, resume points, batching, resubscribing and error mapping are the adapter's; what the
server does is modelled from kurrentdbclient's documentation. The contract suite on a real
KurrentDB remains the proof (tests/contract, where a container engine or KURRENTDB_URL exists).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest
from kurrentdb_model import ModelKurrentDB, collect
from kurrentdbclient.exceptions import (
    InvalidCommitPositionError,
    KurrentDBClientError,
    UnknownError,
)
from ticketing_eventstore import DuplicateEventId, EventStoreClosed, NewEvent, WrongExpectedVersion
from ticketing_eventstore.kurrentdb import KurrentDBEventStore


@pytest.fixture
def server() -> ModelKurrentDB:
    return ModelKurrentDB()


def on_model(server: ModelKurrentDB, **options: float) -> KurrentDBEventStore:
    event_store = KurrentDBEventStore("kurrentdb://127.0.0.1:2113?tls=false", **options)
    event_store._client = server  # type: ignore[assignment]  # the model in place of gRPC
    return event_store


@pytest.fixture
async def store(server: ModelKurrentDB) -> AsyncIterator[KurrentDBEventStore]:
    event_store = on_model(server)
    yield event_store
    await event_store.close()


def posted(body: str = "لطفاً پیگیری کنید") -> NewEvent:
    return NewEvent(str(uuid.uuid4()), "MessagePosted", {"body": body})


def opened(title: str = "پنل پیامکی کار نمی‌کند") -> NewEvent:
    return NewEvent(str(uuid.uuid4()), "TicketOpened", {"title": title})


async def test_versions_are_1_based_and_positions_are_the_servers_sparse_commit_positions(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    result = await store.append("ticket-acme-1", [opened(), posted()], expected_version=0)
    events = await store.read_stream("ticket-acme-1")
    assert [e.stream_version for e in events] == [1, 2]
    assert [e.position for e in events] == [r.commit_position for r in server.records[1:]]
    assert events[1].position - events[0].position > 1
    assert (result.version, result.position) == (2, events[1].position)
    assert await store.head_position() == result.position


async def test_a_conflict_names_the_streams_actual_version(store: KurrentDBEventStore) -> None:
    await store.append("ticket-acme-1", [opened(), posted()], expected_version=0)
    for expected in (0, 1, 3):
        with pytest.raises(WrongExpectedVersion) as raised:
            await store.append("ticket-acme-1", [posted()], expected_version=expected)
        assert (raised.value.expected, raised.value.actual) == (expected, 2)


async def test_repeating_an_append_returns_its_first_result_and_writes_nothing(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    events = [opened(), posted()]
    first = await store.append("ticket-acme-1", events, expected_version=0)
    assert await store.append("ticket-acme-1", events, expected_version=0) == first
    assert await store.append("ticket-acme-1", events, expected_version=None) == first
    assert len(await store.read_stream("ticket-acme-1")) == 2


async def test_appending_with_any_version_reports_the_version_written(
    store: KurrentDBEventStore,
) -> None:
    await store.append("ticket-acme-1", [opened(), posted()], expected_version=0)
    await store.append("ticket-acme-2", [opened()], expected_version=0)
    result = await store.append("ticket-acme-1", [posted()], expected_version=None)
    assert result.version == 3


async def test_an_id_repeated_in_one_append_is_refused_before_anything_is_sent(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    again = posted()
    with pytest.raises(DuplicateEventId) as raised:
        await store.append("ticket-acme-1", [opened(), again, again], expected_version=0)
    assert raised.value.event_id == again.event_id
    assert server.appends == 0


async def test_appending_nothing_checks_the_version_without_writing(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    written = await store.append("ticket-acme-1", [opened()], expected_version=0)
    assert await store.append("ticket-acme-1", [], expected_version=1) == written
    with pytest.raises(WrongExpectedVersion):
        await store.append("ticket-acme-1", [], expected_version=2)
    assert (await store.append("ticket-acme-9", [], expected_version=0)).version == 0
    assert server.appends == 1


@pytest.mark.parametrize(
    "refusal",
    [
        InvalidCommitPositionError("Unexpected FilteredReadAllResult: InvalidPosition"),
        UnknownError("Unexpected ReadAllResult.Error"),
        KurrentDBClientError("Invalid position: InvalidPosition"),
    ],
    ids=["25.1-on", "older", "rich-status"],
)
async def test_read_all_after_a_position_inside_a_record_starts_at_the_next_event(
    store: KurrentDBEventStore, server: ModelKurrentDB, refusal: Exception
) -> None:
    server.invalid_position = refusal
    for n in range(6):
        await store.append(f"ticket-acme-{n}", [opened()], expected_version=0)
    events = await store.read_all()
    third = events[2]
    after_middle = await store.read_all(after=third.position - 1, limit=2)
    assert [e.stream_id for e in after_middle] == ["ticket-acme-2", "ticket-acme-3"]
    assert await store.read_all(after=events[-1].position + 7) == []
    assert [e.stream_id for e in await store.read_all(after=1, limit=1)] == ["ticket-acme-0"]


async def test_read_all_fills_its_limit_past_events_that_are_not_ours_to_return(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    await store.append("ticket-acme-1", [opened()], expected_version=0)
    server.write("ticket-acme-1", "$>", b"0@ticket-acme-2")  # a projection's link
    server.write("ticket-acme-7", "ScanUploaded", b"\x89PNG")  # another writer's bytes
    server.write("$stats-127.0.0.1:2113", "$statsCollected", b"{}")
    await store.append("ticket-acme-2", [opened()], expected_version=0)
    await store.append("ticket-other-1", [opened()], expected_version=0)
    await store.append("ticket-acme-3", [opened()], expected_version=0)
    events = await store.read_all(limit=3, stream_prefix="ticket-acme-")
    assert [e.stream_id for e in events] == ["ticket-acme-1", "ticket-acme-2", "ticket-acme-3"]


async def test_a_batch_subscription_fills_history_then_passes_over_other_streams_live(
    server: ModelKurrentDB,
) -> None:
    # History trickles in slower than the linger (it fills anyway: it is all committed); live
    # events of one append come faster than it (they come together).
    store = on_model(server, batch_linger=0.05, catch_up_wait=1.0)
    server.delivery_delay = 0.1
    head = await store.head_position()
    await store.append("ticket-acme-1", [opened(), posted(), posted()], expected_version=0)
    await store.append("ticket-other-1", [opened()], expected_version=0)
    batches = store.subscribe_batches(after=head, stream_prefix="ticket-acme-", limit=2)
    async with aclosing(batches):
        first, second = await collect(batches, 2)
        assert [e.stream_version for e in first.events] == [1, 2]
        assert first.reached == first.events[-1].position
        assert [e.stream_version for e in second.events] == [3]
        assert second.reached == await store.head_position()  # past ticket-other-1
        server.delivery_delay = 0.005
        waiting = asyncio.create_task(collect(batches, 1))
        await asyncio.sleep(0.02)
        theirs = await store.append("ticket-other-2", [opened()], expected_version=0)
        [skipped] = await waiting
        assert (skipped.events, skipped.reached) == ([], theirs.position)
        waiting = asyncio.create_task(collect(batches, 1))
        await asyncio.sleep(0.02)
        ours = await store.append("ticket-acme-1", [posted(), posted()], expected_version=3)
        [live] = await waiting
    await store.close()
    assert [e.stream_version for e in live.events] == [4, 5]
    assert live.reached == ours.position


async def test_a_subscription_from_a_position_inside_a_record_starts_after_it(
    store: KurrentDBEventStore,
) -> None:
    await store.append("ticket-acme-1", [opened(), posted("قدیمی")], expected_version=0)
    result = await store.append("ticket-acme-1", [posted("جدید")], expected_version=2)
    await store.append("ticket-acme-1", [posted("جدیدتر")], expected_version=3)
    async with aclosing(store.subscribe(after=result.position - 1)) as events:
        bodies = [e.data["body"] for e in await collect(events, 2)]
    assert bodies == ["جدید", "جدیدتر"]


async def test_a_dropped_subscription_resumes_after_the_last_event_passed_on(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    for n in range(5):
        await store.append(f"ticket-acme-{n}", [opened()], expected_version=0)
    server.drop_subscriptions_after = 2
    async with aclosing(store.subscribe()) as events:
        received = await collect(events, 5)
    assert [e.stream_id for e in received] == [f"ticket-acme-{n}" for n in range(5)]
    assert server.subscriptions == 3


async def test_closing_ends_subscriptions_and_refuses_appends_and_reads(
    store: KurrentDBEventStore,
) -> None:
    await store.append("ticket-acme-1", [opened()], expected_version=0)
    seen = []

    async def consume() -> None:
        async for batch in store.subscribe_batches(after=await store.head_position()):
            seen.append(batch)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    await store.close()
    await asyncio.wait_for(consumer, timeout=1)
    assert seen == []
    with pytest.raises(EventStoreClosed):
        await store.append("ticket-acme-2", [opened()], expected_version=0)
    with pytest.raises(EventStoreClosed):
        await store.read_all()


async def test_other_read_errors_are_not_taken_for_a_bad_position(
    store: KurrentDBEventStore, server: ModelKurrentDB
) -> None:
    await store.append("ticket-acme-1", [opened()], expected_version=0)
    server.invalid_position = KurrentDBClientError("Access denied")
    with pytest.raises(KurrentDBClientError, match="Access denied"):
        await store.read_all(after=1)


async def test_system_streams_cannot_be_appended_to(store: KurrentDBEventStore) -> None:
    with pytest.raises(ValueError, match=r"'\$'"):
        await store.append("$settings", [opened()], expected_version=None)
