"""The event store's reads of its SQLite file, run on a reader thread's connection: one stream,
a page of the global order (all streams, or those under a prefix: by group when few groups match),
and the head position."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from ._sqlite_schema import GROUP
from .ports import RecordedEvent

_SELECT = (
    "SELECT position, stream_id, stream_version, event_id, event_type, data, metadata,"
    " recorded_at FROM events"
)
READ_STREAM = _SELECT + " WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version"
_READ_ALL = _SELECT + " WHERE position > ? AND position <= ? ORDER BY position LIMIT ?"
# The unary + keeps SQLite walking in position order instead of the stream index: a catch-up
# through many batches then costs one pass over the table, not a sort of the prefix per batch.
# A range rather than LIKE, where '_' and '%' in a brand name would be wildcards. U+10FFFF is
# the largest code point, so every id that starts with the prefix sorts below prefix+U+10FFFF.
_READ_ALL_PREFIX = (
    _SELECT + " WHERE position > ? AND position <= ? AND +stream_id >= ? AND +stream_id < ?"
    " ORDER BY position LIMIT ?"
)
HEAD = "SELECT coalesce(max(position), 0) FROM events"
# Group reads (SQL made from the constant `GROUP`; values always bound): whether any group is
# one of the given strings (the shorter prefixes of P), the next group in a range (one index
# seek each), and one group's page in position order.
_ANY_GROUP_OF = f"SELECT 1 FROM events WHERE {GROUP} IN (SELECT value FROM json_each(?)) LIMIT 1"  # noqa: S608
_NEXT_GROUP = f"SELECT min({GROUP}) FROM events WHERE {GROUP} > ? AND {GROUP} < ?"  # noqa: S608
_READ_GROUP = (
    _SELECT + f" WHERE {GROUP} = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?"
)
#: Above this many groups under a prefix (the `ticket-` of every brand, say) the prefix selects
#: much of the table and the plain scan in position order is the cheaper plan.
_MAX_GROUPS = 8


def fetch_all(
    connection: sqlite3.Connection, sql: str, params: tuple[Any, ...]
) -> list[tuple[Any, ...]]:
    return connection.execute(sql, params).fetchall()


def scan(
    connection: sqlite3.Connection, after: int, limit: int, stream_prefix: str | None
) -> tuple[list[RecordedEvent], int]:
    """Matching events after `after`, and the position to resume from next time.

    Bounded by the head read first, so that when fewer than `limit` rows match, the caller may
    resume from the head: everything up to it has been looked at (skipping rare prefixes fast).
    """
    if limit <= 0:
        return [], after
    head = int(connection.execute(HEAD).fetchone()[0])
    groups = None if stream_prefix is None else groups_under(connection, stream_prefix)
    if stream_prefix is None:
        rows = connection.execute(_READ_ALL, (after, head, limit)).fetchall()
    elif groups is None:
        bounds = (stream_prefix, stream_prefix + "\U0010ffff")
        rows = connection.execute(_READ_ALL_PREFIX, (after, head, *bounds, limit)).fetchall()
    else:  # each group's first `limit` events, merged by position
        rows = [
            row
            for group in groups
            for row in connection.execute(_READ_GROUP, (group, after, head, limit))
        ]
        rows = sorted(rows, key=lambda row: int(row[0]))[:limit]
    events = [to_event(row) for row in rows]
    reached = events[-1].position if len(events) >= limit else max(head, after)
    return events, reached


def groups_under(connection: sqlite3.Connection, prefix: str) -> list[str] | None:
    """The groups whose streams are exactly those starting with `prefix`, or None when they are
    too many, or when a group that is a shorter prefix of `prefix` exists (its streams are only
    partly selected): then the prefix is read by scanning positions."""
    shorter = json.dumps([prefix[:end] for end in range(len(prefix))])
    if connection.execute(_ANY_GROUP_OF, (shorter,)).fetchone() is not None:
        return None
    groups: list[str] = []
    below, above = prefix, prefix + "\U0010ffff"
    if connection.execute(_ANY_GROUP_OF, (json.dumps([prefix]),)).fetchone() is not None:
        groups.append(prefix)
    while len(groups) <= _MAX_GROUPS:
        found = connection.execute(_NEXT_GROUP, (below, above)).fetchone()[0]
        if found is None:
            return groups
        groups.append(found)
        below = found
    return None


def to_event(row: tuple[Any, ...]) -> RecordedEvent:
    return RecordedEvent(
        position=row[0],
        stream_id=row[1],
        stream_version=row[2],
        event_id=row[3],
        event_type=row[4],
        data=json.loads(row[5]),
        metadata=json.loads(row[6]),
        recorded_at=datetime.fromisoformat(row[7]),
    )
