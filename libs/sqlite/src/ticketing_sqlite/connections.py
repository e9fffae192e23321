"""Opening SQLite files the way every embedded store does, and its write transactions.

Each store keeps its own schema and its own threads; what they share is here: a connection that
leaves transactions to us, WAL switched on without failing while another process starts on the
same file, a checked `synchronous` level, and `BEGIN IMMEDIATE … COMMIT` that rolls back on any
error.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

#: The `PRAGMA synchronous` levels a store may be configured with (the statement is built from
#: this table, never from the configured text).
SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def connect(
    path: str | os.PathLike[str], *, timeout: float = 30.0, synchronous: str | None = None
) -> sqlite3.Connection:
    """A connection that waits up to `timeout` seconds for a lock, leaves transactions to the
    caller (`isolation_level=None`: see `write_transaction`) and may be handed between threads
    (made on one, used on another, never by two at once). `synchronous` (one of
    `SYNCHRONOUS_LEVELS`, any case) sets its fsync policy; None leaves SQLite's default."""
    connection = sqlite3.connect(
        path, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    if synchronous is not None:
        try:
            connection.execute(synchronous_pragma(synchronous))
        except BaseException:
            connection.close()
            raise
    return connection


def synchronous_pragma(level: str) -> str:
    """`PRAGMA synchronous=<level>`; ValueError for a level SQLite does not have."""
    name = level.strip().upper()
    if name not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"SQLite synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}")
    return f"PRAGMA synchronous={name}"


def enable_wal(connection: sqlite3.Connection) -> None:
    """Switch the file to write-ahead logging (kept in the file), waiting out a lock."""
    retry_while_locked(lambda: connection.execute("PRAGMA journal_mode=WAL"))


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` (the write lock, taken now rather than at the first write, so a
    read-then-write cannot meet another writer halfway), `COMMIT` when the block ends, `ROLLBACK`
    on any exception — cancellation and interrupts included — which is then raised again."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def retry_while_locked(action: Callable[[], T], *, timeout: float = 30.0) -> T:
    """Run `action`, retrying while SQLite reports the database locked or busy.

    Switching a file to WAL and creating its first tables do not go through SQLite's busy
    handler: while another connection holds the write lock they fail at once instead of
    waiting, so two processes starting on a new file together would otherwise crash one.
    """
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            message = str(error)
            if ("locked" not in message and "busy" not in message) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
