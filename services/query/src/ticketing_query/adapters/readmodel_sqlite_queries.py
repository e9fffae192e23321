# ruff: noqa: S608 - SQL is assembled from this package's constant names; values are always bound
"""The SQLite read model's reads: each a plain function of a connection, run on a reader thread.

Lists walk one of the (brand, …, last_activity_at DESC, ticket_id DESC) indexes from the
cursor on; a search is `readmodel_sqlite_search`'s; counters sum the scope's rows of the
counters table and never read a ticket row.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from ticketing_model import CODES, AgentState, Scope

from ticketing_query.application.ports import Cursor, TicketFilter
from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import CUSTOMER_SIDE, MessageView, TicketView

from .readmodel_sqlite_schema import (
    COUNTER_COLUMNS,
    MESSAGE_COLUMNS,
    SELECT_VIEW,
    T_VIEW_COLUMNS,
    message_of,
    micros,
    view_of,
)
from .readmodel_sqlite_search import search

Key = tuple[str, str]

_LOAD = (
    f"SELECT {T_VIEW_COLUMNS}, w.public_words, w.internal_words FROM json_each(?) AS k"
    " JOIN tickets AS t ON t.brand_id = json_extract(k.value, '$[0]')"
    " AND t.ticket_id = json_extract(k.value, '$[1]')"
    " JOIN ticket_words AS w ON w.rowid = t.row_id"
)
_GET = SELECT_VIEW + " WHERE t.brand_id = ? AND t.ticket_id = ?"
_BY_TRACKING_CODE = SELECT_VIEW + " WHERE t.brand_id = ? AND t.tracking_code = ?"
_MESSAGES = (
    f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE brand_id = ? AND ticket_id = ? ORDER BY position"
)
_CHECKPOINT = "SELECT coalesce(max(position), 0) FROM checkpoint"
_WORD = re.compile(r"\w+")  # what `search.tokens` makes words of
_IN_JSON = "IN (SELECT value FROM json_each(?))"


def checkpoint(connection: sqlite3.Connection) -> int:
    return int(connection.execute(_CHECKPOINT).fetchone()[0])


def load(connection: sqlite3.Connection, keys: Sequence[Key]) -> dict[Key, TicketView]:
    views = (view_of(row) for row in connection.execute(_LOAD, (json.dumps(list(keys)),)))
    return {(view.brand_id, view.ticket_id): view for view in views}


def get(connection: sqlite3.Connection, brand_id: str, ticket_id: str) -> TicketView | None:
    row = connection.execute(_GET, (brand_id, ticket_id)).fetchone()
    return None if row is None else view_of(row)


def by_tracking_code(
    connection: sqlite3.Connection, brand_id: str, tracking_code: str
) -> TicketView | None:
    row = connection.execute(_BY_TRACKING_CODE, (brand_id, tracking_code)).fetchone()
    return None if row is None else view_of(row)


def messages(connection: sqlite3.Connection, brand_id: str, ticket_id: str) -> list[MessageView]:
    return [message_of(row) for row in connection.execute(_MESSAGES, (brand_id, ticket_id))]


def ticket_with_messages(
    connection: sqlite3.Connection, brand_id: str, ticket_id: str
) -> tuple[TicketView, list[MessageView]] | None:
    view = get(connection, brand_id, ticket_id)
    return None if view is None else (view, messages(connection, brand_id, ticket_id))


def tickets(
    connection: sqlite3.Connection,
    scope: Scope,
    where: TicketFilter,
    limit: int,
    after: Cursor | None,
) -> list[TicketView]:
    """A page of the scope's tickets matching `where`, in list order, after the cursor."""
    clauses, params = _scope_clauses(scope, alias="t.")
    if clauses is None or limit <= 0:
        return []
    customer_side = scope.side == CUSTOMER_SIDE
    if where.statuses:
        clauses.append(f"t.code {_IN_JSON}")
        params.append(json.dumps(sorted(where.statuses)))
    if where.unread is not None:
        # The side's own half (API.md): exactly what its counters count as unread.
        column, unread_value = (
            ("t.customer_read", 0) if customer_side else ("t.agent_state", AgentState.NOT_SEEN)
        )
        clauses.append(f"{column} {'=' if where.unread else '!='} ?")
        params.append(unread_value)
    for column, value in (
        ("t.department", where.department),
        ("t.priority", where.priority),
        ("t.assignee_id", where.assignee),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.closed is not None:
        clauses.append("t.closed = ?")
        params.append(int(where.closed))
    terms = [term for term in where.terms if term]  # "" starts every word: no restriction
    if terms and not all(_WORD.fullmatch(term) for term in terms):
        return []  # indexed words are runs of word characters: nothing else can match
    if after is not None:
        clauses.append("(t.last_activity_at, t.ticket_id) < (?, ?)")
        params += [micros(after.last_activity_at), after.ticket_id]
    if terms:
        return search(connection, clauses, params, terms, customer_side=customer_side, limit=limit)
    sql = (
        f"{SELECT_VIEW} WHERE {' AND '.join(clauses)}"
        " ORDER BY t.last_activity_at DESC, t.ticket_id DESC LIMIT ?"
    )
    return [view_of(row) for row in connection.execute(sql, (*params, limit))]


def counters(connection: sqlite3.Connection, scope: Scope) -> Counters:
    """The sums of the scope's counter rows (its customers', or its departments')."""
    clauses, params = _scope_clauses(scope, alias="", key_column="scope_key")
    if clauses is None:
        return Counters()
    clauses.append("side = ?")
    params.append(scope.side)
    sums = ", ".join(f"coalesce(sum({column}), 0)" for column in COUNTER_COLUMNS)
    row = connection.execute(
        f"SELECT {sums} FROM counters WHERE {' AND '.join(clauses)}", params
    ).fetchone()
    return Counters(row[0], row[1], row[2], row[3], dict(zip(CODES, row[4:], strict=True)))


def _scope_clauses(
    scope: Scope, *, alias: str, key_column: str | None = None
) -> tuple[list[str] | None, list[Any]]:
    """WHERE clauses limiting rows to the scope; None when the scope can see nothing."""
    clauses = [f"{alias}brand_id = ?"]
    params: list[Any] = [scope.brand_id]
    if scope.side == CUSTOMER_SIDE:
        allowed, column = scope.customer_ids, key_column or f"{alias}customer_id"
    else:
        allowed, column = scope.departments, key_column or f"{alias}department"
    if allowed is not None:
        if not allowed:
            return None, []
        if len(allowed) == 1:  # `=`: the index then also gives the list order, no sorting
            clauses.append(f"{column} = ?")
            params.append(next(iter(allowed)))
        else:
            clauses.append(f"{column} {_IN_JSON}")
            params.append(json.dumps(sorted(allowed)))
    return clauses, params
