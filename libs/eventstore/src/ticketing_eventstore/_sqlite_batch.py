"""One batch of appends written inside the writer thread's transaction (see `_sqlite_writer`).

Each request succeeds or fails on its own:

- expected versions are checked against the stream heads as of BEGIN IMMEDIATE (and the heads
  this batch has already moved); a mismatch fails that request and writes nothing of it. The
  heads are remembered from our own last commit while the table's last position shows nobody
  else has written since (`_heads_now`), and read from the table otherwise;
- the accepted requests' rows go in with one executemany (the fast path). If one of them
  hits a UNIQUE constraint (a duplicate event id, or a version someone took), the transaction
  is rolled back and redone one request at a time, each in its own SAVEPOINT, so only the
  offending requests fail (the careful path).
"""

from __future__ import annotations

import itertools
import json
import sqlite3

from ._handoff import AppendRequest, Outcome
from .ports import AppendResult, DuplicateEventId, EventStoreError, WrongExpectedVersion

_INSERT = (
    "INSERT INTO events (stream_id, stream_version, event_id, event_type, data, metadata,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# executemany of the one-row INSERT, not multi-row VALUES: measured at 64 rows a batch, a
# multi-row INSERT cost ~17 us a row against ~6 us (bench/eventstore_bench.py conditions).
_LAST_ROWID = "SELECT last_insert_rowid()"

# The last position, and each stream's last event (by the (stream_id, stream_version) index and
# the max() shortcut), in a single row: each statement and each result row is one more
# sqlite3_step, and each step gives up the GIL and may wait to get it back from the event loop.
_HEADS = (
    "SELECT (SELECT coalesce(max(position), 0) FROM events),"
    " json_group_array(json_array(e.stream_id, e.stream_version, e.position))"
    " FROM json_each(?) AS s JOIN events AS e ON e.stream_id = s.value AND e.stream_version ="
    " (SELECT max(stream_version) FROM events WHERE stream_id = s.value)"
)
_KNOWN_IDS = "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))"
_LAST_POSITION = "SELECT coalesce(max(position), 0) FROM events"
#: Streams whose heads the writer remembers between batches (the oldest written are forgotten).
_KNOWN_STREAMS = 10_000


class BatchWriter:
    """Writes a batch of `AppendRequest`s on the write connection in a transaction it begins
    (BEGIN IMMEDIATE; the writer commits it), and remembers the stream heads its commits left,
    so that the next batch need not look them up."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        # Heads as of our last commit, valid only while the table's last position is still
        # `_known_last` (nobody else, e.g. another process, has written since): see `_heads_now`.
        self._known: dict[str, tuple[int, int]] = {}
        self._known_last: int | None = None

    def forget(self) -> None:
        """The batch was not committed: what is remembered may be wrong."""
        self._known.clear()
        self._known_last = None

    def remember(
        self, batch: list[AppendRequest], outcomes: list[Outcome], last: int | None
    ) -> None:
        """Keep the committed heads, so that the next batch need not look them up."""
        known = self._known
        if last is None:  # the careful path: start afresh next time
            known.clear()
            self._known_last = None
            return
        for request, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, AppendResult):
                known.pop(request.stream_id, None)  # re-inserted last: forgotten last
                known[request.stream_id] = (outcome.version, outcome.position)
        for stream in list(itertools.islice(known, max(0, len(known) - _KNOWN_STREAMS))):
            del known[stream]
        self._known_last = last

    def write_all(
        self, batch: list[AppendRequest], recorded_at: str
    ) -> tuple[list[Outcome], int | None]:
        """The batch's outcomes, and the last position once it is written (None: not known)."""
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        base, heads = self._heads_now({request.stream_id for request in batch})
        try:
            written = self._write_together(batch, base, dict(heads), recorded_at)
        except sqlite3.IntegrityError:
            written = None
        if written is not None:
            return written
        # A duplicate event id (rare): start again one request at a time, each in its own
        # savepoint, so that only the offending requests fail. (No savepoint around the
        # fast path: inside one, SQLite journals every page it changes a second time.)
        connection.execute("ROLLBACK")
        connection.execute("BEGIN IMMEDIATE")
        _, heads = self._heads({request.stream_id for request in batch})
        return self._write_one_by_one(batch, heads, recorded_at), None

    def _write_together(
        self,
        batch: list[AppendRequest],
        base: int,
        heads: dict[str, tuple[int, int]],
        recorded_at: str,
    ) -> tuple[list[Outcome], int] | None:
        """The fast path: every accepted request's rows in one executemany.

        Positions are worked out from `base`, the last position when the transaction began:
        AUTOINCREMENT rowids only grow and we hold the write lock, so ours follow it one by one;
        the last rowid confirms it (None, and the careful path, if it does not match).
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
        if rows:
            self._connection.executemany(_INSERT, rows)
            [(last,)] = self._connection.execute(_LAST_ROWID)
            if last != base + len(rows):
                return None
        outcomes: list[Outcome] = [
            step
            if isinstance(step, EventStoreError)
            else AppendResult(step[0], step[2] if step[1] is None else base + step[1] + 1)
            for step in plan
        ]
        return outcomes, base + len(rows)

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
        return self._heads({stream_id})[1].get(stream_id, (0, 0))

    def _heads_now(self, streams: set[str]) -> tuple[int, dict[str, tuple[int, int]]]:
        """`_heads`, from memory when the table has not changed since our last commit.

        Inside BEGIN IMMEDIATE we hold the write lock; positions only grow and rows are never
        deleted, so a last position still equal to the one our last commit left means nobody
        has written since, and the heads we remember are the table's. Only streams we do not
        remember are looked up. (Had the memory been wrong anyway, UNIQUE(stream_id,
        stream_version) would still refuse a version already taken.)
        """
        known_last = self._known_last
        if known_last is None:  # what we remember may be stale: forget it
            self._known.clear()
            return self._heads(streams)
        [(last,)] = self._connection.execute(_LAST_POSITION)
        if last != known_last:
            self._known.clear()
            return self._heads(streams)
        known = self._known
        heads = {stream: known[stream] for stream in streams if stream in known}
        if len(heads) < len(streams):
            heads |= self._heads(streams - heads.keys())[1]
        return last, heads

    def _heads(self, streams: set[str]) -> tuple[int, dict[str, tuple[int, int]]]:
        """The last position, and (version, last position) of each of `streams` that exists."""
        [(last, heads)] = self._connection.execute(_HEADS, (json.dumps(list(streams)),))
        return last, {stream: (version, at) for stream, version, at in json.loads(heads)}


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
