# ruff: noqa: S608 - SQL is assembled from this module's constant names; values are always bound
"""The statements of the SQLite notification store, as functions of a connection.

Each runs on the store's one thread; writes run inside the transaction `SqliteNotificationStore`
opens around them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

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
from ticketing_notifications.domain.rules import DEPARTMENT, TicketFacts

from .store_sqlite_schema import moment, stamp

_ITEM = (
    "SELECT n.seq, n.notification_id, n.event_id, n.brand_id, n.audience, n.recipient,"
    " n.ticket_id, n.tracking_code, n.kind, n.text, n.created_at,"
    " EXISTS (SELECT 1 FROM reads r WHERE r.notification_id = n.notification_id"
    " AND r.reader_id = ?) FROM notifications n "
)
_JOB = (
    "event_id, channel, recipient, address, brand_id, ticket_id, tracking_code, kind,"
    " occurred_at, attempts, next_at, last_error, title"
)
_UNREAD = (
    " AND NOT EXISTS (SELECT 1 FROM reads r WHERE r.notification_id = n.notification_id"
    " AND r.reader_id = ?)"
)


def checkpoint(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT position FROM checkpoint WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def facts(db: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> dict[Any, TicketFacts]:
    found: dict[Any, TicketFacts] = {}
    for brand_id, ticket_id in keys:
        row = db.execute(
            "SELECT customer_id, department, tracking_code, title, version, agent_state"
            " FROM tickets WHERE brand_id = ? AND ticket_id = ?",
            (brand_id, ticket_id),
        ).fetchone()
        if row:
            found[(brand_id, ticket_id)] = TicketFacts(brand_id, ticket_id, *row)
    return found


def record(db: sqlite3.Connection, consumed: Consumed) -> list[str]:
    db.executemany(
        "INSERT INTO tickets (brand_id, ticket_id, customer_id, department, tracking_code, title,"
        " version, agent_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (brand_id, ticket_id)"
        " DO UPDATE SET department = excluded.department, version = excluded.version,"
        " agent_state = excluded.agent_state WHERE excluded.version > tickets.version",
        [
            (f.brand_id, f.ticket_id, f.customer_id, f.department, f.tracking_code, f.title,
             f.version, f.agent_state)
            for f in consumed.facts
        ],
    )  # fmt: skip
    added = []
    for i in consumed.items:
        cursor = db.execute(
            "INSERT OR IGNORE INTO notifications (notification_id, event_id, brand_id, audience,"
            " recipient, ticket_id, tracking_code, kind, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (i.notification_id, i.event_id, i.brand_id, i.audience, i.recipient, i.ticket_id,
             i.tracking_code, i.kind, i.text, stamp(i.created_at)),
        )  # fmt: skip
        if cursor.rowcount:
            added.append(i.notification_id)
    db.executemany(
        f"INSERT OR IGNORE INTO outbox ({_JOB}) VALUES ({', '.join('?' * 13)})",
        [_job_row(j) for j in consumed.jobs],
    )
    db.execute(
        "INSERT INTO checkpoint VALUES (1, ?) ON CONFLICT (id) DO UPDATE"
        " SET position = max(position, excluded.position)",
        (consumed.position,),
    )
    return added


def _job_row(j: Job) -> tuple[Any, ...]:
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


def preferences(db: sqlite3.Connection, brand_id: str, customer_id: str) -> Preferences | None:
    row = db.execute(
        "SELECT email, sms, in_app, email_address, phone FROM preferences"
        " WHERE brand_id = ? AND customer_id = ?",
        (brand_id, customer_id),
    ).fetchone()
    if row is None:
        return None
    return Preferences(bool(row[0]), bool(row[1]), bool(row[2]), row[3], row[4])


def save_preferences(
    db: sqlite3.Connection, brand_id: str, customer_id: str, p: Preferences
) -> None:
    db.execute(
        "INSERT OR REPLACE INTO preferences VALUES (?, ?, ?, ?, ?, ?, ?)",
        (brand_id, customer_id, p.email, p.sms, p.in_app, p.email_address, p.phone),
    )


def _scope(viewer: Viewer) -> tuple[str, list[Any]]:
    where = "n.brand_id = ? AND n.audience = ?"
    args: list[Any] = [viewer.brand_id, viewer.audience]
    if viewer.recipients is not None:
        names = sorted(viewer.recipients)
        listed = ", ".join("?" * len(names)) or "NULL"
        where += f" AND n.recipient IN ({listed})"
        args += names
        if viewer.audience == DEPARTMENT:
            # A ticket transferred out of the viewer's departments takes its items with it.
            where += (
                " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.brand_id = n.brand_id"
                f" AND t.ticket_id = n.ticket_id AND t.department NOT IN ({listed}))"
            )
            args += names
    return where, args


def _item(row: Sequence[Any]) -> Item:
    return Item(
        notification_id=row[1],
        event_id=row[2],
        brand_id=row[3],
        audience=row[4],
        recipient=row[5],
        ticket_id=row[6],
        tracking_code=row[7],
        kind=row[8],
        text=row[9],
        created_at=moment(row[10]),
        seq=int(row[0]),
        read=bool(row[11]),
    )


def items(
    db: sqlite3.Connection,
    viewer: Viewer,
    limit: int,
    before: int | None,
    after: int | None,
    unread_only: bool = False,
) -> list[Item]:
    where, args = _scope(viewer)
    if unread_only:
        where, args = where + _UNREAD, [*args, viewer.reader_id]
    if after is not None:
        where, args, order = f"{where} AND n.seq > ?", [*args, after], "ASC"
    elif before is not None:
        where, args, order = f"{where} AND n.seq < ?", [*args, before], "DESC"
    else:
        order = "DESC"
    rows = db.execute(
        f"{_ITEM} WHERE {where} ORDER BY n.seq {order} LIMIT ?",
        [viewer.reader_id, *args, limit],
    ).fetchall()
    return [_item(r) for r in rows]


def unread_count(db: sqlite3.Connection, viewer: Viewer) -> int:
    where, args = _scope(viewer)
    row = db.execute(
        f"SELECT count(*) FROM notifications n WHERE {where}{_UNREAD}", [*args, viewer.reader_id]
    ).fetchone()
    return int(row[0])


def find(db: sqlite3.Connection, viewer: Viewer, notification_id: str) -> Item | None:
    where, args = _scope(viewer)
    row = db.execute(
        f"{_ITEM} WHERE {where} AND n.notification_id = ?",
        [viewer.reader_id, *args, notification_id],
    ).fetchone()
    return _item(row) if row else None


def mark_read(db: sqlite3.Connection, viewer: Viewer, ids: Sequence[str] | None) -> None:
    where, args = _scope(viewer)
    if ids is not None:
        where += f" AND n.notification_id IN ({', '.join('?' * len(ids)) or 'NULL'})"
        args += list(ids)
    db.execute(
        "INSERT OR IGNORE INTO reads SELECT n.notification_id, ? FROM notifications n"
        f" WHERE {where}",
        [viewer.reader_id, *args],
    )


def due_jobs(db: sqlite3.Connection, now: datetime, limit: int) -> list[Job]:
    rows = db.execute(
        f"SELECT {_JOB} FROM outbox WHERE next_at <= ? ORDER BY next_at LIMIT ?",
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
            (*_job_row(job)[:10], reason, stamp(now), job.title),
        )


def drop(db: sqlite3.Connection, job: Job) -> None:
    db.execute(f"DELETE FROM outbox WHERE {_KEY}", job.key)


def dead_letters(db: sqlite3.Connection, brand_id: str, limit: int) -> list[DeadLetter]:
    rows = db.execute(
        f"SELECT {_JOB.replace('next_at, last_error', 'reason, failed_at')} FROM dead_letters"
        " WHERE brand_id = ? ORDER BY id DESC LIMIT ?",
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
