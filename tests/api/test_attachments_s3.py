"""The attachments API end to end with its blobs in S3 (MinIO here): uploads become objects a
plain S3 client reads, refusals leave nothing behind, and downloads stream by default or, when
configured, redirect to a signed URL once the caller is authorised."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from minio import Minio
from ticketing_attachments.adapters.blobs_s3 import S3BlobStore
from ticketing_attachments.bootstrap import build_attachments_service
from ticketing_attachments.entrypoints.http import ATTACHMENTS_PREFIX, attach
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.memory import InMemoryFeed
from ticketing_web import build_app
from ticketing_web.settings import verifier_from
from unit.attachments import samples

from tests.engines import s3
from tests.s3_buckets import incomplete_uploads, scratch_bucket

from .attachment_fixtures import Desk, who

pytestmark = pytest.mark.integration

MAX_UPLOAD = 8 * 1024 * 1024
CUSTOMER = who("customer", "cust-1")
OTHER_CUSTOMER = who("customer", "cust-2")
#: A scanned statement: bigger than one S3 part, so it goes up as a multipart upload.
SCANNED = samples.pdf() + os.urandom(6 * 1024 * 1024)


@contextlib.asynccontextmanager
async def s3_desk(tmp_path: Path, bucket: str, *, redirect: bool = False) -> AsyncIterator[Desk]:
    endpoint, access_key, secret_key = s3()
    settings = AttachmentsSettings(
        data_dir=tmp_path,
        attachments_catalog_url="memory://",
        attachments_blob_url=f"s3://{bucket}",
        attachments_download_redirect=redirect,
        s3_endpoint=endpoint,
        s3_access_key=access_key,
        s3_secret_key=secret_key,  # pydantic makes it a SecretStr
        attachments_max_bytes=MAX_UPLOAD,
        max_body_bytes=64 * 1024,
    )
    feed = InMemoryFeed()
    service = build_attachments_service(settings, feed=feed)
    assert isinstance(service.attachments.blobs, S3BlobStore)
    app = build_app(
        title="attachments on S3 under test",
        service="attachments",
        version="1",
        token_verifier=verifier_from(settings),
        max_body_bytes=settings.max_body_bytes,
        readiness=service.ready,
        body_limit_exempt=(ATTACHMENTS_PREFIX,),
    )
    attach(app, service)
    service.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://attachments.test") as c:
            yield Desk(c, service, feed)
    finally:
        await service.close()


def object_bytes(client: Minio, bucket: str, key: str) -> bytes:
    response = client.get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


async def test_an_upload_is_an_object_a_plain_s3_client_reads_and_downloads_stream_it(
    tmp_path: Path,
) -> None:
    with scratch_bucket("api") as (bucket, client):
        async with s3_desk(tmp_path, bucket) as desk:
            response = await desk.upload(CUSTOMER, SCANNED, "صورتحساب اسکن‌شده.pdf", None)
            assert response.status_code == 201, response.text
            created = response.json()
            stored = object_bytes(client, bucket, f"acme/{created['attachment_id']}")
            assert hashlib.sha256(stored).hexdigest() == created["sha256"]
            assert stored == SCANNED

            download = await desk.client.get(
                f"/v1/attachments/{created['attachment_id']}", headers=CUSTOMER
            )
            assert download.status_code == 200  # streaming stays the default
            assert download.content == SCANNED
            assert download.headers["content-type"] == "application/pdf"
            assert download.headers["content-disposition"].startswith("attachment;")
            assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "declared", "status"),
    [
        (SCANNED + os.urandom(3 * 1024 * 1024), "application/pdf", 413),  # over the cap, late
        (b"MZ\x90\x00" + os.urandom(6 * 1024 * 1024), "application/pdf", 415),  # a program
    ],
)
async def test_a_refused_upload_leaves_no_object_and_no_upload_in_the_bucket(
    tmp_path: Path, data: bytes, declared: str, status: int
) -> None:
    with scratch_bucket("api") as (bucket, client):
        async with s3_desk(tmp_path, bucket) as desk:
            # From a file object, so the body arrives in pieces and the refusal comes late.
            file = ("صورتحساب.pdf", io.BytesIO(data), declared)
            response = await desk.client.post(
                ATTACHMENTS_PREFIX, files={"file": file}, headers=CUSTOMER
            )
            assert response.status_code == status, response.text
            assert list(client.list_objects(bucket, recursive=True)) == []
            assert incomplete_uploads(client, bucket) == []


async def test_redirecting_downloads_send_the_authorised_to_a_signed_url_and_others_nowhere(
    tmp_path: Path,
) -> None:
    receipt = samples.pdf()
    with scratch_bucket("api") as (bucket, _):
        async with s3_desk(tmp_path, bucket, redirect=True) as desk:
            attachment_id = await desk.stored(
                CUSTOMER, receipt, "فیش واریزی.pdf", "application/pdf"
            )
            path = f"/v1/attachments/{attachment_id}"

            refused = await desk.client.get(path, headers=OTHER_CUSTOMER)
            assert refused.status_code == 404
            assert "location" not in refused.headers

            redirect = await desk.client.get(path, headers=CUSTOMER)
            assert redirect.status_code == 307
            assert redirect.headers["cache-control"] == "private, no-store"
            async with httpx.AsyncClient() as browser:  # no token: the URL's signature is all
                fetched = await browser.get(redirect.headers["location"])
            assert fetched.status_code == 200
            assert fetched.content == receipt
            assert fetched.headers["content-type"] == "application/pdf"
            assert "filename*=UTF-8''%D9%81%DB%8C%D8%B4" in fetched.headers["content-disposition"]
