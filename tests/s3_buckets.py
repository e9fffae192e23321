"""Scratch buckets on the real S3 store (MinIO here) for the tests marked `integration`: a fresh
bucket per test, emptied and removed afterwards, and a plain `minio` client to look inside."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError

from tests.engines import s3, setting


def plain_client() -> Minio:
    """A `minio` client of our own on the test S3 store (skips when there is none)."""
    endpoint, access_key, secret_key = s3()
    parts = urlsplit(endpoint)
    return Minio(
        parts.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=parts.scheme == "https",
        region="us-east-1",
    )


def new_bucket_name(purpose: str) -> str:
    return f"ticketing-{purpose}-{uuid.uuid4().hex[:12]}"


def incomplete_uploads(client: Minio, bucket: str) -> list[str]:
    """Upload ids of the bucket's multipart uploads begun and never completed nor aborted.

    The `minio` client has no public call for ListMultipartUploads; its own is private. (No
    prefix: MinIO lists an upload under a prefix only when the prefix is its whole key.)"""
    try:
        result = client._list_multipart_uploads(bucket)
    except InvalidResponseError as error:
        if "Response code: 501," not in str(error):  # Not Implemented: s3proxy's filesystem
            raise
        pytest.skip(f"this S3 store ({setting('S3_ENGINE')}) cannot list multipart uploads")
    return [upload.upload_id for upload in result.uploads if upload.upload_id]


def remove_bucket(client: Minio, bucket: str) -> None:
    """Abort unfinished uploads (a failed test may leave some), delete every object, then the
    bucket (nothing if it does not exist)."""
    if not client.bucket_exists(bucket):
        return
    with contextlib.suppress(InvalidResponseError):  # a store that cannot list them
        for upload in client._list_multipart_uploads(bucket).uploads:
            if upload.object_name and upload.upload_id:
                client._abort_multipart_upload(bucket, upload.object_name, upload.upload_id)
    names = [o.object_name for o in client.list_objects(bucket, recursive=True) if o.object_name]
    errors = list(client.remove_objects(bucket, [DeleteObject(name) for name in names]))
    assert not errors, errors
    client.remove_bucket(bucket)


@contextlib.contextmanager
def scratch_bucket(purpose: str) -> Iterator[tuple[str, Minio]]:
    """A bucket name nobody uses (not created: the store under test makes it) and a plain
    client; the bucket and its objects are removed afterwards."""
    client = plain_client()
    bucket = new_bucket_name(purpose)
    try:
        yield bucket, client
    finally:
        remove_bucket(client, bucket)
