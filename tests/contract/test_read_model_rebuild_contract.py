"""The read model contract, continued: a reset followed by the history again (what `ticketing
rebuild` does) ends where a fresh fold ends, whatever was stored before and however the history
is cut into batches. Every adapter (read_model_fixtures.READ_MODELS) passes it.

An adapter may remember what it applied since its reset (the MongoDB one does, to read nothing
back during a rebuild); these tests give it tickets that span batches, redeliveries, and a reset
made while other tickets were stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from read_model_fixtures import (
    ADAPTER_PARAMS,
    READ_MODELS,
    Clock,
    ReadModelAdapter,
    Story,
    expected_counters,
    expected_list,
    folded,
    listed,
    project,
)
from ticketing_feed import EventIn
from ticketing_feed.memory import InMemoryFeed
from ticketing_model import Scope
from ticketing_query.application.ports import ReadModel
from ticketing_query.application.ports import TicketFilter as Filter
from ticketing_query.application.rebuild import rebuild

AGENT = Scope("acme", "agent")


@pytest.fixture(params=ADAPTER_PARAMS)
def adapter(request: pytest.FixtureRequest) -> ReadModelAdapter:
    return READ_MODELS[request.param]


@pytest.fixture
async def read_model(adapter: ReadModelAdapter, tmp_path: Path) -> AsyncIterator[ReadModel]:
    model = adapter.make(tmp_path)
    yield model
    await model.close()
    await adapter.discard(tmp_path)


def helpdesk(clock: Clock) -> list[EventIn]:
    """Four conversations, interleaved, each longer than a batch of three events."""
    stories = [
        Story(
            clock,
            customer_id=f"cust-{n % 2}",
            department=("technical", "finance")[n % 2],
            tracking_code=f"6000{n:04d}",
        )
        for n in range(4)
    ]
    for story in stories:
        story.opened(by_agent=story is stories[3])
    for story in stories:
        story.agent_viewed()
        story.agent_reply("فاکتور ارسال شد", follow_up=story is stories[1])
    stories[0].customer_reply("پرداخت ناموفق بود")
    stories[1].internal_note("مشتری ویژه است")
    stories[2].transferred("refunds")
    stories[2].closed()
    stories[3].customer_read()
    return sorted((e for s in stories for e in s.events), key=lambda e: e.position)


async def assert_equals_a_fresh_fold(read_model: ReadModel, events: list[EventIn]) -> None:
    views, messages = folded(events)
    for key, view in views.items():
        assert await read_model.get(*key) == view
        assert len(await read_model.messages(*key)) == sum(
            1 for m in messages if (m.brand_id, m.ticket_id) == key
        )
    for scope in (AGENT, Scope("acme", "customer", customer_ids=frozenset({"cust-1"}))):
        assert await read_model.counters(scope) == expected_counters(views.values(), scope)
        assert await listed(read_model, scope, page=2) == expected_list(views.values(), scope)
        assert await listed(read_model, scope, Filter(unread=True)) == expected_list(
            views.values(), scope, Filter(unread=True)
        )
    assert await read_model.checkpoint() == events[-1].position


@pytest.mark.parametrize("size", [1, 3, 7])
async def test_a_reset_then_the_history_in_batches_ends_as_a_fresh_fold(
    read_model: ReadModel, size: int
) -> None:
    events = helpdesk(Clock())
    await project(read_model, events[:10])  # what was there before the rebuild
    await read_model.reset()
    for first in range(0, len(events), size):
        await project(read_model, events[first : first + size])
        if first % (3 * size) == 0:  # a redelivery of the batch before
            await project(read_model, events[max(0, first - size) : first + size])
    await assert_equals_a_fresh_fold(read_model, events)


async def test_a_reset_made_by_another_instance_is_seen_by_this_one(
    adapter: ReadModelAdapter, tmp_path: Path
) -> None:
    if not adapter.durable:
        pytest.skip("this adapter keeps nothing across instances")
    events = helpdesk(Clock())
    live, rebuilder = adapter.make(tmp_path), adapter.make(tmp_path)
    try:
        await project(live, events[:12])
        await rebuilder.reset()
        for first in range(0, len(events), 5):
            await project(rebuilder, events[first : first + 5])
        await assert_equals_a_fresh_fold(live, events)
        await project(live, events[-5:])  # the live one resumes: nothing changes
        await assert_equals_a_fresh_fold(rebuilder, events)
    finally:
        await live.close()
        await rebuilder.close()
        await adapter.discard(tmp_path)


@pytest.mark.parametrize("batch_size", [1, 4, 5000])
async def test_the_rebuild_use_case_ends_as_a_fresh_fold_on_every_adapter(
    read_model: ReadModel, batch_size: int
) -> None:
    # `ReadModel.rebuilding` (a copy made apart, or in place) through the use case that drives it.
    events = helpdesk(Clock())
    await project(read_model, events[:10])  # what was there before the rebuild
    reached = await rebuild(
        read_model, InMemoryFeed(events), progress=lambda *_: None, batch_size=batch_size
    )
    assert reached == events[-1].position
    await assert_equals_a_fresh_fold(read_model, events)
