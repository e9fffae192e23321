"""Every SQLite-backed store opens a new file even while another process holds its lock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from ticketing_eventstore import NewEvent
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel


@asynccontextmanager
async def locked_for_a_moment(path: Path) -> AsyncIterator[None]:
    """Another process's write transaction on a brand-new file, committed after 0.2 s."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def commit_soon() -> None:
        await asyncio.sleep(0.2)
        other.execute("COMMIT")

    committing = asyncio.create_task(commit_soon())
    try:
        yield
    finally:
        await committing
        other.close()


async def test_the_event_store_waits_for_the_lock_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with locked_for_a_moment(path), SqliteEventStore(path) as store:
        event = NewEvent("0b7e8c1a-4f2d-4c6b-9a1e-3d5f7b9c1e2a", "TicketOpened", {"title": "سلام"})
        result = await store.append("ticket-acme-" + "a" * 32, [event], expected_version=0)
    assert result.version == 1


async def test_the_read_model_waits_for_the_lock_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "query.db"
    async with locked_for_a_moment(path):
        model = SqliteReadModel(path)
        assert await model.checkpoint() == 0
        await model.close()
