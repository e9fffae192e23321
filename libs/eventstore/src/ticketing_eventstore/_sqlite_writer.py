"""The SQLite adapter's writer thread: group commit of queued appends.

One thread owns the write connection. Every append waiting in the queue when the thread comes
round goes into ONE transaction (one fsync), each request inside its own savepoint so that a
conflict fails that request alone. While a commit is being fsynced new requests pile up, so the
batch size follows the load without any timer. After each commit the writer pulls the
`CommitSignal`, which wakes subscribers waiting on any event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .ports import AppendResult, DuplicateEventId, EventStoreError, WrongExpectedVersion

#: (event_id, event_type, data JSON, metadata JSON) of one event to insert.
EncodedEvent = tuple[str, str, str, str]

_INSERT = (
    "INSERT INTO events (stream_id, stream_version, event_id, event_type, data, metadata,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# Rows per INSERT statement: one statement is one sqlite3_step, so the writer thread gives up
# and retakes the GIL once per chunk rather than once per row (as executemany would), which
# matters while the event loop thread is busy. 256 x 7 parameters stay far below SQLite's limit.
_ROWS_PER_INSERT = 256


@functools.lru_cache(maxsize=_ROWS_PER_INSERT)
def _insert_rows(count: int) -> str:
    return _INSERT + ", (?, ?, ?, ?, ?, ?, ?)" * (count - 1)


# Each stream's last event, by the (stream_id, stream_version) index and the max() shortcut.
# Aggregated into one JSON row: each result row would be one more sqlite3_step, and each step
# gives up the GIL and may wait to get it back from the busy event loop thread.
_STREAM_HEADS = (
    "SELECT json_group_array(json_array(e.stream_id, e.stream_version, e.position))"
    " FROM json_each(?) AS s JOIN events AS e ON e.stream_id = s.value AND e.stream_version ="
    " (SELECT max(stream_version) FROM events WHERE stream_id = s.value)"
)
_HEAD = "SELECT coalesce(max(position), 0) FROM events"
_KNOWN_IDS = "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))"


@dataclass(slots=True)
class AppendRequest:
    """One caller's append, waiting for the writer; the future is settled on `loop`."""

    stream_id: str
    events: list[EncodedEvent]
    expected_version: int | None
    future: asyncio.Future[AppendResult]
    loop: asyncio.AbstractEventLoop


Outcome = AppendResult | BaseException


def settle_all(settled: list[tuple[AppendRequest, Outcome]]) -> None:
    """Hand each outcome to its caller's loop: one call per loop, not one per request, since
    every thread-safe call writes to the loop's wake-up pipe and contends for the GIL."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[AppendResult], Outcome]]]
    by_loop = {}
    for request, outcome in settled:
        by_loop.setdefault(request.loop, []).append((request.future, outcome))
    for loop, outcomes in by_loop.items():
        # The loop may be closed already (its owner gave up waiting): nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[tuple[asyncio.Future[AppendResult], Outcome]]) -> None:
    for future, outcome in outcomes:
        if future.done():  # the caller was cancelled; the append still happened
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class Writer:
    """Drains `AppendRequest`s from a queue and commits them in batches on its own thread."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        on_commit: Callable[[], None],
        *,
        max_batch_requests: int = 500,
        max_batch_events: int = 5000,
    ) -> None:
        self._connection = connection
        self._on_commit = on_commit
        self._max_requests = max_batch_requests
        self._max_events = max_batch_events
        self._queue: queue.SimpleQueue[AppendRequest | None] = queue.SimpleQueue()
        self._carry: AppendRequest | None = None
        self._thread = threading.Thread(target=self._run, name="eventstore-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: AppendRequest) -> None:
        self._queue.put(request)

    def stop(self) -> None:
        """Commit everything queued before this call, then end the thread (blocking)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch()
            if batch:
                self._commit(batch)

    def _next_batch(self) -> tuple[list[AppendRequest], bool]:
        first = self._carry if self._carry is not None else self._queue.get()
        self._carry = None
        if first is None:
            return [], True
        batch, events = [first], len(first.events)
        while len(batch) < self._max_requests and events < self._max_events:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request is None:
                return batch, True
            batch.append(request)
            events += len(request.events)
        return batch, False

    def _commit(self, batch: list[AppendRequest]) -> None:
        connection = self._connection
        recorded_at = datetime.now(UTC).isoformat()
        try:
            connection.execute("BEGIN IMMEDIATE")
            outcomes = self._write_all(batch, recorded_at)
            connection.execute("COMMIT")  # the one fsync of the whole batch
        except Exception as error:  # disk full, lock timeout, a bug: nobody may hang
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            reason = f"append batch not committed: {error}"
            settle_all([(request, EventStoreError(reason)) for request in batch])
            return
        self._on_commit()
        settle_all(list(zip(batch, outcomes, strict=True)))

    def _write_all(self, batch: list[AppendRequest], recorded_at: str) -> list[Outcome]:
        connection = self._connection
        heads = self._stream_heads({request.stream_id for request in batch})
        connection.execute("SAVEPOINT batch")
        try:
            outcomes = self._write_together(batch, dict(heads), recorded_at)
        except sqlite3.IntegrityError:
            outcomes = None
        if outcomes is None:
            # A duplicate event id (rare): redo the batch one request at a time, each in its
            # own savepoint, so that only the offending requests fail.
            connection.execute("ROLLBACK TO batch")
            outcomes = self._write_one_by_one(batch, heads, recorded_at)
        connection.execute("RELEASE batch")
        return outcomes

    def _write_together(
        self, batch: list[AppendRequest], heads: dict[str, tuple[int, int]], recorded_at: str
    ) -> list[Outcome] | None:
        """The fast path: every accepted request's rows in a few multi-row INSERTs.

        Positions are worked out from the head before the insert, which is exact because
        AUTOINCREMENT rowids only grow and we hold the write lock; the last rowid confirms it
        (None, and the careful path, if it does not match).
        """
        rows: list[tuple[str, int, str, str, str, str, str]] = []
        last_row: dict[str, int] = {}  # the stream's last row in `rows`, once it has one
        plan: list[EventStoreError | tuple[int, int | None, int]] = []
        for request in batch:
            stream = request.stream_id
            version, position = heads.get(stream, (0, 0))
            try:
                version = _first_version(request, version)
            except WrongExpectedVersion as error:
                plan.append(error)
                continue
            for event_id, event_type, data, metadata in request.events:
                version += 1
                rows.append((stream, version, event_id, event_type, data, metadata, recorded_at))
            if request.events:
                last_row[stream] = len(rows) - 1
            heads[stream] = (version, position)
            plan.append((version, last_row.get(stream), position))
        base = 0
        if rows:
            base = self._connection.execute(_HEAD).fetchone()[0]
            for start in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[start : start + _ROWS_PER_INSERT]
                self._connection.execute(_insert_rows(len(chunk)), [*itertools.chain(*chunk)])
            last = self._connection.execute("SELECT last_insert_rowid()").fetchone()[0]
            if last != base + len(rows):
                return None
        return [
            step
            if isinstance(step, EventStoreError)
            else AppendResult(step[0], step[2] if step[1] is None else base + step[1] + 1)
            for step in plan
        ]

    def _write_one_by_one(
        self, batch: list[AppendRequest], heads: dict[str, tuple[int, int]], recorded_at: str
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for request in batch:
            head = heads.get(request.stream_id, (0, 0))
            try:
                result = self._write_one(request, head, recorded_at)
            except EventStoreError as error:
                outcomes.append(error)
                continue
            heads[request.stream_id] = (result.version, result.position)
            outcomes.append(result)
        return outcomes

    def _write_one(
        self, request: AppendRequest, head: tuple[int, int], recorded_at: str
    ) -> AppendResult:
        version, position = head
        version = _first_version(request, version)
        connection = self._connection
        connection.execute("SAVEPOINT append_request")
        try:
            for event_id, event_type, data, metadata in request.events:
                version += 1
                cursor = connection.execute(
                    _INSERT,
                    (request.stream_id, version, event_id, event_type, data, metadata, recorded_at),
                )
                position = cursor.lastrowid or 0
        except sqlite3.IntegrityError as error:
            connection.execute("ROLLBACK TO append_request")
            connection.execute("RELEASE append_request")
            raise self._conflict(request, error) from error
        connection.execute("RELEASE append_request")
        return AppendResult(version=version, position=position)

    def _conflict(self, request: AppendRequest, error: sqlite3.IntegrityError) -> EventStoreError:
        """Name the UNIQUE constraint that refused the request."""
        if "event_id" in str(error):
            ids = [event_id for event_id, *_ in request.events]
            known = {row[0] for row in self._connection.execute(_KNOWN_IDS, (json.dumps(ids),))}
            repeated = next((i for i in ids if i in known or ids.count(i) > 1), ids[0])
            return DuplicateEventId(request.stream_id, repeated)
        # The (stream_id, stream_version) key: someone wrote the stream after our check.
        actual, _ = self._stream_head(request.stream_id)
        return WrongExpectedVersion(request.stream_id, request.expected_version, actual)

    def _stream_head(self, stream_id: str) -> tuple[int, int]:
        return self._stream_heads({stream_id}).get(stream_id, (0, 0))

    def _stream_heads(self, streams: set[str]) -> dict[str, tuple[int, int]]:
        """(version, position of the last event) of each stream that exists, in one query."""
        [(heads,)] = self._connection.execute(_STREAM_HEADS, (json.dumps(list(streams)),))
        return {stream: (version, position) for stream, version, position in json.loads(heads)}


def _first_version(request: AppendRequest, actual: int) -> int:
    """The version the request's first event follows, or WrongExpectedVersion."""
    expected = request.expected_version
    if expected is None:
        return actual
    if expected != actual:
        raise WrongExpectedVersion(request.stream_id, expected, actual)
    # The caller's number, not ours: had this check been wrong, UNIQUE(stream_id,
    # stream_version) would still refuse the rows.
    return expected


class CommitSignal:
    """Wakes subscribers (on whatever event loop they run) when the writer has committed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._lock:
            self._generation += 1
            waiters, self._waiters = self._waiters, set()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed; nobody to wake
                loop.call_soon_threadsafe(_wake, future)

    async def wait(self, since: int, at_most: float) -> None:
        """Return at the first commit after generation `since`, or after `at_most` seconds."""
        loop = asyncio.get_running_loop()
        waiter = (loop, loop.create_future())
        with self._lock:
            if self._generation != since:
                return
            self._waiters.add(waiter)
        try:
            await asyncio.wait({waiter[1]}, timeout=at_most)
        finally:
            with self._lock:
                self._waiters.discard(waiter)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
