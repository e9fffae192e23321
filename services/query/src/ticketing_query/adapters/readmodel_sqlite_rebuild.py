"""Rebuilding the SQLite read model into a new file, swapped in whole at the end.

The history is written into `<query.db>.rebuild`, a file nobody else reads, so it can be written
the fast way: no rollback journal on disk (`journal_mode=MEMORY`), no syncs (`synchronous=OFF`),
the file locked by this one connection, and the list indexes created once at the end, after the
bulk load, instead of kept up to date row by row. Only `finish` makes it the read model: the
indexes, WAL mode, an fsync of the file, then `os.replace` over `query.db` and an fsync of the
directory. A crash (or an error) at any point before the replace leaves the old read model as it
was; the half-made file is deleted by `abandon`, or by the next rebuild.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.domain.view import TicketView

from . import readmodel_sqlite_queries as queries
from .readmodel_sqlite_schema import SCHEMA, SCHEMA_VERSION
from .readmodel_sqlite_writes import apply_batch

P = ParamSpec("P")
T = TypeVar("T")
Key = tuple[str, str]

#: What SQLite leaves beside a database file.
SIDE_FILES = ("-wal", "-shm", "-journal")


def split_schema(schema: str = SCHEMA) -> tuple[list[str], list[str]]:
    """The schema's statements: those that make tables (with the keys the writes' upserts need),
    and the secondary indexes, which a bulk load builds after the rows are in."""
    tables: list[str] = []
    indexes: list[str] = []
    for statement in (s.strip() for s in schema.split(";")):
        lines = [line for line in statement.splitlines() if not line.lstrip().startswith("--")]
        text = " ".join(lines).strip()
        if not text:
            continue
        head = text.upper()
        (indexes if head.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")) else tables).append(
            statement
        )
    return tables, indexes


def remove_side_files(path: str) -> None:
    """The WAL, shared-memory and journal files beside `path` (not `path` itself)."""
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def remove_with_side_files(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
    remove_side_files(path)


class SqliteRebuild:
    """One rebuild into `path` (a new file); `replace` puts the finished file in place of the
    read model's (closing what reads the old one first)."""

    def __init__(
        self, path: str, *, replace: Callable[[str], Awaitable[None]], cache_kib: int = 65536
    ) -> None:
        self._path = path
        self._replace = replace
        self._cache_kib = cache_kib
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="readmodel-rebuild")
        self._connection: sqlite3.Connection | None = None
        self._indexes: list[str] = []

    async def start(self) -> SqliteRebuild:
        await self._run(self._start_sync)
        return self

    async def load(self, keys: Sequence[Key]) -> dict[Key, TicketView]:
        if not keys:
            return {}
        return await self._on_connection(queries.load, keys)

    async def apply(self, batch: ProjectionBatch) -> None:
        await self._on_connection(apply_batch, batch)

    async def finish(self) -> None:
        """Indexes, WAL, fsync, then the file replaces the read model's."""
        await self._run(self._finish_sync)
        self._thread.shutdown(wait=True)
        await self._replace(self._path)

    async def abandon(self) -> None:
        await self._run(self._abandon_sync)
        self._thread.shutdown(wait=True)

    # -- on the rebuild's thread ---------------------------------------------------------------

    def _start_sync(self) -> None:
        remove_with_side_files(self._path)  # what a crashed rebuild left
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            for pragma in (
                "journal_mode=MEMORY",  # a ROLLBACK still works; nothing of it reaches the disk
                "synchronous=OFF",  # the file is synced once, in finish()
                "locking_mode=EXCLUSIVE",
                f"cache_size=-{self._cache_kib}",
            ):
                connection.execute(f"PRAGMA {pragma}")
            tables, self._indexes = split_schema()
            connection.execute("BEGIN IMMEDIATE")
            for statement in tables:
                connection.execute(statement)
            connection.execute("COMMIT")
        except BaseException:
            connection.close()
            remove_with_side_files(self._path)
            raise
        self._connection = connection

    def _finish_sync(self) -> None:
        connection = self._need()
        connection.execute("BEGIN IMMEDIATE")
        for statement in self._indexes:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        connection.execute("COMMIT")
        connection.execute("PRAGMA locking_mode=NORMAL")
        connection.execute("PRAGMA journal_mode=WAL")  # kept in the file: the server's mode
        connection.close()
        self._connection = None
        descriptor = os.open(self._path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def _abandon_sync(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        remove_with_side_files(self._path)

    def _need(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the rebuild is not started, or is over")
        return self._connection

    async def _on_connection(
        self,
        work: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        def call() -> T:
            return work(self._need(), *args, **kwargs)

        return await self._run(call)

    async def _run(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, functools.partial(call)
        )
