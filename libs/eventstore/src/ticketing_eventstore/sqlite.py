"""SqliteEventStore: the durable event store of the embedded mode, one SQLite file in WAL mode.

Durability: with `synchronous="FULL"` (the default) `append` returns only after the transaction
holding its events has been committed and the WAL fsynced. Appends are group-committed (see
`_sqlite_writer`): concurrent appends share one transaction and one fsync, and each still fails
or succeeds on its own. `synchronous="NORMAL"` trades the last commits before a power loss (not
before a process crash) for speed; "OFF" is for throwaway data only.

Concurrency: the database guards optimistic concurrency with UNIQUE(stream_id, stream_version)
(the Python pre-check only words the error). Several processes may open the same file: each has
its own writer thread, and SQLite's write lock (with a busy timeout) serialises them.

Global order: positions are the table's AUTOINCREMENT rowids. Only one transaction can write at a
time (BEGIN IMMEDIATE takes the write lock), so rowids become visible in commit order and a reader
never sees position n+1 while n is still to come: subscribers can safely resume after the last
position they saw, with no gap to be filled later.

Reads run on a small pool of reader threads, one connection each, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import Concatenate, ParamSpec, Self, TypeVar

from ticketing_sqlite import SqliteReaders, retry_while_locked

from ._handoff import AppendRequest, CommitSignal
from ._sqlite_reads import HEAD, READ_STREAM, fetch_all, scan, to_event
from ._sqlite_schema import prepare
from ._sqlite_writer import Writer
from .memory import encode_json
from .ports import AppendResult, EventBatch, EventStoreClosed, NewEvent, RecordedEvent

P = ParamSpec("P")
T = TypeVar("T")

# Whitelisted, so a setting never reaches SQL as text.
_SYNCHRONOUS = {
    "OFF": "PRAGMA synchronous=OFF",
    "NORMAL": "PRAGMA synchronous=NORMAL",
    "FULL": "PRAGMA synchronous=FULL",
    "EXTRA": "PRAGMA synchronous=EXTRA",
}


class SqliteEventStore:
    """Event store in one SQLite file; see the module docstring for its durability promise.

    Construction does no IO; the file is opened by `open()`, `async with`, or the first call.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        poll_interval: float = 0.25,
        readers: int = 4,
        busy_timeout: float = 30.0,
        max_batch_requests: int = 500,
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {sorted(_SYNCHRONOUS)}")
        self._path = os.fspath(path)
        self._synchronous = _SYNCHRONOUS[synchronous.upper()]
        self._poll_interval = poll_interval
        self._reader_count = readers
        self._busy_timeout = busy_timeout
        self._max_batch_requests = max_batch_requests
        self._signal = CommitSignal()
        self._open_lock = threading.Lock()  # held through the file IO of opening
        self._lock = threading.Lock()  # brief: the closed flag, submitting
        self._closed = False
        self._writer: Writer | None = None
        self._write_connection: sqlite3.Connection | None = None
        self._readers: SqliteReaders | None = None

    async def open(self) -> Self:
        """Create the file and schema if needed and start the writer thread (idempotent)."""
        if self._writer is None:
            await asyncio.to_thread(self._open_sync)
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None,
    ) -> AppendResult:
        """Append atomically; returns once committed. Cancelling the caller does not undo it."""
        if expected_version is not None and expected_version < 0:
            raise ValueError(f"expected_version must be >= 0 or None, got {expected_version}")
        # Encoded here so a payload that is not JSON fails in the caller, not in the batch.
        encoded = [
            (e.event_id, e.event_type, encode_json(dict(e.data)), encode_json(dict(e.metadata)))
            for e in events
        ]
        if self._writer is None:
            await self.open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AppendResult] = loop.create_future()
        with self._lock:
            if self._closed or self._writer is None:
                raise _closed_error()
            self._writer.submit(AppendRequest(stream_id, encoded, expected_version, future, loop))
        return await future

    async def read_stream(self, stream_id: str, *, from_version: int = 1) -> list[RecordedEvent]:
        """The stream's events from `from_version` on, oldest first."""
        rows = await self._read(fetch_all, READ_STREAM, (stream_id, from_version))
        return [to_event(row) for row in rows]

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, stream_prefix: str | None = None
    ) -> list[RecordedEvent]:
        """Up to `limit` events after position `after`, optionally for one stream prefix."""
        events, _ = await self._read(scan, after, limit, stream_prefix)
        return events

    async def head_position(self) -> int:
        """The position of the last committed event (0 when empty)."""
        rows = await self._read(fetch_all, HEAD, ())
        return int(rows[0][0])

    async def subscribe(
        self, *, after: int = 0, stream_prefix: str | None = None, batch_size: int = 1000
    ) -> AsyncIterator[RecordedEvent]:
        """History after `after`, then live events, until the store closes.

        Woken within about a millisecond by this process's commits; other processes' commits
        on the same file are noticed by polling every `poll_interval` seconds.
        """
        batches = self.subscribe_batches(after=after, stream_prefix=stream_prefix, limit=batch_size)
        async with contextlib.aclosing(batches):
            async for batch in batches:
                for event in batch.events:
                    yield event

    async def subscribe_batches(
        self, *, after: int = 0, stream_prefix: str | None = None, limit: int = 1000
    ) -> AsyncGenerator[EventBatch, None]:
        """`subscribe` a batch at a time, with the position reached (see the port)."""
        cursor = after
        while not self._closed:
            # Read the generation before the batch, so a commit landing during it is not missed.
            generation = self._signal.generation
            try:
                events, reached = await self._read(scan, cursor, limit, stream_prefix)
            except EventStoreClosed:
                return
            if events or reached > cursor:
                cursor = reached
                yield EventBatch(events, reached)
            if len(events) < limit:  # caught up with the head: wait for the next commit
                await self._signal.wait(generation, self._poll_interval)

    async def close(self) -> None:
        """Commit the appends already queued, stop the threads, close every connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        await asyncio.to_thread(self._close_sync)
        self._signal.notify()  # subscribers see the store closed and end

    def _open_sync(self) -> None:
        with self._open_lock:
            if self._closed:
                raise _closed_error()
            if self._writer is not None:
                return
            connection = self._connect()
            try:
                retry_while_locked(lambda: prepare(connection), timeout=self._busy_timeout)
            except BaseException:
                connection.close()
                raise
            self._write_connection = connection
            self._readers = SqliteReaders(
                self._connect,
                threads=self._reader_count,
                thread_name_prefix="eventstore-read",
                closed=_closed_error,
            )
            writer = Writer(
                connection, self._signal.notify, max_batch_requests=self._max_batch_requests
            )
            writer.start()
            self._writer = writer

    def _close_sync(self) -> None:
        with self._open_lock:
            self._close_resources()

    def _close_resources(self) -> None:
        if self._writer is not None:
            self._writer.stop()
        if self._readers is not None:
            self._readers.close()
        if self._write_connection is not None:
            self._write_connection.close()

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves. check_same_thread=False: the
        # connection is made on one thread and used (then closed) on another, never concurrently.
        connection = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute(self._synchronous)
        return connection

    async def _read(
        self,
        query: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        await self.open()
        readers = self._readers
        if self._closed or readers is None:
            raise _closed_error()
        return await readers.run(query, *args, **kwargs)


def _closed_error() -> EventStoreClosed:
    return EventStoreClosed("the event store is closed")
