"""What the tests do in the panel, in the panel's own terms (PANEL.md: paths, form actions and
field names are fixed; how the pages look is not, so locators lean on those fixed names)."""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

#: The eight labels of STATES.md, copied verbatim (the en dash, the spaces around the comma).
LABELS = {
    1: "خوانده نشده – خوانده نشده",
    2: "ملاحظه شده ، در حال بررسی – خوانده نشده",
    3: "پاسخ داده شده ، در حال پیگیری – خوانده نشده",
    4: "پاسخ داده شده – خوانده نشده",
    5: "خوانده نشده – خوانده شده",
    6: "ملاحظه شده ، در حال بررسی – خوانده شده",
    7: "پاسخ داده شده ، در حال پیگیری – خوانده شده",
    8: "پاسخ داده شده – خوانده شده",
}

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TO_LATIN = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
T = TypeVar("T")


def persian_digits(text: str) -> str:
    return text.translate(_FA_DIGITS)


def number_in(text: str) -> int:
    """The first number in `text`, whatever its digits (0 when there is none: an empty badge)."""
    found = re.search(r"\d+", text.translate(_TO_LATIN))
    return int(found.group()) if found else 0


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (a small grey square), like a customer's screenshot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    """The smallest PDF a type sniffer accepts."""
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str, data: bytes, mime: str) -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def form(page: Any, action_suffix: str) -> Any:
    """The form whose action ends with `action_suffix` (the actions are fixed by PANEL.md)."""
    return page.locator(f"form[action$='{action_suffix}']").first


def choose(container: Any, name: str, value: str) -> None:
    """Pick `value` for field `name`, whether the panel made it a select or radio buttons."""
    field = container.locator(f"[name='{name}']").first
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value)
    else:
        container.locator(f"[name='{name}'][value='{value}']").check()


def submit(container: Any) -> None:
    """Click the form's submit button and wait for the page it leads to (post/redirect/get)."""
    button = container.locator("button:not([type=button]):not([type=reset]), input[type=submit]")
    with container.page.expect_navigation():
        button.first.click()


def ticket_row(page: Any, ticket_id: str) -> Any:
    """The list entry (table row, list item or card) that links to one ticket."""
    link = page.locator(f"a[href$='/panel/tickets/{ticket_id}']").first
    return link.locator("xpath=ancestor::*[self::tr or self::li or self::article][1]")


def created_ticket_id(page: Any) -> str:
    """The ticket id from the success page's path (`/panel/tickets/{id}/created`)."""
    page.wait_for_url(re.compile(r".*/panel/tickets/[^/]+/created$"))
    return page.url.rstrip("/").split("/")[-2]


def until(check: Callable[[], T | None], *, seconds: float = 5, what: str = "") -> T:
    """`check()` once it returns something truthy (another person's write is eventually seen)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


def shoot(page: Any, directory: Path, name: str) -> None:
    """Full-page screenshots at a phone's width and a desktop's, and no sideways scrolling."""
    size = page.viewport_size
    try:
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=str(directory / f"{name}-{width}.png"), full_page=True)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name} at {width} px scrolls sideways by {overflow} px"
    finally:
        page.set_viewport_size(size)
