"""SqliteNotificationStore: the embedded mode's store, one SQLite file (`notifications.db`).

Durability: WAL with `synchronous=FULL`: a claim in the sent ledger must be on disk before the
message goes out, or a power loss could let it go out twice. Every statement runs on one thread
with one connection (the store's traffic is small), writes in `BEGIN IMMEDIATE` transactions so
a second process on the same file waits its turn instead of interleaving.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from ticketing_model import TicketFacts
from ticketing_sqlite import (
    add_missing_columns,
    connect,
    enable_wal,
    retry_while_locked,
    write_transaction,
)

from ticketing_notifications.application.ports import (
    Claim,
    Consumed,
    DeadLetter,
    Item,
    Job,
    Preferences,
    Unconfirmed,
    Viewer,
)

from . import store_sqlite_consumed as consumed_sql
from . import store_sqlite_inbox as inbox_sql
from . import store_sqlite_outbox as outbox_sql
from .store_sqlite_schema import ADDED_COLUMNS, SCHEMA

P = ParamSpec("P")
T = TypeVar("T")


class StoreClosed(Exception):
    """The store was closed."""


class SqliteNotificationStore:
    """Construction does no IO; the first call creates the file and its tables."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notifications-db")
        self._db: sqlite3.Connection | None = None
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            db = connect(self._path, timeout=30.0, synchronous="FULL")
            enable_wal(db)
            retry_while_locked(lambda: db.executescript(SCHEMA))
            retry_while_locked(lambda: add_missing_columns(db, ADDED_COLUMNS))
            self._db = db
        return self._db

    async def _run(
        self,
        action: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        if self._closed:
            raise StoreClosed("the notification store is closed")
        call = functools.partial(self._on_thread, action, False, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def _write(
        self,
        action: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        if self._closed:
            raise StoreClosed("the notification store is closed")
        call = functools.partial(self._on_thread, action, True, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    def _on_thread(
        self,
        action: Callable[Concatenate[sqlite3.Connection, P], T],
        write: bool,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        db = self._connect()
        if not write:
            return action(db, *args, **kwargs)
        with write_transaction(db):
            return action(db, *args, **kwargs)

    async def checkpoint(self) -> int:
        return await self._run(consumed_sql.checkpoint)

    async def facts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketFacts]:
        return await self._run(consumed_sql.facts, keys)

    async def record(self, consumed: Consumed) -> list[str]:
        return await self._write(consumed_sql.record, consumed)

    async def preferences(self, brand_id: str, customer_id: str) -> Preferences | None:
        return await self._run(inbox_sql.preferences, brand_id, customer_id)

    async def save_preferences(
        self, brand_id: str, customer_id: str, preferences: Preferences
    ) -> None:
        await self._write(inbox_sql.save_preferences, brand_id, customer_id, preferences)

    async def items(
        self,
        viewer: Viewer,
        *,
        limit: int,
        before: int | None = None,
        after: int | None = None,
        unread_only: bool = False,
    ) -> list[Item]:
        return await self._run(inbox_sql.items, viewer, limit, before, after, unread_only)

    async def unread_count(self, viewer: Viewer) -> int:
        return await self._run(inbox_sql.unread_count, viewer)

    async def find(self, viewer: Viewer, notification_id: str) -> Item | None:
        return await self._run(inbox_sql.find, viewer, notification_id)

    async def mark_read(self, viewer: Viewer, notification_ids: Sequence[str] | None) -> None:
        await self._write(inbox_sql.mark_read, viewer, notification_ids)

    async def due_jobs(self, now: datetime, *, limit: int) -> list[Job]:
        return await self._run(outbox_sql.due_jobs, now, limit)

    async def next_due(self) -> datetime | None:
        return await self._run(outbox_sql.next_due)

    async def claim(self, job: Job, *, owner: str, now: datetime) -> Claim:
        return await self._write(outbox_sql.claim, job, owner, now)

    async def confirm(self, job: Job) -> None:
        await self._write(outbox_sql.confirm, job)

    async def retry_later(self, job: Job, *, error: str, next_at: datetime) -> None:
        await self._write(outbox_sql.retry_later, job, error, next_at)

    async def dead_letter(self, job: Job, *, reason: str, now: datetime) -> None:
        await self._write(outbox_sql.dead_letter, job, reason, now)

    async def drop(self, job: Job) -> None:
        await self._write(outbox_sql.drop, job)

    async def dead_letters(self, brand_id: str, *, limit: int) -> list[DeadLetter]:
        return await self._run(outbox_sql.dead_letters, brand_id, limit)

    async def unconfirmed(self, brand_id: str, *, except_owner: str) -> list[Unconfirmed]:
        return await self._run(outbox_sql.unconfirmed, brand_id, except_owner)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close_sync)
        self._thread.shutdown(wait=True)

    def _close_sync(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
