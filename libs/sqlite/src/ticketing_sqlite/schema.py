"""Keeping a store file's tables at the shape the code expects.

Two ways, one per kind of store: a store that can be rebuilt from history (the read model)
compares the file's `user_version` with its own and starts again when they differ; a store that
cannot (notifications: read flags, preferences, the sent ledger) adds the columns an older file
lacks, in place.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def user_version(connection: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 for a new file)."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def set_user_version(connection: sqlite3.Connection, version: int) -> None:
    """Record `version` in the file (inside the caller's transaction, if any)."""
    if not 0 <= version < 2**31:
        raise ValueError("a SQLite user_version is a 32-bit non-negative integer")
    connection.execute(f"PRAGMA user_version={int(version)}")


def add_missing_columns(
    connection: sqlite3.Connection, columns: Iterable[tuple[str, str, str]]
) -> None:
    """ALTER each `(table, column, declaration)` into an older file that lacks the column; one
    already there (a new file, or another process that added it first) is left as it is.

    Table and column names are our own constants; they are still checked to be plain names,
    since they are written into the statement."""
    for table, column, declaration in columns:
        if not (_NAME.fullmatch(table) and _NAME.fullmatch(column)):
            raise ValueError(f"not a plain table and column name: {table}.{column}")
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column in present:
            continue
        try:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        except sqlite3.OperationalError as error:  # another process added it first
            if "duplicate column" not in str(error):
                raise
