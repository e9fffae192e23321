"""The SQLite plumbing every embedded store shares (the event store, the read model, the
notification store, the attachment catalogue, the idempotency records). Standard library only.

- `connections`: `connect`, `enable_wal`, `write_transaction`, `retry_while_locked`, the
  checked `synchronous` levels;
- `readers`: `SqliteReaders`, reads on a pool of threads with a connection each;
- `schema`: `user_version` / `set_user_version` and `add_missing_columns`.
"""

from .connections import (
    SYNCHRONOUS_LEVELS,
    connect,
    enable_wal,
    retry_while_locked,
    synchronous_pragma,
    write_transaction,
)
from .readers import SqliteReaders
from .schema import add_missing_columns, set_user_version, user_version

__all__ = [
    "SYNCHRONOUS_LEVELS",
    "SqliteReaders",
    "add_missing_columns",
    "connect",
    "enable_wal",
    "retry_while_locked",
    "set_user_version",
    "synchronous_pragma",
    "user_version",
    "write_transaction",
]
