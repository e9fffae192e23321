"""The BlobStore port: one contract, every adapter (in memory, a local directory, and S3 on the
real store under the `integration` marker: a fresh bucket per test, removed afterwards)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from ticketing_attachments.adapters.blobs_local import LocalBlobStore
from ticketing_attachments.adapters.blobs_memory import InMemoryBlobStore
from ticketing_attachments.adapters.blobs_s3 import connect_s3
from ticketing_attachments.application.ports import BlobNotFound, BlobStore

from tests.engines import s3
from tests.s3_buckets import scratch_bucket

KEY = "acme/0f6c2a1e9b7d4c3a8e5f1b2d3c4a5e6f"
RECEIPT = "فیش واریزی اشتراک سالانه — شماره پیگیری ۸۷۸۳۱۴۹۱\n".encode() * 5000

#: Bigger than one S3 part (5 MiB): S3 stores it with a multipart upload.
SCANNED_CONTRACT = bytes(range(256)) * (6 * 4096 + 123)


@contextlib.contextmanager
def s3_store(_: Path) -> Iterator[BlobStore]:
    endpoint, access_key, secret_key = s3()
    with scratch_bucket("contract") as (bucket, _client):
        yield connect_s3(endpoint, bucket=bucket, access_key=access_key, secret_key=secret_key)


ADAPTERS: dict[str, Callable[[Path], contextlib.AbstractContextManager[BlobStore]]] = {
    "memory": lambda _: contextlib.nullcontext(InMemoryBlobStore()),
    "local": lambda directory: contextlib.nullcontext(LocalBlobStore(directory / "blobs")),
    "s3": s3_store,
}
MARKS = {"s3": pytest.mark.integration}


@pytest.fixture(params=[pytest.param(name, marks=MARKS.get(name, ())) for name in ADAPTERS])
async def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    with ADAPTERS[request.param](tmp_path) as store:
        yield store
        await store.close()


async def chunks_of(data: bytes, size: int = 10_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: BlobStore, key: str, chunk_size: int = 64 * 1024) -> bytes:
    return b"".join([c async for c in await store.open(key, chunk_size=chunk_size)])


async def test_a_blob_put_in_chunks_reads_back_the_same_bytes(blobs: BlobStore) -> None:
    assert await blobs.put(KEY, chunks_of(RECEIPT)) == len(RECEIPT)
    assert await blobs.exists(KEY)
    assert await read_all(blobs, KEY) == RECEIPT


async def test_reads_come_in_chunks_no_bigger_than_asked(blobs: BlobStore) -> None:
    await blobs.put(KEY, chunks_of(RECEIPT))
    sizes = [len(c) async for c in await blobs.open(KEY, chunk_size=4096)]
    assert max(sizes) <= 4096
    assert sum(sizes) == len(RECEIPT)


async def test_a_put_whose_chunks_fail_stores_nothing(blobs: BlobStore) -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"%PDF-1.7\n"
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError):
        await blobs.put(KEY, failing())
    assert not await blobs.exists(KEY)
    with pytest.raises(BlobNotFound):
        await blobs.open(KEY)


async def test_a_failed_put_leaves_the_previous_blob_whole(blobs: BlobStore) -> None:
    await blobs.put(KEY, chunks_of(b"first version"))

    async def failing() -> AsyncIterator[bytes]:
        yield b"half of the second"
        raise RuntimeError("cut")

    with pytest.raises(RuntimeError):
        await blobs.put(KEY, failing())
    assert await read_all(blobs, KEY) == b"first version"


async def test_a_blob_bigger_than_an_s3_part_reads_back_the_same_bytes(
    blobs: BlobStore,
) -> None:
    assert await blobs.put(KEY, chunks_of(SCANNED_CONTRACT, 64 * 1024)) == len(SCANNED_CONTRACT)
    assert await read_all(blobs, KEY) == SCANNED_CONTRACT


async def test_a_big_put_that_fails_late_leaves_the_previous_blob_whole(blobs: BlobStore) -> None:
    await blobs.put(KEY, chunks_of(b"first version"))

    async def failing() -> AsyncIterator[bytes]:
        async for chunk in chunks_of(SCANNED_CONTRACT, 64 * 1024):
            yield chunk
        raise RuntimeError("the last check refused it")

    with pytest.raises(RuntimeError, match="last check"):
        await blobs.put(KEY, failing())
    assert await read_all(blobs, KEY) == b"first version"


async def test_delete_removes_a_blob_once(blobs: BlobStore) -> None:
    await blobs.put(KEY, chunks_of(RECEIPT))
    assert await blobs.delete(KEY) is True
    assert await blobs.delete(KEY) is False
    assert not await blobs.exists(KEY)


async def test_opening_an_absent_blob_raises_before_any_chunk(blobs: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        await blobs.open("acme/ffffffffffffffffffffffffffffffff")


async def test_an_empty_blob_is_stored_and_read_back_empty(blobs: BlobStore) -> None:
    assert await blobs.put(KEY, chunks_of(b"")) == 0
    assert await read_all(blobs, KEY) == b""


@pytest.mark.parametrize("key", ["../etc/passwd", "acme/../../x", "acme", "/abs/x", "a/b/c", ""])
async def test_keys_that_could_name_paths_are_refused(blobs: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="blob key"):
        await blobs.put(key, chunks_of(b"x"))
    with pytest.raises(ValueError, match="blob key"):
        await blobs.exists(key)


async def test_brands_do_not_share_blobs(blobs: BlobStore) -> None:
    await blobs.put(KEY, chunks_of(b"acme's"))
    assert not await blobs.exists(KEY.replace("acme", "globex"))


async def test_a_local_store_leaves_no_temp_files_and_sweeps_stray_ones(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put(KEY, chunks_of(RECEIPT))
    assert sorted(os.listdir(tmp_path / "acme")) == [KEY.split("/")[1]]
    (tmp_path / "acme" / ".upload-crashed").write_bytes(b"partial")
    assert store.sweep_temp_files() == 1
    assert await store.exists(KEY)
