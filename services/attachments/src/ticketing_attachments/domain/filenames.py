"""Filenames are metadata only: never a storage key, never trusted in a header as sent.

A client's filename loses every path part, control character and bidi control (an override can
make `exe.pdf` read as `fdp.exe`), and is cut to a bounded length with its extension kept.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARS = 200
FALLBACK_FILENAME = "attachment"

#: Embeddings, overrides and isolates; U+200C (ZWNJ), which Persian words need, is kept.
_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)


def _allowed(char: str) -> bool:
    if char in _BIDI_CONTROLS:
        return False
    # Cc: C0/C1 controls (NUL, newlines, ESC…); Zl/Zp: line and paragraph separators.
    return unicodedata.category(char) not in ("Cc", "Zl", "Zp")


def sanitize_filename(raw: str | None) -> str:
    """The last path part of `raw` (either slash), cleaned and bounded; never empty."""
    if not raw:
        return FALLBACK_FILENAME
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if _allowed(c)).strip().strip(".").strip()
    if not name:
        return FALLBACK_FILENAME
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987)."""
    name = sanitize_filename(filename)
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\%' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
