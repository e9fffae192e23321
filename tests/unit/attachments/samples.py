"""Small real files of every kind the attachments service meets, built in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def office(part: str = "word/document.xml", *, padding: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        if padding:
            archive.writestr("docProps/thumbnail.bin", bytes(range(256)) * (padding // 256))
        archive.writestr(part, "<document>پیش فاکتور ارتقای پنل</document>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("گزارش/فاکتور-۱۴۰۳.csv", "شماره,مبلغ\n۱,۲۵۰۰۰۰۰\n")
    return buffer.getvalue()


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


TEXT = "سلام، فیش واریزی پرداخت اشتراک پیوست است.\nشماره پیگیری: ۸۷۸۳۱۴۹۱\n".encode()


def event_data(event_type: str, **data: object) -> dict[str, object]:
    """An event's `data` as the tickets service writes it: the fields a test names, the rest
    as a customer's opening or reply would have them (every consumer folds the whole event)."""
    defaults: dict[str, object] = {}
    if event_type == "TicketOpened":
        defaults = {
            "tracking_code": "87831491",
            "title": "ارسال فیش واریزی",
            "request_type": "financial",
            "priority": "normal",
            "message_id": "m1",
            "body": "فیش واریزی پیوست شد.",
            "attachment_ids": [],
            "opened_by_side": "customer",
            "opened_by_name": None,
        }
    elif event_type == "MessagePosted":
        internal = bool(data.get("internal", False))
        defaults = {
            "message_id": "m2",
            "body": "یادداشت داخلی" if internal else "پیوست را ببینید.",
            "attachment_ids": [],
            "internal": False,
            "follow_up": False,
            "author_side": "agent" if internal else "customer",
            "author_name": None,
        }
    return {**defaults, **data}
