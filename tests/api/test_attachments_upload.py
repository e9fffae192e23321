"""POST /v1/attachments: what is stored, what is refused, and that refused means not stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from unit.attachments import samples

from .attachment_fixtures import MAX_UPLOAD, Desk, who

CUSTOMER = who("customer", "cust-1")
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def nothing_stored(desk: Desk) -> bool:
    catalog = desk.service.attachments.catalog
    return await catalog.unreferenced(created_before=FAR_FUTURE, limit=10) == []


@pytest.mark.parametrize(
    ("data", "filename", "declared", "expected"),
    [
        (samples.png(), "اسکرین‌شات خطا.png", "image/png", "image/png"),
        (samples.pdf(), "فیش واریزی.pdf", "application/pdf", "application/pdf"),
        (samples.office(), "پیش فاکتور.docx", DOCX, DOCX),
        (samples.TEXT, "توضیحات.txt", "text/plain", "text/plain"),
    ],
)
async def test_an_allowed_file_is_stored_with_its_checksum_and_sniffed_type(
    attachments_desk: Desk, data: bytes, filename: str, declared: str, expected: str
) -> None:
    response = await attachments_desk.upload(CUSTOMER, data, filename, declared)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filename"] == filename
    assert body["content_type"] == expected
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(body["attachment_id"]) == 32


async def test_an_upload_bigger_than_the_app_wide_body_limit_is_accepted_up_to_its_own_cap(
    attachments_desk: Desk,
) -> None:
    data = samples.office(padding=200 * 1024)  # over the 64 KiB body limit, under the cap
    response = await attachments_desk.upload(CUSTOMER, data, "گزارش.docx", DOCX)
    assert response.status_code == 201, response.text


async def test_an_oversized_upload_is_413_and_nothing_is_stored(attachments_desk: Desk) -> None:
    data = samples.pdf() + b"0" * MAX_UPLOAD
    response = await attachments_desk.upload(CUSTOMER, data, "اسکن.pdf", "application/pdf")
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert await nothing_stored(attachments_desk)


async def test_an_empty_file_is_422(attachments_desk: Desk) -> None:
    response = await attachments_desk.upload(CUSTOMER, b"", "خالی.pdf", "application/pdf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert await nothing_stored(attachments_desk)


async def test_a_request_without_the_file_field_is_422(attachments_desk: Desk) -> None:
    response = await attachments_desk.client.post(
        "/v1/attachments", files={"document": ("a.pdf", samples.pdf())}, headers=CUSTOMER
    )
    assert response.status_code == 422
    response = await attachments_desk.client.post(
        "/v1/attachments", json={"file": "a.pdf"}, headers=CUSTOMER
    )
    assert response.status_code == 422


async def test_an_executable_renamed_jpg_is_415_and_nothing_is_stored(
    attachments_desk: Desk,
) -> None:
    for data in (samples.elf(), samples.exe()):
        response = await attachments_desk.upload(CUSTOMER, data, "عکس.jpg", "image/jpeg")
        assert response.status_code == 415, response.text
    assert await nothing_stored(attachments_desk)


async def test_pdf_bytes_declared_as_png_are_415(attachments_desk: Desk) -> None:
    response = await attachments_desk.upload(CUSTOMER, samples.pdf(), "رسید.png", "image/png")
    assert response.status_code == 415
    assert await nothing_stored(attachments_desk)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\فیش.txt", "فیش.txt"),
        ("رسید\u202etxt.exe", "رسیدtxt.exe"),
    ],
)
async def test_filenames_lose_path_parts_and_bidi_overrides(
    attachments_desk: Desk, sent: str, kept: str
) -> None:
    response = await attachments_desk.upload(CUSTOMER, samples.TEXT, sent, "text/plain")
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept


async def test_blobs_on_disk_are_named_by_brand_and_id_never_by_the_client(
    attachments_desk: Desk, tmp_path: Path
) -> None:
    attachment_id = await attachments_desk.stored(
        CUSTOMER, samples.TEXT, "../../etc/passwd", "text/plain"
    )
    blob_dir = tmp_path / "attachments"
    if blob_dir.exists():  # the disk variant
        assert [p.relative_to(blob_dir).as_posix() for p in blob_dir.rglob("*") if p.is_file()] == [
            f"acme/{attachment_id}"
        ]


async def test_uploads_need_a_token(attachments_desk: Desk) -> None:
    response = await attachments_desk.client.post(
        "/v1/attachments", files={"file": ("a.pdf", samples.pdf(), "application/pdf")}
    )
    assert response.status_code == 401
