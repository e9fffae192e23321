"""SqliteReadModel: the read model of the embedded mode, one SQLite file (`<data_dir>/query.db`).

Durability: WAL with `synchronous=NORMAL`. A power loss may take the last few committed
batches with it, but never half of one: the checkpoint is written in the same transaction as
the views, messages and counters it covers, so the file is always a consistent state as of its
checkpoint, and the projector resumes from there and applies the lost batches again. Everything
here can be rebuilt from the event store anyway (`application.rebuild`), so the fsync per batch
that FULL would cost buys nothing.

Threads: every write runs on one writer thread with its own connection (one transaction at a
time, in order); reads run on a small pool of reader threads, one connection each, which WAL
lets read while the writer writes. Nothing touches SQLite on the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, Self, TypeVar

from ticketing_model import Scope
from ticketing_sqlite import SqliteReaders, retry_while_locked, set_user_version, user_version

from ticketing_query.application.ports import Cursor, ProjectionBatch, TicketFilter
from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import MessageView, TicketView

from . import readmodel_sqlite_queries as queries
from .readmodel_sqlite_rebuild import SqliteRebuild, remove_side_files
from .readmodel_sqlite_schema import SCHEMA, SCHEMA_VERSION, TABLES
from .readmodel_sqlite_writes import apply_batch

P = ParamSpec("P")
T = TypeVar("T")
Key = tuple[str, str]


#: SQLite's page cache per connection, KiB. Each connection fills its own up to this much as
#: the file grows, and it is resident memory: at 64 MiB each (what a rebuild in place used to
#: want) the writer and two readers held ~190 MiB of a server with 1M events. The pages stay
#: in the kernel's page cache anyway; a rebuild has a connection (and a cache) of its own.
WRITER_CACHE_KIB = 8 * 1024
READER_CACHE_KIB = 4 * 1024


class ReadModelClosed(Exception):
    """The read model was closed; it serves and applies nothing more."""


class SqliteReadModel:
    """The read model in one SQLite file. Construction does no IO; `open()` or the first call
    creates the file and its tables."""

    def __init__(self, path: str | os.PathLike[str], *, readers: int = 2) -> None:
        self._path = os.fspath(path)
        self._reader_count = readers
        self._lock = threading.Lock()
        self._opened = False
        self._closed = False
        self._writer: ThreadPoolExecutor | None = None
        self._readers: SqliteReaders | None = None
        self._write_connection: sqlite3.Connection | None = None

    async def open(self) -> Self:
        """Create the file and tables if needed (idempotent)."""
        if not self._opened:
            await asyncio.to_thread(self._open_sync)
        return self

    async def apply(self, batch: ProjectionBatch) -> None:
        """Views (newer versions only), messages (once), counters, checkpoint: one transaction."""
        await self._write(apply_batch, batch)

    async def checkpoint(self) -> int:
        return await self._read(queries.checkpoint)

    async def load(self, keys: Sequence[Key]) -> dict[Key, TicketView]:
        if not keys:
            return {}
        return await self._read(queries.load, keys)

    async def get(self, brand_id: str, ticket_id: str) -> TicketView | None:
        return await self._read(queries.get, brand_id, ticket_id)

    async def by_tracking_code(self, brand_id: str, tracking_code: str) -> TicketView | None:
        return await self._read(queries.by_tracking_code, brand_id, tracking_code)

    async def messages(self, brand_id: str, ticket_id: str) -> list[MessageView]:
        return await self._read(queries.messages, brand_id, ticket_id)

    async def ticket_with_messages(
        self, brand_id: str, ticket_id: str
    ) -> tuple[TicketView, list[MessageView]] | None:
        # One trip to a reader thread instead of two: each trip's GIL hand-offs cost a
        # read-your-writes GET more than the two queries themselves.
        return await self._read(queries.ticket_with_messages, brand_id, ticket_id)

    async def list(
        self, scope: Scope, where: TicketFilter, *, limit: int, after: Cursor | None
    ) -> list[TicketView]:
        return await self._read(queries.tickets, scope, where, limit, after)

    async def counters(self, scope: Scope) -> Counters:
        return await self._read(queries.counters, scope)

    async def reset(self) -> None:
        """Drop every table and create them empty, in one transaction."""
        await self._write(_recreate)

    async def rebuilding(self) -> SqliteRebuild:
        """A rebuild into a new file beside this one (readmodel_sqlite_rebuild), which replaces
        this one when it is finished; until then this one serves as it is."""
        return await SqliteRebuild(self._path + ".rebuild", replace=self._replace_file).start()

    async def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        await asyncio.to_thread(self._close_sync)

    async def _replace_file(self, new_path: str) -> None:
        """Put the file at `new_path` in place of this read model's: every connection to the old
        one closed first (the next call opens the new one)."""
        await asyncio.to_thread(self._replace_file_sync, new_path)

    def _replace_file_sync(self, new_path: str) -> None:
        with self._lock:
            if self._closed:
                raise _closed_error()
            opened, self._opened = self._opened, False
        if opened:
            self._close_sync()
        # The old file's WAL was checkpointed and removed when its last connection closed; one
        # left by a crash would be replayed onto the new file: it goes first.
        remove_side_files(self._path)
        os.replace(new_path, self._path)
        directory = os.open(os.path.dirname(os.path.abspath(self._path)), os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    # -- threads and connections -------------------------------------------------------------

    def _open_sync(self) -> None:
        with self._lock:
            if self._closed:
                raise _closed_error()
            if self._opened:
                return
            connection = self._connect(WRITER_CACHE_KIB)
            try:
                retry_while_locked(lambda: _prepare(connection))
            except BaseException:
                connection.close()
                raise
            self._write_connection = connection
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="readmodel-write")
            self._readers = SqliteReaders(
                self._connect,
                threads=self._reader_count,
                thread_name_prefix="readmodel-read",
                closed=_closed_error,
            )
            self._opened = True

    def _close_sync(self) -> None:
        with self._lock:
            writer, readers = self._writer, self._readers
        if writer is not None:
            writer.shutdown(wait=True)
        if readers is not None:
            readers.close()
        with self._lock:
            if self._write_connection is not None:
                self._write_connection.close()
            self._write_connection = None

    def _connect(self, cache_kib: int = READER_CACHE_KIB) -> sqlite3.Connection:
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE … COMMIT).
        # check_same_thread=False: made on one thread, used on another, never at once.
        connection = sqlite3.connect(
            self._path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA cache_size=-{cache_kib}")
        return connection

    async def _write(
        self,
        work: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        await self.open()
        pool, connection = self._writer, self._write_connection
        if self._closed or pool is None or connection is None:
            raise _closed_error()
        call = functools.partial(work, connection, *args, **kwargs)
        try:
            pending = asyncio.get_running_loop().run_in_executor(pool, call)
        except RuntimeError as error:  # shut down by close() meanwhile
            raise _closed_error() from error
        return await pending

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


def _closed_error() -> ReadModelClosed:
    return ReadModelClosed("the read model is closed")


def _prepare(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA journal_mode=WAL")
    if user_version(connection) != SCHEMA_VERSION:
        _recreate(connection)  # new file, or tables of another shape: rebuild


def _recreate(connection: sqlite3.Connection) -> None:
    """Every table dropped and made again, empty, at the current schema version."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for table in TABLES:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        set_user_version(connection, SCHEMA_VERSION)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
