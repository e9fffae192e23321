# ruff: noqa: S608 - SQL is assembled from this package's constant names; values are always bound
"""Applying a projection batch to the SQLite read model: one transaction, or nothing.

Inside BEGIN IMMEDIATE (the write lock held) the stored versions of the batch's tickets are
read; a view is written only if it is newer, and then the counters lose the stored view's
contribution and gain the new one's, the search row is replaced if the words grew, the messages
are inserted unless already there, and the checkpoint moves up, all in the same transaction. A
crash anywhere leaves the previous state and checkpoint, so a redelivered batch is applied
exactly once; a batch older than what is stored changes no view, no counter, no message.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ticketing_model import CODES

from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.domain.counters import Counters, contribution
from ticketing_query.domain.view import AGENT_SIDE, CUSTOMER_SIDE, TicketView

from .readmodel_sqlite_schema import (
    COUNTER_COLUMNS,
    MESSAGE_COLUMNS,
    MESSAGE_WIDTH,
    T_VIEW_COLUMNS,
    VIEW_COLUMNS,
    VIEW_WIDTH,
    message_row,
    view_of,
    view_row,
)

Key = tuple[str, str]
CounterKey = tuple[str, str, str]  # brand_id, side, scope key

_STORED = (
    f"SELECT t.row_id, t.public_count, t.internal_count, {T_VIEW_COLUMNS}"
    " FROM json_each(?) AS k JOIN tickets AS t"
    " ON t.brand_id = json_extract(k.value, '$[0]') AND t.ticket_id = json_extract(k.value, '$[1]')"
)
_ROW_IDS = (
    "SELECT t.brand_id, t.ticket_id, t.row_id FROM json_each(?) AS k JOIN tickets AS t"
    " ON t.brand_id = json_extract(k.value, '$[0]') AND t.ticket_id = json_extract(k.value, '$[1]')"
)
_UPDATED = ", ".join(
    f"{c.strip()} = excluded.{c.strip()}"
    for c in [*VIEW_COLUMNS.split(","), "code", "public_count", "internal_count"]
    if c.strip() not in ("brand_id", "ticket_id")
)
_UPSERT = (
    f"INSERT INTO tickets ({VIEW_COLUMNS}, code, public_count, internal_count)"
    f" VALUES ({', '.join('?' * (VIEW_WIDTH + 3))})"
    f" ON CONFLICT (brand_id, ticket_id) DO UPDATE SET {_UPDATED}"
    " WHERE excluded.version > tickets.version"
)
_WORDS = (
    "INSERT OR REPLACE INTO ticket_words (rowid, public_words, internal_words) VALUES (?, ?, ?)"
)
_MESSAGE = (
    f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ({', '.join('?' * MESSAGE_WIDTH)})"
    " ON CONFLICT (brand_id, message_id) DO NOTHING"
)
_COUNTERS = (
    f"INSERT INTO counters (brand_id, side, scope_key, {', '.join(COUNTER_COLUMNS)})"
    f" VALUES ({', '.join('?' * (3 + len(COUNTER_COLUMNS)))})"
    " ON CONFLICT (brand_id, side, scope_key) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in COUNTER_COLUMNS)
)
_CHECKPOINT = (
    "INSERT INTO checkpoint (id, position) VALUES (1, ?)"
    " ON CONFLICT (id) DO UPDATE SET position = max(position, excluded.position)"
)


def apply_batch(connection: sqlite3.Connection, batch: ProjectionBatch) -> None:
    """Write `batch` atomically (see the module docstring); on any error, nothing is written."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        if batch.views:
            _write_views(connection, _newest_per_ticket(batch.views))
        if batch.messages:
            connection.executemany(_MESSAGE, [message_row(m) for m in batch.messages])
        connection.execute(_CHECKPOINT, (batch.position,))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _newest_per_ticket(views: Sequence[TicketView]) -> dict[Key, TicketView]:
    newest: dict[Key, TicketView] = {}
    for view in views:
        key = (view.brand_id, view.ticket_id)
        kept = newest.get(key)
        if kept is None or view.version > kept.version:
            newest[key] = view
    return newest


def _write_views(connection: sqlite3.Connection, views: dict[Key, TicketView]) -> None:
    keys = json.dumps(list(views))
    stored: dict[Key, tuple[int, int, int, TicketView]] = {}
    for row in connection.execute(_STORED, (keys,)):
        old = view_of(row[3:])
        stored[(old.brand_id, old.ticket_id)] = (row[0], row[1], row[2], old)
    newer = [
        view
        for key, view in views.items()
        if key not in stored or view.version > stored[key][3].version
    ]
    if not newer:
        return
    connection.executemany(_UPSERT, [view_row(view) for view in newer])
    fresh = [(v.brand_id, v.ticket_id) for v in newer if (v.brand_id, v.ticket_id) not in stored]
    row_ids = {key: at[0] for key, at in stored.items()}
    if fresh:
        for brand_id, ticket_id, row_id in connection.execute(_ROW_IDS, (json.dumps(fresh),)):
            row_ids[(brand_id, ticket_id)] = row_id
    words: list[tuple[int, str, str]] = []
    deltas: dict[CounterKey, Counters] = {}
    for view in newer:
        key = (view.brand_id, view.ticket_id)
        before = stored.get(key)
        if before is None or (before[1], before[2]) != (
            len(view.public_words),
            len(view.internal_words),
        ):
            words.append((row_ids[key], " ".join(view.public_words), " ".join(view.internal_words)))
        _count(deltas, view, +1)
        if before is not None:
            _count(deltas, before[3], -1)
    if words:
        connection.executemany(_WORDS, words)
    rows = [_counter_row(key, delta) for key, delta in deltas.items()]
    connection.executemany(_COUNTERS, [row for row in rows if any(row[3:])])


def _count(deltas: dict[CounterKey, Counters], view: TicketView, sign: int) -> None:
    """Add (sign +1) or take away (-1) the view's contribution to the counters of both sides."""
    for side, scope_key in ((CUSTOMER_SIDE, view.customer_id), (AGENT_SIDE, view.department)):
        part = contribution(view, side)
        if sign < 0:
            part = _negated(part)
        key = (view.brand_id, side, scope_key)
        deltas[key] = deltas[key] + part if key in deltas else part


def _negated(counters: Counters) -> Counters:
    return Counters(
        -counters.total,
        -counters.open,
        -counters.unread_tickets,
        -counters.unread_messages,
        {code: -n for code, n in counters.by_status.items()},
    )


def _counter_row(key: CounterKey, delta: Counters) -> tuple[Any, ...]:
    return (
        *key,
        delta.total,
        delta.open,
        delta.unread_tickets,
        delta.unread_messages,
        *(delta.by_status[code] for code in CODES),
    )
