"""S3BlobStore: blobs as objects in one S3 bucket per deployment (MinIO here, any S3 elsewhere).

`{brand}/{attachment_id}` is the object name as it is. The `minio` client blocks, so every call
runs on the store's own threads, never on the event loop (nor in the loop's default executor,
which long uploads could exhaust).

A put is all or nothing because S3 makes an object visible only when its upload completes: a blob
that fits in one part (5 MiB) is collected on the loop and sent with one PutObject, without
holding a thread while a slow client sends it; a bigger one streams through `_ChunkPipe` into the
client's multipart upload, which the client aborts when the chunks fail. Either way a failed put
leaves the previous object under the key untouched.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import BinaryIO, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.error import S3Error
from minio.helpers import MIN_PART_SIZE, DictType, check_bucket_name
from urllib3.exceptions import HTTPError
from urllib3.response import BaseHTTPResponse

from ticketing_attachments.application.ports import BlobNotFound, check_blob_key

from .blobs_s3_pipe import ChunkPipe

P = ParamSpec("P")
T = TypeVar("T")

#: How far the loop may run ahead of a multipart upload's reader.
_PIPE_BYTES = 1024 * 1024
_CREDENTIAL_ERRORS = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


class S3Unavailable(RuntimeError):
    """The S3 store cannot be used as configured (unreachable, credentials refused)."""


class S3BlobStore:
    def __init__(
        self,
        client: Minio,
        bucket: str,
        *,
        part_size: int = MIN_PART_SIZE,
        threads: int = 16,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        """`http`, when given, is the client's connection pool, cleared on close."""
        self._client = client
        self._bucket = bucket
        self._part_size = part_size
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="s3-blobs")
        self._http = http

    @property
    def bucket(self) -> str:
        return self._bucket

    def ensure_bucket(self) -> bool:
        """Create the bucket if it is missing; True if it was created (blocking: call before
        serving)."""
        if self._client.bucket_exists(self._bucket):
            return False
        try:
            self._client.make_bucket(self._bucket)
        except S3Error as error:
            if error.code != "BucketAlreadyOwnedByYou":  # another replica made it meanwhile
                raise
            return False
        return True

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> int:
        check_blob_key(key)
        head: list[bytes] = []
        size = 0
        async for chunk in chunks:
            head.append(chunk)
            size += len(chunk)
            if size > self._part_size:
                break
        else:  # the whole blob fits one part: a single PutObject, atomic by itself
            data = b"".join(head)
            await self._call(self._client.put_object, self._bucket, key, io.BytesIO(data), size)
            return size
        return size + await self._put_multipart(key, head, chunks)

    async def _put_multipart(self, key: str, head: list[bytes], rest: AsyncIterator[bytes]) -> int:
        """Stream `head` then `rest` into one multipart upload; the size of `rest`."""
        pipe = ChunkPipe(asyncio.get_running_loop(), head, capacity=_PIPE_BYTES)
        upload = asyncio.ensure_future(
            self._call(
                self._client.put_object,
                self._bucket,
                key,
                cast(BinaryIO, pipe),  # the client only calls read()
                -1,
                part_size=self._part_size,
                num_parallel_uploads=1,  # one part in memory at a time
            )
        )
        upload.add_done_callback(pipe.reader_done)
        size = 0
        try:
            async for chunk in rest:
                if not await pipe.send(chunk):
                    break  # the upload failed: awaiting it below raises why
                size += len(chunk)
            pipe.end()
            # Shielded: if this task is cancelled now, the except below still waits for S3.
            await asyncio.shield(upload)
        except BaseException:
            pipe.fail()  # the reader raises, and the client aborts the multipart upload
            await asyncio.wait([upload])
            raise
        return size

    async def open(self, key: str, *, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        check_blob_key(key)
        try:
            response = await self._call(self._client.get_object, self._bucket, key)
        except S3Error as error:
            if error.code == "NoSuchKey":
                raise BlobNotFound(key) from error
            raise
        return _ObjectStream(response, chunk_size, self._executor)

    async def delete(self, key: str) -> bool:
        # S3 deletes are silent about absent objects, hence the look first (the port says
        # whether there was one; two racing deletes may both say True, which harms no one).
        if not await self.exists(key):
            return False
        await self._call(self._client.remove_object, self._bucket, key)
        return True

    async def exists(self, key: str) -> bool:
        check_blob_key(key)
        try:
            await self._call(self._client.stat_object, self._bucket, key)
        except S3Error as error:
            if error.code == "NoSuchKey":
                return False
            raise
        return True

    async def signed_url(
        self,
        key: str,
        *,
        seconds: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str:
        """A presigned GET URL valid `seconds`; S3 answers it with these headers, if given."""
        check_blob_key(key)
        overrides: DictType = {
            name: value
            for name, value in (
                ("response-content-type", content_type),
                ("response-content-disposition", content_disposition),
            )
            if value is not None
        }
        return await self._call(
            self._client.presigned_get_object,
            self._bucket,
            key,
            expires=timedelta(seconds=seconds),
            response_headers=overrides or None,
        )

    async def close(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        if self._http is not None:
            self._http.clear()

    async def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))


class _ObjectStream:
    """An object's bytes in chunks; the HTTP response goes back to the pool once read to the
    end, closed early (`aclose`), or dropped unread."""

    def __init__(
        self, response: BaseHTTPResponse, chunk_size: int, executor: ThreadPoolExecutor
    ) -> None:
        self._response: BaseHTTPResponse | None = response
        self._chunk_size = chunk_size
        self._executor = executor

    def __aiter__(self) -> _ObjectStream:
        return self

    async def __anext__(self) -> bytes:
        response = self._response
        if response is None:
            raise StopAsyncIteration
        read = asyncio.get_running_loop().run_in_executor(
            self._executor, response.read, self._chunk_size
        )
        try:
            chunk = await asyncio.shield(read)
        except BaseException:
            # Cancelled mid-read: release once the thread is done with the response.
            read.add_done_callback(self._release_after)
            raise
        if not chunk:
            self._release()
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        self._release()

    def _release_after(self, read: asyncio.Future[bytes]) -> None:
        if not read.cancelled():
            read.exception()  # nobody awaits it any more: retrieved, not logged as lost
        self._release()

    def _release(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.close()
            response.release_conn()

    def __del__(self) -> None:
        self._release()


def connect_s3(
    endpoint: str,
    *,
    bucket: str,
    access_key: str,
    secret_key: str,
    region: str = "us-east-1",
    threads: int = 16,
) -> S3BlobStore:
    """A store on `bucket` at `endpoint` (`http(s)://host:port`), the bucket created if missing.
    Blocking: call before serving. ValueError for a malformed endpoint or bucket name;
    S3Unavailable, saying why, when the endpoint does not answer or refuses the credentials."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"S3 endpoint must be http(s)://host[:port], not {endpoint!r}")
    check_bucket_name(bucket, strict=True)
    if not (access_key and secret_key):
        raise ValueError("S3 needs an access key and a secret key")
    http = urllib3.PoolManager(
        maxsize=threads,  # one connection per store thread
        timeout=urllib3.Timeout(connect=10, read=120),
        retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
    )
    client = Minio(
        parts.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=parts.scheme == "https",
        region=region,  # known up front: no bucket-location lookups, presigning stays offline
        http_client=http,
    )
    store = S3BlobStore(client, bucket, threads=threads, http=http)
    try:
        store.ensure_bucket()
    except S3Error as error:
        http.clear()
        if error.code in _CREDENTIAL_ERRORS:
            raise S3Unavailable(
                f"S3 at {endpoint} refused access key {access_key!r} for bucket {bucket!r} "
                f"({error.code}): check the access key and secret key, and that this key may "
                "use the bucket"
            ) from error
        raise S3Unavailable(f"S3 at {endpoint}: bucket {bucket!r}: {error}") from error
    except HTTPError as error:
        http.clear()
        raise S3Unavailable(f"S3 at {endpoint} does not answer: {error}") from error
    return store
