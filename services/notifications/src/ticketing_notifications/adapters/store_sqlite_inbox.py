# ruff: noqa: S608 - SQL is assembled from this module's constant names; values are always bound
"""The SQLite notification store's inbox statements: a viewer's items (pages, unread count, one
item, read flags) within their Scope, and a customer's preferences.

Each runs on the store's one thread; writes run inside the transaction `SqliteNotificationStore`
opens around them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ticketing_model import Side

from ticketing_notifications.application.ports import Item, Preferences, Viewer

from .store_sqlite_schema import moment

#: Each item with its ticket's facts as they stand now (recorded in the same transaction as the
#: item; an item without them, which only a test makes, keeps the place of the event's time).
_WITH_TICKET = " LEFT JOIN tickets t ON t.brand_id = n.brand_id AND t.ticket_id = n.ticket_id "
_ITEM = (
    "SELECT n.seq, n.notification_id, n.event_id, n.brand_id, n.audience, n.recipient,"
    " n.ticket_id, n.tracking_code, n.kind, n.text, n.created_at,"
    " EXISTS (SELECT 1 FROM reads r WHERE r.notification_id = n.notification_id"
    " AND r.reader_id = ?) FROM notifications n " + _WITH_TICKET
)
_UNREAD = (
    " AND NOT EXISTS (SELECT 1 FROM reads r WHERE r.notification_id = n.notification_id"
    " AND r.reader_id = ?)"
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
    """The viewer's Scope (`Scope.admits`) as SQL over an item `n` and its ticket `t`: a
    customer item's recipient is its ticket's customer, which never changes (so its index
    serves); a department item counts by its ticket's department now, not the event's."""
    scope = viewer.scope
    where = "n.brand_id = ? AND n.audience = ?"
    args: list[Any] = [scope.brand_id, viewer.audience]
    allowed = scope.customer_ids if scope.side is Side.CUSTOMER else scope.departments
    if allowed is not None:
        column = (
            "n.recipient" if scope.side is Side.CUSTOMER else "coalesce(t.department, n.recipient)"
        )
        names = sorted(allowed)
        where += f" AND {column} IN ({', '.join('?' * len(names)) or 'NULL'})"
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
        f"SELECT count(*) FROM notifications n {_WITH_TICKET} WHERE {where}{_UNREAD}",
        [*args, viewer.reader_id],
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
        f" {_WITH_TICKET} WHERE {where}",
        [viewer.reader_id, *args],
    )
