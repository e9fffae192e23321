"""A claim in the SQLite idempotency store is one write transaction: when it fails halfway
(here the now-and-then purge of expired records), nothing of it stays — no claim that would
answer the client's retry "still in progress" for the next 30 s."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ticketing_tickets.adapters.idempotency_sqlite import SqliteIdempotencyStore
from ticketing_tickets.application.ports import Claimed

NOW = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)


def refuse_deletes(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_DELETE else sqlite3.SQLITE_OK


async def test_a_claim_whose_purge_fails_leaves_no_claim_behind(tmp_path: Path) -> None:
    store = SqliteIdempotencyStore(tmp_path / "idempotency.db")
    for n in range(999):  # the 1000th claim purges expired records
        assert isinstance(await store.claim(f"سفارش-{n}", "hash", now=NOW), Claimed)
    # The purge's DELETE is refused by SQLite itself (the adapter's own connection).
    store._connection().set_authorizer(refuse_deletes)
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        await store.claim("پیش-فاکتور", "hash", now=NOW)
    store._connection().set_authorizer(None)

    assert isinstance(await store.claim("پیش-فاکتور", "hash", now=NOW), Claimed)
    await store.close()
