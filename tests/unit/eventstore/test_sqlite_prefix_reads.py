"""The SQLite store's prefix reads (`/v1/events` of one brand, the feeds' `ticket-`): the same
events as filtering the whole history, a page of a small brand without walking every position of
the big ones, and a file made before the group index gaining it on open with nothing lost.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ticketing_eventstore import NewEvent
from ticketing_eventstore._sqlite_reads import scan
from ticketing_eventstore.sqlite import SqliteEventStore

#: The events table as it was before `events_by_group` (commit b8f49c4), to make old files.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version >= 1),
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
);
"""

# Stream ids whose groups (the id without its trailing hex) nest in every way a prefix can meet:
# two brands where one's name starts the other's, a brand ending in hex letters, ids that are all
# hex (group ""), ids with no hex tail (their own group), and a non-ticket stream.
STREAMS = (
    "ticket-acme-0a1b2c",
    "ticket-acme-ffee00",
    "ticket-acmecorp-123abc",
    "ticket-acmecafe-9d9d",
    "ticket-beh-پیامک-ab12",
    "ticket-ایران_خودرو-77aa",
    "ticket-acme-zz",
    "abc123",
    "orders-acme-0f",
    "ticket-",
)
PREFIXES = (
    "",
    "t",
    "ticket-",
    "ticket-acme",
    "ticket-acme-",
    "ticket-acme-0",
    "ticket-acmec",
    "ticket-beh-",
    "ticket-ایران_خودرو-",
    "ticket-a_me-",
    "ticket-acme-zz",
    "ab",
    "abc123",
    "orders-",
    "nothing-",
)


def _event(body: str = "سلام، پیامک‌ها ارسال نمی‌شود") -> NewEvent:
    return NewEvent(str(uuid.uuid4()), "MessagePosted", {"body": body})


def _appended(path: Path, streams: list[str]) -> None:
    async def write() -> None:
        async with SqliteEventStore(path, synchronous="OFF") as store:
            for stream in streams:
                await store.append(stream, [_event()], expected_version=None)

    asyncio.run(write())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    streams=st.lists(st.sampled_from(STREAMS), min_size=1, max_size=40),
    prefix=st.sampled_from(PREFIXES),
    after=st.integers(min_value=0, max_value=45),
    limit=st.integers(min_value=1, max_value=12),
)
def test_a_prefix_read_returns_what_filtering_all_events_returns(
    tmp_path_factory: object, streams: list[str], prefix: str, after: int, limit: int
) -> None:
    path = Path(str(tmp_path_factory.mktemp("prefix"))) / "events.db"  # type: ignore[attr-defined]
    _appended(path, streams)
    connection = sqlite3.connect(path)
    try:
        everything, _ = scan(connection, 0, 10_000, None)
        expected = [e for e in everything if e.position > after and e.stream_id.startswith(prefix)]
        found, reached = scan(connection, after, limit, prefix)
    finally:
        connection.close()
    assert [e.event_id for e in found] == [e.event_id for e in expected[:limit]]
    head = everything[-1].position
    assert reached == (found[-1].position if len(found) >= limit else max(head, after))


def test_a_small_brands_page_does_not_walk_the_big_brands_positions(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    _appended(path, ["ticket-kuchak-0a"])
    connection = sqlite3.connect(path)
    try:
        rows = [
            (f"ticket-bozorg-{n:032x}", 1, uuid.uuid4().hex, "TicketOpened", "{}", "{}", "2026")
            for n in range(20_000)
        ]
        connection.executemany(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, data,"
            " metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.commit()
        _appended(path, ["ticket-kuchak-0b"])
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        connection.set_progress_handler(count, 100)  # called every 100 VM instructions
        found, reached = scan(connection, 0, 100, "ticket-kuchak-")
    finally:
        connection.close()
    assert [e.stream_id for e in found] == ["ticket-kuchak-0a", "ticket-kuchak-0b"]
    assert reached == 20_002
    # Walking 20,000 positions costs tens of thousands of instructions per row visited; the
    # group index reads the brand's two entries and a few seeks.
    assert steps * 100 < 20_000


def test_a_file_made_before_the_group_index_gets_it_on_open_and_loses_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.db"
    old = sqlite3.connect(path)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript(OLD_SCHEMA)
    written = [
        (stream, version, uuid.uuid4().hex, "MessagePosted", json.dumps({"body": body}), "{}")
        for stream, version, body in (
            ("ticket-acme-0a", 1, "پیامک نمی‌رسد"),
            ("ticket-zarin-0b", 1, "فاكتور صادر نشد"),  # the Arabic kaf
            ("ticket-acme-0a", 2, "ممنون"),
            ("ticket-acme-0c", 1, "سرور\u200cها قطع است"),
        )
    ]
    old.executemany(
        "INSERT INTO events (stream_id, stream_version, event_id, event_type, data, metadata,"
        " recorded_at) VALUES (?, ?, ?, ?, ?, ?, '2026-12-02T10:00:00+00:00')",
        written,
    )
    old.commit()
    old.close()

    async def reopened() -> tuple[list[object], list[object], int]:
        async with SqliteEventStore(path) as store:
            every = await store.read_all()
            acme = await store.read_all(stream_prefix="ticket-acme-")
            appended = await store.append("ticket-acme-0d", [_event()], expected_version=0)
            return every, acme, appended.position

    every, acme, position = asyncio.run(reopened())
    assert [(e.stream_id, e.stream_version, e.event_id, e.data) for e in every] == [  # type: ignore[attr-defined]
        (stream, version, event_id, json.loads(data))
        for stream, version, event_id, _, data, _ in written
    ]
    assert [e.position for e in acme] == [1, 3, 4]  # type: ignore[attr-defined]
    assert position == 5
    check = sqlite3.connect(path)
    try:
        names = {row[0] for row in check.execute("SELECT name FROM sqlite_master")}
        plan = check.execute(
            "EXPLAIN QUERY PLAN SELECT position FROM events"
            " WHERE rtrim(stream_id, '0123456789abcdef') = ? AND position > ? ORDER BY position",
            ("ticket-acme-", 0),
        ).fetchall()
    finally:
        check.close()
    assert "events_by_group" in names
    assert "events_by_group" in plan[0][3]
