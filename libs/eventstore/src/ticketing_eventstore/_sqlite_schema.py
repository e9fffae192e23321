"""The event store's SQLite file: its table and index, and the pragmas set when it is opened."""

from __future__ import annotations

import sqlite3

# Checkpoint the WAL into the database every 4000 pages (~16 MB) instead of SQLite's 1000: each
# checkpoint writes back and fsyncs the pages changed since the last one, and a hot page (the
# table's last leaf, the index pages) is written back once per checkpoint however often it
# changed. Appends/s at 64 writers: ~+15% (bench/eventstore_bench.py; the raw baseline there uses
# the same setting). Durability is the synchronous setting's alone: every commit still fsyncs.
WAL_AUTOCHECKPOINT = "PRAGMA wal_autocheckpoint=4000"

# A stream's group is its id without the hex id at its end (`ticket-acme-` of
# `ticket-acme-<32 hex>`): always a prefix of the id, so the streams a prefix P selects are those
# whose group starts with P plus those whose group is a shorter prefix of P. The index on
# (group, position) gives one group's events in global order, so a page of a small brand among
# big ones reads about `limit` index entries instead of every position in between.
GROUP = "rtrim(stream_id, '0123456789abcdef')"

# The UNIQUE(stream_id, stream_version) index is also the index read_stream uses. A file made
# before `events_by_group` existed gets it here, on open (built from its rows; nothing else
# changes).
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version >= 1),
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_by_group ON events ({GROUP}, position);
"""


def prepare(connection: sqlite3.Connection) -> None:
    """WAL mode, the checkpoint interval, and the table and index if missing (idempotent)."""
    connection.execute("PRAGMA journal_mode=WAL")  # persists in the file
    connection.execute(WAL_AUTOCHECKPOINT)
    connection.executescript(SCHEMA)
