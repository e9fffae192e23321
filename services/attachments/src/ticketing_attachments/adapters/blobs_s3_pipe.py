"""ChunkPipe: bytes handed from the event loop to a blocking reader on a worker thread.

The loop side (`send`, `end`, `fail`) never blocks: while the reader is `capacity` bytes behind,
`send` waits on an asyncio event the reader sets through `call_soon_threadsafe`. The thread side
is a readable (`read(size)`) for a blocking client's upload; it raises `SourceFailed` once the
loop side gave up, so the client abandons (and, for a multipart upload, aborts) what it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any


class SourceFailed(Exception):
    """The chunks failed on the loop side; what was read so far must not be kept."""


class ChunkPipe:
    def __init__(
        self, loop: asyncio.AbstractEventLoop, first: Iterable[bytes], *, capacity: int
    ) -> None:
        self._loop = loop
        self._capacity = capacity
        self._lock = threading.Condition()
        self._chunks: deque[bytes] = deque(first)
        self._buffered = sum(len(c) for c in self._chunks)
        self._ended = False
        self._failed = False
        self._reader_gone = False
        self._drained = asyncio.Event()  # touched on the loop only

    # -- the event loop's side -------------------------------------------------------------

    async def send(self, chunk: bytes) -> bool:
        """Queue `chunk`, waiting while the reader is behind; False if the reader has stopped
        (the upload ended, with an error), and then `chunk` was not queued."""
        while True:
            with self._lock:
                if self._reader_gone:
                    return False
                if self._buffered < self._capacity:
                    self._chunks.append(chunk)
                    self._buffered += len(chunk)
                    self._lock.notify()
                    return True
                # Cleared under the lock: a read that frees room after this sets it again.
                self._drained.clear()
            await self._drained.wait()

    def end(self) -> None:
        """No more chunks: the reader sees the end once the queue is empty."""
        with self._lock:
            self._ended = True
            self._lock.notify()

    def fail(self) -> None:
        """The chunks failed: the reader's next (or current) read raises SourceFailed."""
        with self._lock:
            self._failed = True
            self._chunks.clear()
            self._buffered = 0
            self._lock.notify()

    def reader_done(self, upload: asyncio.Future[Any]) -> None:
        """Done-callback of the upload: stop `send` from waiting for a reader that is gone."""
        if not upload.cancelled():
            upload.exception()  # retrieved here; whoever awaits the upload still gets it
        with self._lock:
            self._reader_gone = True
        self._drained.set()

    # -- the worker thread's side ----------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is queued if negative), at least one unless at the
        end; blocks until there are some."""
        with self._lock:
            while not (self._chunks or self._ended or self._failed):
                self._lock.wait()
            if self._failed:
                raise SourceFailed("the chunks failed before the end")
            taken = self._take(size)
        with contextlib.suppress(RuntimeError):  # the loop is closed: no one waits any more
            self._loop.call_soon_threadsafe(self._drained.set)
        return taken

    def _take(self, size: int) -> bytes:
        wanted = self._buffered if size < 0 else size
        pieces: list[bytes] = []
        while self._chunks and wanted > 0:
            chunk = self._chunks.popleft()
            if len(chunk) > wanted:
                self._chunks.appendleft(chunk[wanted:])
                chunk = chunk[:wanted]
            pieces.append(chunk)
            wanted -= len(chunk)
        taken = b"".join(pieces)
        self._buffered -= len(taken)
        return taken
