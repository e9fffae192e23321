"""Malformed multipart uploads are a 4xx problem (400 or 422), never a 500, and store nothing:
an attack run sent a boundary over 256 characters and python-multipart's error was a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from unit.attachments import samples

from .attachment_fixtures import Desk, who

CUSTOMER = who("customer", "cust-1")
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
PDF = samples.pdf()


def multipart(boundary: bytes, *parts: bytes, close: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary + b"--\r\n" if close else b"")


def file_part(
    data: bytes = PDF, *, name: bytes = b"file", filename: bytes = b"receipt.pdf"
) -> bytes:
    return (
        b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + data
    )


LONG = b"b" * 300
CASES: dict[str, tuple[str, bytes]] = {
    "a boundary over 256 characters": (
        "multipart/form-data; boundary=" + LONG.decode(),
        multipart(LONG, file_part()),
    ),
    "a boundary of 71 characters": (
        "multipart/form-data; boundary=" + "c" * 71,
        multipart(b"c" * 71, file_part()),
    ),
    "no boundary": ("multipart/form-data", multipart(b"x", file_part())),
    "an empty quoted boundary": ('multipart/form-data; boundary=""', multipart(b"", file_part())),
    "a urlencoded form": ("application/x-www-form-urlencoded", b"file=abc"),
    "JSON": ("application/json", b'{"file": "JVBERi0="}'),
    "no content type": ("", multipart(b"x", file_part())),
    "a truncated body": (
        "multipart/form-data; boundary=x",
        multipart(b"x", file_part(), close=False)[:-40],
    ),
    "a body that never starts": ("multipart/form-data; boundary=x", b"garbage\r\n" * 10),
    "a part header without a colon": (
        "multipart/form-data; boundary=x",
        multipart(b"x", b"Content-Disposition form-data\r\n\r\n" + PDF),
    ),
    "no file field": (
        "multipart/form-data; boundary=x",
        multipart(b"x", 'Content-Disposition: form-data; name="note"\r\n\r\nسلام'.encode()),
    ),
    "a file field without a filename": (
        "multipart/form-data; boundary=x",
        multipart(b"x", b'Content-Disposition: form-data; name="file"\r\n\r\n' + PDF),
    ),
    "garbage after the boundary line": (
        "multipart/form-data; boundary=x",
        b"--x\x00\x01\x02\r\n" + file_part() + b"\r\n--x--\r\n",
    ),
    "a non-latin-1 boundary": (
        "multipart/form-data; boundary=\u0645\u0631\u0632",
        multipart("\u0645\u0631\u0632".encode(), file_part()),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_malformed_multipart_upload_is_a_4xx_problem_and_stores_nothing(
    attachments_desk: Desk, case: str
) -> None:
    content_type, body = CASES[case]
    headers: dict[str, str | bytes] = dict(CUSTOMER)
    if content_type:  # as UTF-8 bytes: a header httpx would refuse to encode still gets sent
        headers["Content-Type"] = content_type.encode()
    response = await attachments_desk.client.post("/v1/attachments", content=body, headers=headers)
    assert response.status_code in (400, 422), (case, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code
    catalog = attachments_desk.service.attachments.catalog
    assert await catalog.unreferenced(created_before=FAR_FUTURE, limit=10) == []


async def test_two_file_fields_store_the_first_only(attachments_desk: Desk) -> None:
    body = multipart(b"x", file_part(filename=b"first.pdf"), file_part(filename=b"second.pdf"))
    headers = {**CUSTOMER, "Content-Type": "multipart/form-data; boundary=x"}
    response = await attachments_desk.client.post("/v1/attachments", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "first.pdf"
    catalog = attachments_desk.service.attachments.catalog
    assert len(await catalog.unreferenced(created_before=FAR_FUTURE, limit=10)) == 1


@pytest.mark.parametrize(
    "filename",
    [
        b"a.pdf\r\nX-Injected: 1",
        b"a.pdf\"; filename*=UTF-8''evil.exe",
        b"..\\..\\etc\\passwd.pdf",
        b"\xd9\x81\xdb\x8c\xd8\xb4.pdf\x00.exe",
    ],
    ids=["crlf", "second filename", "path", "nul"],
)
async def test_a_hostile_filename_never_reaches_a_header_as_sent(
    attachments_desk: Desk, filename: bytes
) -> None:
    body = multipart(b"x", file_part(filename=filename))
    headers = {**CUSTOMER, "Content-Type": "multipart/form-data; boundary=x"}
    response = await attachments_desk.client.post("/v1/attachments", content=body, headers=headers)
    assert response.status_code in (201, 400, 422), response.text
    if response.status_code != 201:
        return
    stored = response.json()
    assert not {"\r", "\n", "\x00", "/", "\\"} & set(stored["filename"])
    download = await attachments_desk.client.get(
        f"/v1/attachments/{stored['attachment_id']}", headers=CUSTOMER
    )
    assert download.status_code == 200
    assert "x-injected" not in download.headers
    disposition = download.headers["content-disposition"]
    assert disposition.count("filename=") == 1
    assert disposition.count("filename*=") == 1
