"""Text every service refuses at its edge, whatever field carries it.

JSON may carry a lone surrogate (`"\\ud800"`): Python decodes it into a `str` that UTF-8 (our
stores, logs and responses) cannot encode, so it must be refused before anything stores it.
Identifiers and one-line values additionally refuse control characters and line breaks.
"""

from __future__ import annotations

import base64
import re

#: C0 and C1 controls (NUL, newlines, ESC…), and the Unicode line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: The same, but tab, newline and carriage return are layout in multi-line text.
_CONTROLS_BUT_LAYOUT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_lone_surrogate(value: str) -> bool:
    """Whether `value` holds a surrogate code point (UTF-8 cannot encode one)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def is_unsafe_text(value: str, *, multiline: bool) -> bool:
    """Whether `value` holds a lone surrogate or a control character (layout ones allowed in
    `multiline` text)."""
    controls = _CONTROLS_BUT_LAYOUT if multiline else _CONTROLS
    return has_lone_surrogate(value) or controls.search(value) is not None


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def decode_base64url(text: str) -> bytes:
    """The bytes of unpadded base64url `text` (opaque cursors); ValueError for anything else.

    Strict, unlike `base64.urlsafe_b64decode`, which skips characters outside the alphabet and
    so would take `"abc\\n"` or `"a.b"` for a cursor."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
