"""What the S3 blob store promises beyond the port's contract, on the real store (MinIO here):
its bucket, its errors, no upload left behind, HTTP responses given back, signed URLs, and
objects a plain S3 client reads as they were put."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from minio import Minio
from ticketing_attachments.adapters.blobs_s3 import S3BlobStore, S3Unavailable, connect_s3
from ticketing_attachments.application.ports import BlobNotFound
from urllib3.response import BaseHTTPResponse

from tests.engines import s3
from tests.ports import refusing_port
from tests.s3_buckets import incomplete_uploads, scratch_bucket

pytestmark = pytest.mark.integration

KEY = "acme/7d2f0c4b9a8e4f1d8c3b2a1f0e9d8c7b"
INVOICE = "صورتحساب خدمات ابری — دی ماه ۱۴۰۳\n".encode() * 200_000  # 12.4 MB: 3 S3 parts


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.fixture
def bucket() -> Iterator[tuple[str, Minio]]:
    with scratch_bucket("s3-adapter") as made:
        yield made


@pytest.fixture
async def store(bucket: tuple[str, Minio]) -> AsyncIterator[S3BlobStore]:
    endpoint, access_key, secret_key = s3()
    blobs = connect_s3(endpoint, bucket=bucket[0], access_key=access_key, secret_key=secret_key)
    yield blobs
    await blobs.close()


def test_the_store_makes_its_bucket_when_missing_and_keeps_it(
    bucket: tuple[str, Minio],
) -> None:
    name, client = bucket
    endpoint, access_key, secret_key = s3()
    assert not client.bucket_exists(name)
    first = connect_s3(endpoint, bucket=name, access_key=access_key, secret_key=secret_key)
    assert first.bucket == name
    assert client.bucket_exists(name)
    assert first.ensure_bucket() is False  # a second replica finds it there


def test_wrong_credentials_are_refused_at_start_saying_so(bucket: tuple[str, Minio]) -> None:
    endpoint, access_key, _ = s3()
    with pytest.raises(S3Unavailable, match="refused access key 'ticketing-nobody'"):
        connect_s3(endpoint, bucket=bucket[0], access_key="ticketing-nobody", secret_key="x" * 12)
    with pytest.raises(S3Unavailable, match="refused access key"):
        connect_s3(endpoint, bucket=bucket[0], access_key=access_key, secret_key="not-the-secret")
    assert not bucket[1].bucket_exists(bucket[0])


def test_an_endpoint_that_does_not_answer_is_a_clear_error_at_start() -> None:
    port = refusing_port()
    with pytest.raises(S3Unavailable, match="does not answer"):
        connect_s3(f"http://127.0.0.1:{port}", bucket="ticketing-x", access_key="a", secret_key="b")


@pytest.mark.parametrize("endpoint", ["127.0.0.1:9000", "ftp://127.0.0.1", "http://h:1/prefix"])
def test_a_malformed_endpoint_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        connect_s3(endpoint, bucket="ticketing-x", access_key="a", secret_key="b")


async def test_objects_are_named_brand_slash_id_and_a_plain_client_reads_them(
    store: S3BlobStore, bucket: tuple[str, Minio]
) -> None:
    name, client = bucket
    assert await store.put(KEY, chunks_of(INVOICE)) == len(INVOICE)
    assert [o.object_name for o in client.list_objects(name, recursive=True)] == [KEY]
    stat = client.stat_object(name, KEY)
    assert stat.size == len(INVOICE)
    response = client.get_object(name, KEY)
    try:
        assert hashlib.sha256(response.read()).digest() == hashlib.sha256(INVOICE).digest()
    finally:
        response.close()
        response.release_conn()


async def test_a_big_put_that_fails_leaves_no_multipart_upload_behind(
    store: S3BlobStore, bucket: tuple[str, Minio]
) -> None:
    async def failing() -> AsyncIterator[bytes]:
        async for chunk in chunks_of(INVOICE):
            yield chunk
        raise RuntimeError("the type check refused it at the end")

    with pytest.raises(RuntimeError, match="type check"):
        await store.put(KEY, failing())
    assert not await store.exists(KEY)
    assert incomplete_uploads(bucket[1], bucket[0]) == []


async def test_a_cancelled_big_put_stores_nothing_and_leaves_no_upload_behind(
    store: S3BlobStore, bucket: tuple[str, Minio]
) -> None:
    began = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        async for chunk in chunks_of(INVOICE[: 7 * 1024 * 1024]):
            yield chunk
        began.set()
        await asyncio.Event().wait()  # the client never sends the rest
        yield b""

    put = asyncio.create_task(store.put(KEY, stalled()))
    await asyncio.wait_for(began.wait(), 10)
    await asyncio.sleep(0.2)  # let the first part reach S3
    put.cancel()
    with pytest.raises(asyncio.CancelledError):
        await put
    assert not await store.exists(KEY)
    assert incomplete_uploads(bucket[1], bucket[0]) == []


class RecordingMinio(Minio):
    """A minio client that remembers the responses of its GETs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.responses: list[BaseHTTPResponse] = []

    def get_object(self, *args: Any, **kwargs: Any) -> BaseHTTPResponse:
        response = super().get_object(*args, **kwargs)
        self.responses.append(response)
        return response


async def test_every_get_response_is_given_back_however_the_reader_stops(
    bucket: tuple[str, Minio],
) -> None:
    name, _client = bucket
    endpoint, access_key, secret_key = s3()
    recording = RecordingMinio(
        endpoint.removeprefix("http://"), access_key, secret_key, secure=False, region="us-east-1"
    )
    store = S3BlobStore(recording, name)
    store.ensure_bucket()
    await store.put(KEY, chunks_of(INVOICE[:300_000]))

    whole = b"".join([c async for c in await store.open(KEY, chunk_size=50_000)])
    stopped = await store.open(KEY, chunk_size=1024)
    async for _ in stopped:
        break
    await stopped.aclose()  # type: ignore[attr-defined]  # what Starlette does on a disconnect
    dropped = await store.open(KEY)
    del dropped  # never iterated
    await store.close()

    assert whole == INVOICE[:300_000]
    assert len(recording.responses) == 3
    for response in recording.responses:
        assert response.closed
        assert response.connection is None


async def test_a_missing_object_is_blob_not_found_and_deleting_it_says_so(
    store: S3BlobStore,
) -> None:
    with pytest.raises(BlobNotFound):
        await store.open(KEY)
    assert await store.delete(KEY) is False


async def test_a_signed_url_serves_the_bytes_with_the_given_headers_until_it_expires(
    store: S3BlobStore,
) -> None:
    await store.put(KEY, chunks_of(INVOICE[:10_000]))
    disposition = "attachment; filename=\"_.pdf\"; filename*=UTF-8''%D9%81.pdf"
    url = await store.signed_url(
        KEY, seconds=1, content_type="application/pdf", content_disposition=disposition
    )
    async with httpx.AsyncClient() as http:
        fresh = await http.get(url)
        assert fresh.status_code == 200
        assert fresh.content == INVOICE[:10_000]
        assert fresh.headers["content-type"] == "application/pdf"
        assert fresh.headers["content-disposition"] == disposition
        assert (await http.get(url.replace(KEY, KEY[:-1] + "0"))).status_code == 403  # not signed
        await asyncio.sleep(2.1)
        assert (await http.get(url)).status_code == 403  # expired
