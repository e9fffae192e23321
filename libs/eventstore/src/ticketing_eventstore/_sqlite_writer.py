"""The SQLite adapter's writer thread: group commit of queued appends.

One thread owns the write connection. Every append waiting in the queue when the thread comes
round goes into ONE transaction (one fsync); while a commit is being fsynced new requests pile
up, so the batch size follows the load without any timer. Each request still succeeds or fails
on its own (`_sqlite_batch`: version checks, the fast and the careful path); if the COMMIT
itself fails, every request of the batch fails.

After each commit the writer pulls the `CommitSignal`, which wakes subscribers on any event loop.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from ._handoff import AppendRequest, Settlement, settle_all
from ._sqlite_batch import BatchWriter
from .ports import EventStoreError


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
        self._batches = BatchWriter(connection)
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
        committed: list[Settlement] = []  # committed, callers not told yet
        stopping = False
        while not stopping:
            batch, stopping = self._next_batch(wait=not committed)
            if batch:
                committed = self._commit(batch, committed)
            else:  # nothing else queued: tell the callers now
                settle_all(committed)
                committed = []
        settle_all(committed)

    def _next_batch(self, *, wait: bool) -> tuple[list[AppendRequest], bool]:
        try:
            first = self._queue.get() if wait else self._queue.get_nowait()
        except queue.Empty:
            return [], False
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

    def _commit(self, batch: list[AppendRequest], previous: list[Settlement]) -> list[Settlement]:
        """Write and commit `batch`; tell `previous` (already committed) on the way.

        The previous batch's callers are told after this batch is written and before its
        COMMIT: the event loop then handles them while the COMMIT waits for the disk without
        the GIL, instead of the two threads taking turns at it. Under light load there is no
        next batch and `_run` tells them at once.
        """
        connection = self._connection
        recorded_at = datetime.now(UTC).isoformat()
        try:
            outcomes, last = self._batches.write_all(batch, recorded_at)
            settle_all(previous)
            previous = []
            connection.execute("COMMIT")  # the one fsync of the whole batch
        except Exception as error:  # disk full, lock timeout, a bug: nobody may hang
            self._batches.forget()
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            reason = f"append batch not committed: {error}"
            settle_all([*previous, *((request, EventStoreError(reason)) for request in batch)])
            return []
        self._batches.remember(batch, outcomes, last)
        self._on_commit()
        return list(zip(batch, outcomes, strict=True))
