"""SqliteCatalog: attachment metadata, ticket references and the consumer checkpoint in one
SQLite file (`<data_dir>/attachments.db`). A consumer batch and its checkpoint commit together,
so a redelivered batch is recognised; reads run on a pool of reader connections."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ticketing_sqlite import (
    SqliteReaders,
    connect,
    enable_wal,
    retry_while_locked,
    write_transaction,
)

from ticketing_attachments.application.ports import ReferenceBatch, TicketChange
from ticketing_attachments.domain import Attachment, TicketAccess

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attachments (
    brand_id TEXT NOT NULL, attachment_id TEXT NOT NULL,
    uploader_id TEXT NOT NULL, uploader_role TEXT NOT NULL,
    filename TEXT NOT NULL, content_type TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (brand_id, attachment_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attachments_created ON attachments(created_at);
CREATE TABLE IF NOT EXISTS refs (
    brand_id TEXT NOT NULL, attachment_id TEXT NOT NULL, ticket_id TEXT NOT NULL,
    visible INTEGER NOT NULL,
    PRIMARY KEY (brand_id, attachment_id, ticket_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tickets (
    brand_id TEXT NOT NULL, ticket_id TEXT NOT NULL,
    customer_id TEXT NOT NULL, department TEXT NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (brand_id, ticket_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL
);
"""
_COLUMNS = (
    "brand_id, attachment_id, uploader_id, uploader_role, filename, content_type, size, "
    "sha256, created_at"
)


class CatalogClosed(RuntimeError):
    pass


class SqliteCatalog:
    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        self._path = path
        self._synchronous = synchronous
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._readers = SqliteReaders(
            self._connect_reader,
            threads=2,
            thread_name_prefix="attachments-read",
            closed=lambda: CatalogClosed("the attachment catalog is closed"),
        )

    # -- connections -------------------------------------------------------------------------

    def _writer(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = connect(self._path, timeout=30.0, synchronous=self._synchronous)
            try:
                retry_while_locked(lambda: self._prepare(conn))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        enable_wal(conn)
        conn.executescript(_SCHEMA)

    def _connect_reader(self) -> sqlite3.Connection:
        with self._lock:
            self._writer()  # the schema exists before any read
        return sqlite3.connect(self._path, timeout=30.0, check_same_thread=False)

    async def _write(self, action: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            with self._lock, write_transaction(self._writer()) as conn:
                return action(conn)

        return await asyncio.to_thread(run)

    # -- attachments -------------------------------------------------------------------------

    async def add(self, attachment: Attachment) -> None:
        a = attachment
        row = (
            *(a.brand_id, a.attachment_id, a.uploader_id, a.uploader_role, a.filename),
            *(a.content_type, a.size, a.sha256, _utc_text(a.created_at)),
        )
        sql = f"INSERT INTO attachments ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)"  # noqa: S608
        await self._write(lambda c: c.execute(sql, row))

    async def get(self, brand_id: str, attachment_id: str) -> Attachment | None:
        return (await self.get_many(brand_id, [attachment_id])).get(attachment_id)

    async def get_many(self, brand_id: str, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        ids = list(dict.fromkeys(attachment_ids))[:1000]
        if not ids:
            return {}

        def query(c: sqlite3.Connection) -> dict[str, Attachment]:
            marks = ",".join("?" * len(ids))
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM attachments WHERE brand_id = ? "  # noqa: S608 - marks only
                f"AND attachment_id IN ({marks})",
                (brand_id, *ids),
            ).fetchall()
            return {row[1]: _attachment(row) for row in rows}

        return await self._readers.run(query)

    async def access(self, brand_id: str, attachment_id: str) -> list[TicketAccess]:
        def query(c: sqlite3.Connection) -> list[TicketAccess]:
            rows = c.execute(
                "SELECT r.ticket_id, t.customer_id, t.department, r.visible FROM refs r "
                "JOIN tickets t ON t.brand_id = r.brand_id AND t.ticket_id = r.ticket_id "
                "WHERE r.brand_id = ? AND r.attachment_id = ?",
                (brand_id, attachment_id),
            ).fetchall()
            return [TicketAccess(t, c_, d, bool(v)) for t, c_, d, v in rows]

        return await self._readers.run(query)

    async def referenced(self, brand_id: str, attachment_ids: Sequence[str]) -> set[str]:
        ids = list(dict.fromkeys(attachment_ids))[:1000]
        if not ids:
            return set()

        def query(c: sqlite3.Connection) -> set[str]:
            marks = ",".join("?" * len(ids))
            rows = c.execute(
                f"SELECT DISTINCT attachment_id FROM refs WHERE brand_id = ? "  # noqa: S608
                f"AND attachment_id IN ({marks})",
                (brand_id, *ids),
            ).fetchall()
            return {row[0] for row in rows}

        return await self._readers.run(query)

    # -- the consumer's batches --------------------------------------------------------------

    async def tickets(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketChange]:
        def query(c: sqlite3.Connection) -> dict[tuple[str, str], TicketChange]:
            found: dict[tuple[str, str], TicketChange] = {}
            for brand_id, ticket_id in keys:
                row = c.execute(
                    "SELECT version, department, customer_id FROM tickets"
                    " WHERE brand_id = ? AND ticket_id = ?",
                    (brand_id, ticket_id),
                ).fetchone()
                if row:
                    found[(brand_id, ticket_id)] = TicketChange(brand_id, ticket_id, *row)
            return found

        return await self._readers.run(query)

    async def apply(self, batch: ReferenceBatch) -> None:
        def write(c: sqlite3.Connection) -> None:
            for t in batch.tickets:
                if t.customer_id is not None:
                    c.execute(
                        "INSERT INTO tickets VALUES (?,?,?,?,?) ON CONFLICT DO UPDATE SET "
                        "department = excluded.department, version = excluded.version "
                        "WHERE excluded.version > tickets.version",
                        (t.brand_id, t.ticket_id, t.customer_id, t.department, t.version),
                    )
                else:
                    c.execute(
                        "UPDATE tickets SET department = ?, version = ? "
                        "WHERE brand_id = ? AND ticket_id = ? AND version < ?",
                        (t.department, t.version, t.brand_id, t.ticket_id, t.version),
                    )
            c.executemany(
                "INSERT INTO refs VALUES (?,?,?,?) ON CONFLICT DO UPDATE SET "
                "visible = max(refs.visible, excluded.visible)",
                [
                    (r.brand_id, r.attachment_id, r.ticket_id, int(r.visible))
                    for r in batch.references
                ],
            )
            c.execute(
                "INSERT INTO checkpoint VALUES (1, ?) ON CONFLICT DO UPDATE SET "
                "position = max(position, excluded.position)",
                (batch.position,),
            )

        await self._write(write)

    async def checkpoint(self) -> int:
        def query(c: sqlite3.Connection) -> int:
            row = c.execute("SELECT position FROM checkpoint WHERE id = 1").fetchone()
            return int(row[0]) if row else 0

        return await self._readers.run(query)

    # -- cleanup -----------------------------------------------------------------------------

    async def unreferenced(self, *, created_before: datetime, limit: int) -> list[Attachment]:
        def query(c: sqlite3.Connection) -> list[Attachment]:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM attachments a WHERE created_at < ? AND NOT EXISTS "  # noqa: S608
                "(SELECT 1 FROM refs r WHERE r.brand_id = a.brand_id "
                "AND r.attachment_id = a.attachment_id) ORDER BY created_at LIMIT ?",
                (_utc_text(created_before), limit),
            ).fetchall()
            return [_attachment(row) for row in rows]

        return await self._readers.run(query)

    async def remove_unreferenced(self, brand_id: str, attachment_id: str) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            cursor = c.execute(
                "DELETE FROM attachments WHERE brand_id = ? AND attachment_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM refs r WHERE r.brand_id = ? AND r.attachment_id = ?)",
                (brand_id, attachment_id, brand_id, attachment_id),
            )
            return cursor.rowcount > 0

        return await self._write(write)

    async def ready(self) -> bool:
        try:
            await self.checkpoint()
        except Exception:  # any failure means not ready
            return False
        return True

    async def close(self) -> None:
        await asyncio.to_thread(self._readers.close)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _utc_text(moment: datetime) -> str:
    # One fixed format in UTC: the text sorts as the moments do, and reads back exactly.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _attachment(row: tuple[Any, ...]) -> Attachment:
    brand, attachment_id, uploader, role, filename, content_type, size, sha, created = row
    return Attachment(
        brand_id=str(brand),
        attachment_id=str(attachment_id),
        uploader_id=str(uploader),
        uploader_role=str(role),
        filename=str(filename),
        content_type=str(content_type),
        size=int(size),
        sha256=str(sha),
        created_at=datetime.fromisoformat(created),
    )
