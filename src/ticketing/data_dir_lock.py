"""The advisory lock on the embedded mode's data directory: `ticketing run` holds it shared for
its whole life (two servers on one store are allowed, and are tested), `ticketing rebuild`
takes it exclusive without waiting, so a rebuild never resets a read model a live server is
projecting into, and a server never starts under a running rebuild.

`fcntl.flock` locks belong to the open file: the kernel lets go when the process ends, however
it ends (kill -9 included), so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = "ticketing.lock"


class DataDirInUse(RuntimeError):
    """Another process holds the data directory's lock in a way that excludes this one."""


@contextlib.contextmanager
def held_while_serving(data_dir: Path) -> Iterator[Path]:
    """Hold `data_dir`'s lock shared; DataDirInUse while a rebuild holds it."""
    with _locked(data_dir, fcntl.LOCK_SH) as path:
        yield path


@contextlib.contextmanager
def held_exclusively(data_dir: Path) -> Iterator[Path]:
    """Hold `data_dir`'s lock alone; DataDirInUse while a server (or a rebuild) holds it."""
    with _locked(data_dir, fcntl.LOCK_EX) as path:
        yield path


@contextlib.contextmanager
def _locked(data_dir: Path, mode: int) -> Iterator[Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError as held:
            raise DataDirInUse(str(path)) from held
        yield path
    finally:
        os.close(fd)  # closing the only descriptor releases the lock
