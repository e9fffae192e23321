"""The SQLite writer remembers stream heads between batches; these check it never trusts them
when the file has changed under it (another store, e.g. another process, on the same file).

Run: `.venv/bin/pytest libs/eventstore/tests -q`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from ticketing_eventstore import DuplicateEventId, NewEvent, WrongExpectedVersion
from ticketing_eventstore.sqlite import SqliteEventStore


def _event() -> NewEvent:
    return NewEvent(str(uuid.uuid4()), "MessagePosted", {"body": "سلام"})


async def test_a_store_sees_versions_another_store_wrote_to_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with SqliteEventStore(path) as a, SqliteEventStore(path) as b:
        assert (await a.append("s", [_event()], expected_version=0)).version == 1
        assert (await b.append("s", [_event()], expected_version=1)).version == 2
        # a remembers s at 1; the file says 2.
        result = await a.append("s", [_event()], expected_version=2)
        assert (result.version, result.position) == (3, 3)
        with pytest.raises(WrongExpectedVersion) as refused:
            await a.append("s", [_event()], expected_version=2)
        assert refused.value.actual == 3
        # b's memory is stale in turn, also for a stream it never wrote.
        await a.append("t", [_event()], expected_version=0)
        with pytest.raises(WrongExpectedVersion):
            await b.append("s", [_event()], expected_version=2)
        assert (await b.append("t", [_event()], expected_version=1)).version == 2
        assert (await b.append("s", [_event()], expected_version=3)).position == 6
        assert (await a.append("t", [_event()], expected_version=2)).version == 3
        assert [e.stream_version for e in await a.read_stream("s")] == [1, 2, 3, 4]


async def test_heads_stay_right_after_a_batch_takes_the_careful_path(tmp_path: Path) -> None:
    async with SqliteEventStore(tmp_path / "events.db") as store:
        first = _event()
        await store.append("s", [first], expected_version=0)
        with pytest.raises(DuplicateEventId):
            await store.append("u", [first], expected_version=0)
        assert (await store.append("s", [_event()], expected_version=1)).version == 2
        assert (await store.append("u", [_event()], expected_version=0)).position == 3
        with pytest.raises(WrongExpectedVersion):
            await store.append("u", [_event()], expected_version=0)


async def test_appending_no_events_reports_the_remembered_head(tmp_path: Path) -> None:
    async with SqliteEventStore(tmp_path / "events.db") as store:
        await store.append("s", [_event(), _event()], expected_version=0)
        await store.append("t", [_event()], expected_version=0)
        result = await store.append("s", [], expected_version=2)
        assert (result.version, result.position) == (2, 2)
