"""Deciding an upload's type, size and checksum from its bytes as they stream past."""

from __future__ import annotations

import hashlib

import pytest
from ticketing_attachments.application.inspection import (
    DEFAULT_ALLOWED,
    DOCX,
    PPTX,
    XLSX,
    EmptyUpload,
    Inspector,
    TooLarge,
    UnsupportedType,
)

from . import samples


def inspect(data: bytes, declared: str | None = None, *, chunk: int = 1000, max_bytes: int = 10**7):
    inspector = Inspector(max_bytes=max_bytes, allowed=DEFAULT_ALLOWED, declared=declared)
    for start in range(0, len(data), chunk):
        inspector.feed(data[start : start + chunk])
    return inspector.finish()


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (samples.png(), "image/png", "image/png"),
        (samples.pdf(), "application/pdf", "application/pdf"),
        (samples.office(), DOCX, DOCX),
        (samples.office("xl/workbook.xml"), None, XLSX),
        (samples.office("ppt/presentation.xml"), "application/octet-stream", PPTX),
        (samples.plain_zip(), "application/zip", "application/zip"),
        (samples.TEXT, "text/plain; charset=utf-8", "text/plain"),
    ],
)
def test_allowed_files_get_the_type_their_bytes_show(data, declared, expected):
    verdict = inspect(data, declared)
    assert verdict.content_type == expected
    assert verdict.size == len(data)
    assert verdict.sha256 == hashlib.sha256(data).hexdigest()


def test_an_office_document_is_recognised_when_its_parts_come_late_and_split_across_chunks():
    data = samples.office(padding=300_000)
    assert inspect(data, DOCX, chunk=7).content_type == DOCX


def test_an_office_document_declared_as_zip_is_stored_as_what_it_is():
    assert inspect(samples.office(), "application/zip").content_type == DOCX


@pytest.mark.parametrize("declared", ["image/jpeg", None, "application/octet-stream"])
def test_an_executable_is_refused_whatever_it_is_called(declared):
    for data in (samples.elf(), samples.exe()):
        with pytest.raises(UnsupportedType):
            inspect(data, declared)


def test_an_executable_is_refused_from_its_first_bytes_before_the_rest_arrives():
    inspector = Inspector(max_bytes=10**7, allowed=DEFAULT_ALLOWED, declared="image/jpeg")
    with pytest.raises(UnsupportedType):
        inspector.feed(samples.elf() + b"\x00" * 9000)


def test_pdf_bytes_declared_as_png_contradict_the_declaration():
    with pytest.raises(UnsupportedType, match="application/pdf"):
        inspect(samples.pdf(), "image/png")


def test_text_is_accepted_only_when_declared_and_only_as_utf8_without_nul():
    with pytest.raises(UnsupportedType):
        inspect(samples.TEXT, None)
    with pytest.raises(UnsupportedType):
        inspect(samples.TEXT + b"\x00", "text/plain")
    with pytest.raises(UnsupportedType):
        inspect("فیش".encode("utf-16"), "text/plain")


def test_text_split_inside_a_persian_letter_is_still_valid_utf8():
    assert inspect(samples.TEXT, "text/plain", chunk=1).content_type == "text/plain"


def test_a_type_off_the_allow_list_is_refused():
    inspector = Inspector(max_bytes=10**7, allowed=frozenset({"application/pdf"}))
    inspector.feed(samples.png())
    with pytest.raises(UnsupportedType):
        inspector.finish()


def test_an_empty_upload_is_refused():
    with pytest.raises(EmptyUpload):
        inspect(b"", "application/pdf")


def test_the_size_cap_is_enforced_while_streaming():
    inspector = Inspector(max_bytes=1000, allowed=DEFAULT_ALLOWED)
    inspector.feed(b"%PDF-1.7\n" + b"x" * 900)
    with pytest.raises(TooLarge):
        inspector.feed(b"x" * 200)
