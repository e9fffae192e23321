"""LocalBlobStore: blobs as files under one directory (the embedded mode's object storage).

`{brand}/{attachment_id}` becomes `<root>/{brand}/{attachment_id}`. A put writes a hidden temp
file in the same directory, fsyncs it, renames it over the final name and fsyncs the directory:
a reader sees the old blob or the whole new one, never a torn one, and a crash leaves at most a
stray temp file (ignored, and removed by `sweep_temp_files`). File IO runs off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from ticketing_attachments.application.ports import BlobNotFound, check_blob_key

_TEMP_PREFIX = ".upload-"


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        brand, name = check_blob_key(key).split("/")
        return self._root / brand / name

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        path = self._path(key)
        handle, temp = await asyncio.to_thread(_open_temp, path.parent)
        size = 0
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
                size += len(chunk)
            await asyncio.to_thread(_commit, handle, Path(temp), path)
        except BaseException:
            await asyncio.to_thread(_discard, handle, Path(temp))
            raise
        return size

    async def open(self, key: str, *, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as error:
            raise BlobNotFound(key) from error
        return _read(handle, chunk_size)

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    def sweep_temp_files(self) -> int:
        """Remove temp files a crash left behind (call before serving; blocking)."""
        removed = 0
        for stray in self._root.glob(f"*/{_TEMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                stray.unlink()
                removed += 1
        return removed

    async def close(self) -> None:
        return None


def _open_temp(directory: Path) -> tuple[BinaryIO, str]:
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=_TEMP_PREFIX)
    return os.fdopen(fd, "wb"), temp


def _commit(handle: BinaryIO, temp: Path, final: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.replace(temp, final)
    _fsync_directory(final.parent)


def _discard(handle: BinaryIO, temp: Path) -> None:
    handle.close()
    temp.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def _read(handle: BinaryIO, chunk_size: int) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, chunk_size):
            yield chunk
    finally:
        handle.close()
