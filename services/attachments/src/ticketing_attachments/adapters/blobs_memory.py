"""InMemoryBlobStore: the unit-test fake of the blob store (passes the same contract suite)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ticketing_attachments.application.ports import BlobNotFound, check_blob_key


class InMemoryBlobStore:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        check_blob_key(key)
        parts = [bytes(chunk) async for chunk in chunks]  # raises before anything is stored
        self._blobs[key] = b"".join(parts)
        return len(self._blobs[key])

    async def open(self, key: str, *, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        check_blob_key(key)
        if key not in self._blobs:
            raise BlobNotFound(key)
        return _chunks(self._blobs[key], chunk_size)

    async def delete(self, key: str) -> bool:
        check_blob_key(key)
        return self._blobs.pop(key, None) is not None

    async def exists(self, key: str) -> bool:
        check_blob_key(key)
        return key in self._blobs

    async def close(self) -> None:
        return None


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
