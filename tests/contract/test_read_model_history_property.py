"""The read model contract's property: any history, split into any batches and redelivered in
part, leaves every adapter (read_model_fixtures.READ_MODELS) equal to a fresh fold of it."""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
from ticketing_model import Scope
from ticketing_query.application.ports import TicketFilter as Filter

from tests.unit.model.histories import ACTIONS, BRANDS, CUSTOMERS, DEPARTMENTS

BODIES = ("سلام، پنل کار نمی‌کند", "پرداخت ناموفق بود", "فاكتور ۱۴۰۳ را بفرستید", "ok")

histories = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS), st.integers(0, 2)),
    min_size=1,
    max_size=60,
)


def tell(steps: list[tuple[int, str, int]], seed: int) -> list[Story]:
    """Six tickets over two brands, three customers and three departments, then the steps."""
    clock = Clock()
    rng = random.Random(seed)
    stories = [
        Story(
            clock,
            brand_id=BRANDS[n % 2],
            customer_id=CUSTOMERS[n % 3],
            department=DEPARTMENTS[n % 3],
            tracking_code=f"5000{n:04d}",
        )
        for n in range(6)
    ]
    for story in stories:
        story.opened(by_agent=rng.random() < 0.3, seconds=rng.choice((0, 30)))
    for ticket, action, arg in steps:
        story = stories[ticket]
        match action:
            case "customer_reply":
                story.customer_reply(BODIES[arg])
            case "agent_reply" | "follow_up":
                story.agent_reply(BODIES[arg + 1], follow_up=action == "follow_up")
            case "internal_note":
                story.internal_note(BODIES[arg])
            case "transferred":
                story.transferred(DEPARTMENTS[arg])
            case "priority":
                story.priority_changed(("low", "high", "urgent")[arg])
            case "assigned":
                story.assigned(None if arg == 0 else f"agent-{arg}")
            case _:
                getattr(story, action)()
    return stories


@pytest.mark.parametrize("name", ADAPTER_PARAMS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=histories, seed=st.integers(0, 2**16), splits=st.lists(st.integers(1, 12), max_size=8))
def test_any_history_in_any_batches_with_redeliveries_ends_as_a_fresh_fold(
    name: str, steps: list[tuple[int, str, int]], seed: int, splits: list[int]
) -> None:
    stories = tell(steps, seed)
    events = sorted((e for s in stories for e in s.events), key=lambda e: e.position)
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(_project_and_compare(READ_MODELS[name], Path(directory), events, splits, seed))


async def _project_and_compare(
    adapter: ReadModelAdapter, directory: Path, events: list[EventIn], splits: list[int], seed: int
) -> None:
    rng = random.Random(seed)
    read_model = adapter.make(directory)
    try:
        batches: list[list[EventIn]] = []
        at = 0
        for size in [*splits, len(events)]:
            batches.append(events[at : at + size])
            at += size
        applied: list[list[EventIn]] = []
        for batch in (b for b in batches if b):
            await project(read_model, batch)
            applied.append(batch)
            if rng.random() < 0.3:  # a redelivery: an earlier batch, folded again
                await project(read_model, rng.choice(applied))
        views, messages = folded(events)
        for key, view in views.items():
            assert await read_model.get(*key) == view
        for brand in BRANDS:
            scopes = [
                Scope(brand, "agent"),
                Scope(brand, "customer"),
                *(Scope(brand, "agent", departments=frozenset({d})) for d in DEPARTMENTS),
                Scope(brand, "agent", departments=frozenset(DEPARTMENTS[:2])),
                *(Scope(brand, "customer", customer_ids=frozenset({c})) for c in CUSTOMERS),
            ]
            for scope in scopes:
                assert await read_model.counters(scope) == expected_counters(views.values(), scope)
                for where in (Filter(), Filter(unread=True), Filter(terms=("پ",))):
                    assert await listed(read_model, scope, where, page=4) == expected_list(
                        views.values(), scope, where
                    )
            stored = [
                m for key in views if key[0] == brand for m in await read_model.messages(*key)
            ]
            assert len(stored) == sum(1 for m in messages if m.brand_id == brand)
        assert await read_model.checkpoint() == events[-1].position
    finally:
        await read_model.close()
        await adapter.discard(directory)
