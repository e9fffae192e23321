"""`SqliteReaders`: reads off the event loop, on a pool of threads with a connection each (the
event store, the read model and the attachment catalogue read this way)."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class SqliteReaders:
    """A pool of reader threads, each with its own read-only connection, made on first use by
    `connect` (then `PRAGMA query_only=ON`). Once `close()` has shut the pool down, `run`
    raises `closed()`, the owner's own "closed" error."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        threads: int,
        thread_name_prefix: str,
        closed: Callable[[], Exception],
    ) -> None:
        self._connect = connect
        self._closed_error = closed
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=thread_name_prefix)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    async def run(
        self,
        query: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`query(connection, *args, **kwargs)` on a reader thread, off the event loop."""
        call = functools.partial(self._on_reader, query, *args, **kwargs)
        try:
            pending = asyncio.get_running_loop().run_in_executor(self._pool, call)
        except RuntimeError as error:  # the pool was shut down by close() meanwhile
            raise self._closed_error() from error
        return await pending

    def close(self) -> None:
        """Wait for the reads under way, stop the threads, close every connection (blocking)."""
        self._pool.shutdown(wait=True)
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _on_reader(
        self,
        query: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            connection.execute("PRAGMA query_only=ON")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return query(connection, *args, **kwargs)
