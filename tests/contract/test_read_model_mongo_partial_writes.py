"""The MongoDB read model has no transactions: a batch's writes can stop half way (the server
went away). Whichever write fails, applying the history again from the checkpoint must end
equal to a fresh fold — messages included, which the projector derives only from events a
stored view has not folded yet (the failure test that stops FerretDB mid-projection found
views written before their messages, and the messages lost)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from read_model_fixtures import Clock, Story, folded, project
from ticketing_query.adapters import readmodel_mongo_writes
from ticketing_query.adapters.readmodel_mongo import MongoReadModel

from tests import engines

pytestmark = pytest.mark.integration


@pytest.fixture
async def read_model() -> AsyncIterator[MongoReadModel]:
    url, database = engines.mongodb_url(), f"test_partial_{uuid.uuid4().hex[:12]}"
    model = MongoReadModel(url, database=database)
    yield model
    await model.close()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await client.drop_database(database)
    finally:
        await client.close()


class ServerWentAway(Exception):
    pass


@pytest.mark.parametrize("failing", ["insert_messages", "write_views"])
async def test_a_batch_cut_short_at_any_write_then_replayed_ends_as_a_fresh_fold(
    read_model: MongoReadModel, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    clock = Clock()
    story = Story(clock)
    story.opened()
    first = list(story.events)
    await project(read_model, first)
    story.agent_reply("لطفاً دوباره امتحان کنید")
    story.customer_reply("ممنون، درست شد")
    rest = story.events[len(first) :]

    real = getattr(readmodel_mongo_writes, failing)

    async def fails(*args: Any, **kwargs: Any) -> Any:
        raise ServerWentAway(failing)

    monkeypatch.setattr(readmodel_mongo_writes, failing, fails)
    with pytest.raises(ServerWentAway):
        await project(read_model, rest)
    monkeypatch.setattr(readmodel_mongo_writes, failing, real)

    # The projector resumes after the checkpoint, which the failed batch never moved.
    checkpoint = await read_model.checkpoint()
    assert checkpoint == first[-1].position
    await project(read_model, [e for e in story.events if e.position > checkpoint])

    views, messages = folded(story.events)
    assert (
        await read_model.get(story.brand_id, story.ticket_id)
        == views[(story.brand_id, story.ticket_id)]
    )
    assert await read_model.messages(story.brand_id, story.ticket_id) == messages


async def test_a_batch_that_moves_many_stored_tickets_is_written_in_small_commands(
    read_model: MongoReadModel,
) -> None:
    """More stored tickets changed in one batch than one update command should carry on
    FerretDB (readmodel_mongo_writes.bulk_update)."""
    clock = Clock()
    stories = [Story(clock, tracking_code=f"7{n:07d}") for n in range(130)]
    for story in stories:
        story.opened()
    await project(read_model, [s.events[0] for s in stories])
    for story in stories:
        story.agent_reply("پاسخ کارشناس")
    await asyncio.wait_for(project(read_model, [s.events[1] for s in stories]), timeout=60)

    views, _ = folded(e for s in stories for e in s.events)
    for story in stories[::13]:
        key = (story.brand_id, story.ticket_id)
        assert await read_model.get(*key) == views[key]
    assert await read_model.checkpoint() == stories[-1].events[1].position
