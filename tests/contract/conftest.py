"""Adapters of the event store port, each run through the one contract suite.

A new adapter is one entry in ADAPTERS: how to make a store in a scratch directory, whether it
is durable, and how to hold its writes back for a moment (for the group-commit test). A real
engine's entry carries `marks=pytest.mark.integration`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from ticketing_eventstore import EventStore, InMemoryEventStore, SqliteEventStore

HoldWrites = Callable[[Path], contextlib.AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def _nothing_to_hold(_: Path) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _hold_sqlite_write_lock(directory: Path) -> AsyncIterator[None]:
    """Take the file's write lock from another connection: appends queue up behind it and
    reach the writer together, as one batch, when it is released."""
    blocker = sqlite3.connect(directory / "events.db", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        yield
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()


@dataclass(frozen=True)
class Adapter:
    """How the contract suite makes and handles one adapter's stores."""

    make: Callable[[Path], EventStore]
    durable: bool = False
    hold_writes: HoldWrites = _nothing_to_hold


ADAPTERS = {
    "memory": Adapter(make=lambda _: InMemoryEventStore()),
    "sqlite": Adapter(
        make=lambda directory: SqliteEventStore(directory / "events.db"),
        durable=True,
        hold_writes=_hold_sqlite_write_lock,
    ),
}


@pytest.fixture(params=[pytest.param(name, id=name) for name in ADAPTERS])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


@pytest.fixture
async def store(adapter: Adapter, tmp_path: Path) -> AsyncIterator[EventStore]:
    event_store = adapter.make(tmp_path)
    yield event_store
    await event_store.close()
