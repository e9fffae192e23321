# ruff: noqa: S608 - SQL is assembled from this module's constant names; values are always bound
"""The SQLite notification store's outbox statements: due jobs, the sent ledger (claim, confirm,
release), retries, dead letters and the claims left unconfirmed.

Each runs on the store's one thread; writes run inside the transaction `SqliteNotificationStore`
opens around them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ticketing_notifications.application.ports import Claim, DeadLetter, Job, Unconfirmed

from .store_sqlite_schema import moment, stamp

JOB_COLUMNS = (
    "event_id, channel, recipient, address, brand_id, ticket_id, tracking_code, kind,"
    " occurred_at, attempts, next_at, last_error, title"
)


def job_row(j: Job) -> tuple[Any, ...]:
    return (
        j.event_id, j.channel, j.recipient, j.address, j.brand_id, j.ticket_id, j.tracking_code,
        j.kind, stamp(j.occurred_at), j.attempts, stamp(j.next_at or j.occurred_at), j.last_error,
        j.title,
    )  # fmt: skip


def _job(row: Sequence[Any]) -> Job:
    return _job_of(row, next_at=moment(row[10]), last_error=row[11])


def _job_of(row: Sequence[Any], *, next_at: datetime | None, last_error: str | None) -> Job:
    return Job(
        event_id=row[0],
        channel=row[1],
        recipient=row[2],
        address=row[3],
        brand_id=row[4],
        ticket_id=row[5],
        tracking_code=row[6],
        kind=row[7],
        occurred_at=moment(row[8]),
        attempts=int(row[9]),
        next_at=next_at,
        last_error=last_error,
        title=row[12],
    )


def due_jobs(db: sqlite3.Connection, now: datetime, limit: int) -> list[Job]:
    rows = db.execute(
        f"SELECT {JOB_COLUMNS} FROM outbox WHERE next_at <= ? ORDER BY next_at LIMIT ?",
        (stamp(now), limit),
    ).fetchall()
    return [_job(r) for r in rows]


def next_due(db: sqlite3.Connection) -> datetime | None:
    row = db.execute("SELECT min(next_at) FROM outbox").fetchone()
    return moment(row[0]) if row and row[0] else None


_KEY = "event_id = ? AND channel = ? AND recipient = ?"


def claim(db: sqlite3.Connection, job: Job, owner: str, now: datetime) -> Claim:
    row = db.execute(f"SELECT status FROM sent_ledger WHERE {_KEY}", job.key).fetchone()
    if row and row[0] == "sent":
        return Claim.SENT
    if row and row[0] == "claimed":
        return Claim.UNCONFIRMED
    db.execute(
        "INSERT OR REPLACE INTO sent_ledger VALUES (?, ?, ?, 'claimed', ?, ?, ?, ?)",
        (*job.key, owner, job.address, job.brand_id, stamp(now)),
    )
    return Claim.CLAIMED


def confirm(db: sqlite3.Connection, job: Job) -> None:
    db.execute(f"UPDATE sent_ledger SET status = 'sent' WHERE {_KEY}", job.key)
    db.execute(f"DELETE FROM outbox WHERE {_KEY}", job.key)


def _release(db: sqlite3.Connection, job: Job) -> None:
    db.execute(
        f"UPDATE sent_ledger SET status = 'failed' WHERE {_KEY} AND status = 'claimed'",
        job.key,
    )


def retry_later(db: sqlite3.Connection, job: Job, error: str, next_at: datetime) -> None:
    _release(db, job)
    db.execute(
        f"UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE {_KEY}",
        (stamp(next_at), error, *job.key),
    )


def dead_letter(db: sqlite3.Connection, job: Job, reason: str, now: datetime) -> None:
    _release(db, job)
    if db.execute(f"DELETE FROM outbox WHERE {_KEY}", job.key).rowcount:
        db.execute(
            "INSERT INTO dead_letters (event_id, channel, recipient, address, brand_id,"
            " ticket_id, tracking_code, kind, occurred_at, attempts, reason, failed_at, title)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*job_row(job)[:10], reason, stamp(now), job.title),
        )


def drop(db: sqlite3.Connection, job: Job) -> None:
    db.execute(f"DELETE FROM outbox WHERE {_KEY}", job.key)


def dead_letters(db: sqlite3.Connection, brand_id: str, limit: int) -> list[DeadLetter]:
    rows = db.execute(
        f"SELECT {JOB_COLUMNS.replace('next_at, last_error', 'reason, failed_at')}"
        " FROM dead_letters WHERE brand_id = ? ORDER BY id DESC LIMIT ?",
        (brand_id, limit),
    ).fetchall()
    return [
        DeadLetter(
            _job_of(r, next_at=None, last_error=r[10]),
            r[10],
            moment(r[11]),
        )
        for r in rows
    ]


def unconfirmed(db: sqlite3.Connection, brand_id: str, except_owner: str) -> list[Unconfirmed]:
    rows = db.execute(
        "SELECT event_id, channel, recipient, address, brand_id, claimed_at FROM sent_ledger"
        " WHERE status = 'claimed' AND brand_id = ? AND owner != ? ORDER BY claimed_at",
        (brand_id, except_owner),
    ).fetchall()
    return [
        Unconfirmed(
            event_id=r[0],
            channel=r[1],
            recipient=r[2],
            address=r[3],
            brand_id=r[4],
            claimed_at=moment(r[5]),
        )
        for r in rows
    ]
