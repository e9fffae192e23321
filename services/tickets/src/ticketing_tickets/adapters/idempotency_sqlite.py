"""Idempotency-Key records in a SQLite file beside the event store (embedded mode).

The claim is one INSERT ... ON CONFLICT guarded by the primary key, so two requests with the
same key can never both run, whichever process they are in.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

from ticketing_sqlite import connect, enable_wal, retry_while_locked, write_transaction

from ticketing_tickets.application.ports import (
    Claimed,
    IdempotencyOutcome,
    InFlight,
    StoredResponse,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    at REAL NOT NULL,
    status INTEGER,
    body BLOB
);
CREATE INDEX IF NOT EXISTS idempotency_at ON idempotency(at);
"""


def _prepare(conn: sqlite3.Connection) -> None:
    enable_wal(conn)
    conn.executescript(_SCHEMA)


class SqliteIdempotencyStore:
    def __init__(
        self,
        path: Path,
        *,
        ttl: timedelta = timedelta(hours=24),
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self._path = path
        self._ttl = ttl.total_seconds()
        self._lease = lease.total_seconds()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._claims_since_purge = 0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # A lost record after a power cut only re-runs a command whose ids are derived from
            # the key, which the handlers recognise: NORMAL is enough here.
            conn = connect(self._path, timeout=30.0, synchronous="NORMAL")
            try:
                retry_while_locked(lambda: _prepare(conn))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    async def claim(self, key: str, request_hash: str, *, now: datetime) -> IdempotencyOutcome:
        return await asyncio.to_thread(self._claim, key, request_hash, now.timestamp())

    def _claim(self, key: str, request_hash: str, now: float) -> IdempotencyOutcome:
        with self._lock, write_transaction(self._connection()) as conn:
            row = conn.execute(
                "SELECT request_hash, at, status, body FROM idempotency WHERE key = ?", (key,)
            ).fetchone()
            if row is not None:
                stored_hash, at, status, body = row
                if status is not None and now - at < self._ttl:
                    return StoredResponse(stored_hash, status, body)
                if status is None and now - at < self._lease:
                    return InFlight()
            conn.execute(
                "INSERT INTO idempotency(key, request_hash, at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET request_hash = excluded.request_hash, "
                "at = excluded.at, status = NULL, body = NULL",
                (key, request_hash, now),
            )
            self._claims_since_purge += 1
            if self._claims_since_purge >= 1000:  # expired records go now and then
                self._claims_since_purge = 0
                conn.execute("DELETE FROM idempotency WHERE at < ?", (now - self._ttl,))
            return Claimed()

    async def complete(self, key: str, response: StoredResponse, *, now: datetime) -> None:
        def write() -> None:
            with self._lock:
                self._connection().execute(
                    "UPDATE idempotency SET status = ?, body = ?, at = ? WHERE key = ?",
                    (response.status, response.body, now.timestamp(), key),
                )

        await asyncio.to_thread(write)

    async def release(self, key: str) -> None:
        def delete() -> None:
            with self._lock:
                self._connection().execute(
                    "DELETE FROM idempotency WHERE key = ? AND status IS NULL", (key,)
                )

        await asyncio.to_thread(delete)

    async def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
