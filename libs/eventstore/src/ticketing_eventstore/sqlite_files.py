"""Opening SQLite files safely when several processes may open the same one at once.

Shared by every SQLite adapter (event store, read model, idempotency records).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def retry_while_locked(action: Callable[[], T], *, timeout: float = 30.0) -> T:
    """Run `action`, retrying while SQLite reports the database locked or busy.

    Switching a file to WAL and creating its first tables do not go through SQLite's busy
    handler: while another connection holds the write lock they fail at once instead of
    waiting, so two processes starting on a new file together would otherwise crash one.
    """
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            message = str(error)
            if ("locked" not in message and "busy" not in message) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
