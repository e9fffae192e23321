"""Client filenames become safe metadata, and safe Content-Disposition headers."""

from __future__ import annotations

import pytest
from ticketing_attachments.domain import content_disposition, sanitize_filename


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("فیش واریزی.pdf", "فیش واریزی.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\مریم\\Desktop\\پیش‌فاکتور.docx", "پیش‌فاکتور.docx"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("\u2066report\u2069\n\r\x00.txt", "report.txt"),
        ("..", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
    ],
)
def test_filenames_keep_only_the_last_path_part_without_controls(raw, expected):
    assert sanitize_filename(raw) == expected


def test_persian_zero_width_non_joiner_is_kept():
    assert "\u200c" in sanitize_filename("می\u200cخواهم.txt")


def test_long_filenames_are_cut_with_their_extension_kept():
    name = sanitize_filename("گزارش" * 100 + ".xlsx")
    assert len(name) <= 200
    assert name.endswith(".xlsx")


def test_content_disposition_carries_an_ascii_fallback_and_the_utf8_name():
    header = content_disposition('فیش "واریزی".pdf')
    assert header.startswith('attachment; filename="')
    assert "filename*=UTF-8''%D9%81%DB%8C%D8%B4%20%22" in header
    assert header.isascii()
    assert '\\"' not in header
