"""ticketing_sqlite: the connection, transaction and schema helpers every embedded store uses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from ticketing_sqlite import (
    add_missing_columns,
    connect,
    set_user_version,
    synchronous_pragma,
    user_version,
    write_transaction,
)

TICKETS = "CREATE TABLE tickets (ticket_id TEXT PRIMARY KEY, title TEXT NOT NULL)"


def test_a_connection_leaves_transactions_to_the_caller_and_sets_synchronous(
    tmp_path: Path,
) -> None:
    connection = connect(tmp_path / "tickets.db", synchronous="normal")
    try:
        assert connection.isolation_level is None
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("level", "pragma"),
    [
        ("FULL", "PRAGMA synchronous=FULL"),
        (" extra ", "PRAGMA synchronous=EXTRA"),
        ("Normal", "PRAGMA synchronous=NORMAL"),
        ("OFF", "PRAGMA synchronous=OFF"),
    ],
)
def test_the_synchronous_levels_sqlite_has_are_accepted(level: str, pragma: str) -> None:
    assert synchronous_pragma(level) == pragma


@pytest.mark.parametrize("level", ["", "FAST", "FULL; DROP TABLE tickets", "2", "FU LL"])
def test_a_synchronous_level_sqlite_lacks_is_refused_before_any_statement(
    tmp_path: Path, level: str
) -> None:
    with pytest.raises(ValueError, match="synchronous must be one of"):
        connect(tmp_path / "tickets.db", synchronous=level)


def test_a_write_transaction_commits_when_its_block_ends(tmp_path: Path) -> None:
    path = tmp_path / "tickets.db"
    connection = connect(path)
    connection.execute(TICKETS)
    with write_transaction(connection):
        connection.execute("INSERT INTO tickets VALUES ('t1', 'درخواست پیش فاکتور')")
    other = sqlite3.connect(path)
    assert other.execute("SELECT title FROM tickets").fetchall() == [("درخواست پیش فاکتور",)]
    other.close()
    connection.close()


@pytest.mark.parametrize("error", [ValueError("خطا"), KeyboardInterrupt()])
def test_a_write_transaction_rolls_back_on_any_exception_and_raises_it_again(
    tmp_path: Path, error: BaseException
) -> None:
    connection = connect(tmp_path / "tickets.db")
    connection.execute(TICKETS)

    def write_then_fail() -> None:
        with write_transaction(connection):
            connection.execute("INSERT INTO tickets VALUES ('t1', 'مشکل ورود به پنل')")
            raise error

    with pytest.raises(type(error)):
        write_then_fail()
    assert not connection.in_transaction
    assert connection.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
    connection.close()


def test_a_write_transaction_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "tickets.db"
    connection = connect(path)
    connection.execute(TICKETS)
    other = connect(path, timeout=0.0)
    with write_transaction(connection), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.close()
    connection.close()


def test_the_user_version_starts_at_zero_and_keeps_what_is_set(tmp_path: Path) -> None:
    connection = connect(tmp_path / "query.db")
    assert user_version(connection) == 0
    set_user_version(connection, 7)
    assert user_version(connection) == 7
    with pytest.raises(ValueError, match="32-bit"):
        set_user_version(connection, -1)
    connection.close()


def test_missing_columns_are_added_to_an_older_file_once(tmp_path: Path) -> None:
    connection = connect(tmp_path / "notifications.db")
    connection.execute(TICKETS)
    connection.execute("INSERT INTO tickets VALUES ('t1', 'بازگشت وجه')")
    added = [("tickets", "priority", "TEXT NOT NULL DEFAULT ''"), ("tickets", "title", "TEXT")]
    add_missing_columns(connection, added)
    add_missing_columns(connection, added)  # a second start finds them there
    columns = [row[1] for row in connection.execute("PRAGMA table_info(tickets)")]
    assert columns == ["ticket_id", "title", "priority"]
    assert connection.execute("SELECT priority FROM tickets").fetchall() == [("",)]
    connection.close()


@pytest.mark.parametrize(
    ("table", "column"), [("tickets; DROP TABLE tickets", "x"), ("tickets", "a b"), ("", "x")]
)
def test_a_column_or_table_that_is_not_a_plain_name_is_refused(
    tmp_path: Path, table: str, column: str
) -> None:
    connection = connect(tmp_path / "notifications.db")
    connection.execute(TICKETS)
    with pytest.raises(ValueError, match="plain table and column name"):
        add_missing_columns(connection, [(table, column, "TEXT")])
    connection.close()
