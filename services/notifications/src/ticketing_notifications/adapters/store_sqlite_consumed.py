# ruff: noqa: S608 - SQL is assembled from this module's constant names; values are always bound
"""The SQLite notification store's consumer side: the checkpoint, the tickets' facts, and `record`,
which keeps one consumed batch (facts, items, outbox jobs, position) in one transaction.

Each runs on the store's one thread; writes run inside the transaction `SqliteNotificationStore`
opens around them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ticketing_model import AgentState, TicketFacts

from ticketing_notifications.application.ports import Consumed

from .store_sqlite_outbox import JOB_COLUMNS, job_row
from .store_sqlite_schema import stamp


def checkpoint(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT position FROM checkpoint WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


_FACTS = (
    "customer_id, department, tracking_code, title, priority, version, agent_state,"
    " customer_read, closed, agent_unread, customer_unread, assignee_id"
)


def facts(db: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> dict[Any, TicketFacts]:
    found: dict[Any, TicketFacts] = {}
    for brand_id, ticket_id in keys:
        row = db.execute(
            f"SELECT {_FACTS} FROM tickets WHERE brand_id = ? AND ticket_id = ?",
            (brand_id, ticket_id),
        ).fetchone()
        if row:
            found[(brand_id, ticket_id)] = _facts(brand_id, ticket_id, row)
    return found


def _facts(brand_id: str, ticket_id: str, row: Sequence[Any]) -> TicketFacts:
    # A row kept before the state was ('') is taken as reviewing: its next AgentViewed then
    # announces nothing (it cannot tell), and the next customer reply sets the state right.
    # Its counts and flags start at the columns' defaults; no notice depends on them.
    state = AgentState(row[6]) if row[6] else AgentState.REVIEWING
    return TicketFacts(
        brand_id=brand_id,
        ticket_id=ticket_id,
        customer_id=row[0],
        department=row[1],
        tracking_code=row[2],
        title=row[3],
        priority=row[4],
        version=int(row[5]),
        agent_state=state,
        customer_read=bool(row[7]),
        closed=bool(row[8]),
        agent_unread=int(row[9]),
        customer_unread=int(row[10]),
        assignee_id=row[11],
    )


def record(db: sqlite3.Connection, consumed: Consumed) -> list[str]:
    db.executemany(
        f"INSERT INTO tickets (brand_id, ticket_id, {_FACTS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (brand_id, ticket_id)"
        " DO UPDATE SET department = excluded.department, priority = excluded.priority,"
        " version = excluded.version, agent_state = excluded.agent_state,"
        " customer_read = excluded.customer_read, closed = excluded.closed,"
        " agent_unread = excluded.agent_unread, customer_unread = excluded.customer_unread,"
        " assignee_id = excluded.assignee_id WHERE excluded.version > tickets.version",
        [
            (f.brand_id, f.ticket_id, f.customer_id, f.department, f.tracking_code, f.title,
             f.priority, f.version, f.agent_state.value, f.customer_read, f.closed,
             f.agent_unread, f.customer_unread, f.assignee_id)
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
        f"INSERT OR IGNORE INTO outbox ({JOB_COLUMNS}) VALUES ({', '.join('?' * 13)})",
        [job_row(j) for j in consumed.jobs],
    )
    db.execute(
        "INSERT INTO checkpoint VALUES (1, ?) ON CONFLICT (id) DO UPDATE"
        " SET position = max(position, excluded.position)",
        (consumed.position,),
    )
    return added
