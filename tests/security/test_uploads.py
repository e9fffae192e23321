"""Uploads: hostile names, lying and dangerous types, sizes at the edges and broken multipart
bodies. A refused upload is a clear 4xx; a stored one is served only as an attachment, with
`nosniff`, a safe type, and a name without path parts, controls or bidi overrides, in the JSON
and in the Content-Disposition header alike."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from unit.attachments.samples import office, pdf, png

from .probe import judge, probe
from .world import MAX_UPLOAD_BYTES, World

pytestmark = pytest.mark.asyncio(loop_scope="module")
CATEGORY = "uploads"

SAFE_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

HOSTILE_NAMES = [
    "../../../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.pdf",
    "/var/lib/ticketing/attachments/acme/x.pdf",
    "C:\\Users\\ali\\رسید.pdf",
    "a\x00b.pdf",
    "a\r\nX-Injected: yes.pdf",
    "a\nContent-Type: text/html\n\n<script>.pdf",
    "\u202efdp.exe",
    "رسید\u202eexe.pdf",
    "\u2066hidden\u2069.pdf",
    "x" * 250 + ".pdf",
    "ک" * 250 + ".pdf",
    ".",
    "..",
    "...pdf",
    "   ",
    'name "quoted" ; filename=evil.html.pdf',
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd.pdf",
    "nul\u2028line\u2029break.pdf",
    "zero\u200bwidth\u200cنیم‌فاصله.pdf",
    "\ud7ff\ue000.pdf",
]


def _assert_safe_name(name: str) -> None:
    assert name
    assert "/" not in name, name
    assert "\\" not in name, name
    assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name), repr(name)
    assert not (set(name) & _BIDI), repr(name)
    assert len(name) <= 200
    assert name not in (".", "..")


async def _check_stored(world: World, created: dict[str, Any]) -> None:
    _assert_safe_name(created["filename"])
    attachment = created["attachment_id"]
    got = await probe(
        world, CATEGORY, "GET", f"/v1/attachments/{attachment}", caller="ali", expect={200}
    )
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert disposition.isascii(), repr(disposition)
    assert disposition.isprintable(), repr(disposition)
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-type"].split(";")[0] in SAFE_TYPES
    # Another customer of the same brand still cannot fetch it, whatever its name.
    await probe(
        world, CATEGORY, "GET", f"/v1/attachments/{attachment}", caller="sara", expect={404},
        forbidden={attachment, created["filename"]},
    )  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[repr(n)[:24] for n in HOSTILE_NAMES])
async def test_a_hostile_filename_is_cleaned_and_served_only_as_an_attachment(
    world: World, name: str
) -> None:
    response = await probe(
        world, CATEGORY, "POST", "/v1/attachments", caller="ali", expect={201},
        files={"file": (name, pdf(), "application/pdf")},
    )  # fmt: skip
    await _check_stored(world, response.json())


@pytest.mark.parametrize("name", ["x" * 20_000 + ".pdf", "ک" * 10_000 + ".pdf"])
async def test_a_filename_longer_than_a_part_header_may_be_is_a_clear_400(
    world: World, name: str
) -> None:
    await probe(
        world, CATEGORY, "POST", "/v1/attachments", caller="ali", expect={400},
        files={"file": (name, pdf(), "application/pdf")},
    )  # fmt: skip


HTML = b"<!DOCTYPE html><html><body><script>fetch('/v1/tickets')</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
GIF_POLYGLOT = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain)//<script>"
PDF_WITH_HTML = pdf() + b"\n<html><script>alert(1)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64

TYPE_CASES: list[tuple[str, bytes, str, set[int]]] = [
    ("pdf declared as png", pdf(), "image/png", {415}),
    ("png declared as pdf", png(), "application/pdf", {415}),
    ("html declared as html", HTML, "text/html", {415}),
    ("html declared as pdf", HTML, "application/pdf", {415}),
    ("html declared as png", HTML, "image/png", {415}),
    ("svg declared as svg", SVG, "image/svg+xml", {415}),
    ("svg declared as png", SVG, "image/png", {415}),
    ("exe declared as pdf", EXE, "application/pdf", {415}),
    ("exe declared as octet-stream", EXE, "application/octet-stream", {415}),
    ("javascript declared as js", b"alert(1)", "application/javascript", {415}),
    ("gif/js polyglot declared as gif", GIF_POLYGLOT, "image/gif", {201, 415}),
    ("pdf with html after it", PDF_WITH_HTML, "application/pdf", {201}),
    ("html declared as text", HTML, "text/plain", {201, 415}),
    ("svg declared as text", SVG, "text/plain", {201, 415}),
    ("docx declared as docx", office(), "application/msword", {201, 415}),
    ("png with no declared type", png(), "application/octet-stream", {201}),
    ("png with a junk declared type", png(), "image/png; charset=\x01", {201, 415}),
]


@pytest.mark.parametrize(
    ("data", "declared", "expect"),
    [c[1:] for c in TYPE_CASES],
    ids=[c[0] for c in TYPE_CASES],
)
async def test_the_type_is_decided_by_the_bytes_and_nothing_dangerous_is_served_inline(
    world: World, data: bytes, declared: str, expect: set[int]
) -> None:
    response = await probe(
        world, CATEGORY, "POST", "/v1/attachments", caller="ali", expect=expect,
        files={"file": ("رسید.pdf", data, declared)},
    )  # fmt: skip
    if response.status_code == 201:
        await _check_stored(world, response.json())


SIZE_CASES = [
    ("empty", b"", {422}),
    ("one byte", b"%", {415, 422}),
    ("exactly the limit", pdf() + b"%" * (MAX_UPLOAD_BYTES - len(pdf())), {201}),
    ("one byte over the limit", pdf() + b"%" * (MAX_UPLOAD_BYTES + 1 - len(pdf())), {413}),
    ("far over the limit", pdf() + b"%" * (MAX_UPLOAD_BYTES * 4), {413}),
]


@pytest.mark.parametrize(
    ("data", "expect"), [c[1:] for c in SIZE_CASES], ids=[c[0] for c in SIZE_CASES]
)
async def test_sizes_at_the_edges(world: World, data: bytes, expect: set[int]) -> None:
    response = await probe(
        world, CATEGORY, "POST", "/v1/attachments", caller="ali", expect=expect,
        files={"file": ("رسید.pdf", data, "application/pdf")},
    )  # fmt: skip
    if response.status_code == 201:
        assert response.json()["size"] == MAX_UPLOAD_BYTES


def _multipart(boundary: str, *parts: bytes, close: bool = True) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary.encode() + b"--\r\n" if close else b"")


def _file_part(name: str = "file", filename: str | None = "رسید.pdf", data: bytes = b"") -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\nContent-Type: application/pdf\r\n\r\n"
    return head.encode() + (data or pdf())


MULTIPART_CASES: list[tuple[str, str, bytes, set[int]]] = [
    ("json instead of multipart", "application/json", b'{"file": "x"}', {415, 422}),
    ("form-urlencoded", "application/x-www-form-urlencoded", b"file=x", {415, 422}),
    ("no content type", "", _multipart("b1", _file_part()), {415, 422}),
    ("multipart without a boundary", "multipart/form-data",
     _multipart("b1", _file_part()), {400, 422}),
    ("empty boundary", "multipart/form-data; boundary=", _multipart("", _file_part()), {400, 422}),
    ("boundary of 300 characters", "multipart/form-data; boundary=" + "b" * 300,
     _multipart("b" * 300, _file_part()), {400, 413, 422}),
    ("boundary of 71 characters", "multipart/form-data; boundary=" + "b" * 71,
     _multipart("b" * 71, _file_part()), {201, 400, 422}),
    ("boundary the body never uses", "multipart/form-data; boundary=other",
     _multipart("b1", _file_part()), {400, 422}),
    ("the closing boundary missing", "multipart/form-data; boundary=b1",
     _multipart("b1", _file_part(), close=False), {400, 422}),
    ("cut inside the file", "multipart/form-data; boundary=b1",
     _multipart("b1", _file_part())[:60], {400, 422}),
    ("a file field without a filename", "multipart/form-data; boundary=b1",
     _multipart("b1", _file_part(filename=None)), {422}),
    ("only another field", "multipart/form-data; boundary=b1",
     _multipart("b1", _file_part(name="other")), {422}),
    ("two file fields", "multipart/form-data; boundary=b1",
     _multipart("b1", _file_part(), _file_part(data=png())), {201, 400, 422}),
    ("part headers of 100 KiB", "multipart/form-data; boundary=b1",
     _multipart("b1", b"X-Pad: " + b"a" * 100_000 + b"\r\n" + _file_part()), {400, 413, 422}),
    ("a part with no headers", "multipart/form-data; boundary=b1",
     _multipart("b1", b"\r\n" + pdf()), {400, 422}),
    ("garbage with a boundary", "multipart/form-data; boundary=b1", b"\x00\xff" * 500, {400, 422}),
    ("empty body", "multipart/form-data; boundary=b1", b"", {400, 422}),
    ("header without a colon", "multipart/form-data; boundary=b1",
     _multipart("b1", b"Content-Disposition form-data\r\n\r\n" + pdf()), {400, 422}),
    ("a non-UTF-8 filename", "multipart/form-data; boundary=b1",
     _multipart("b1", b'Content-Disposition: form-data; name="file"; filename="\xff\xfe.pdf"\r\n'
                b"Content-Type: application/pdf\r\n\r\n" + pdf()), {201, 400, 422}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "body", "expect"),
    [c[1:] for c in MULTIPART_CASES],
    ids=[c[0] for c in MULTIPART_CASES],
)
async def test_a_broken_multipart_body_is_a_clear_4xx(
    world: World, content_type: str, body: bytes, expect: set[int]
) -> None:
    headers = {**world.who("ali")}
    if content_type:
        headers["Content-Type"] = content_type
    response = await world.client.post("/v1/attachments", content=body, headers=headers)
    judge(CATEGORY, response, expect=expect, forbidden=world.forbidden("ali")).assert_clean()
    if response.status_code == 201:
        await _check_stored(world, response.json())
