"""The panel's checks on what a browser sends: where to return after sign-in, and whether a
state-changing request really comes from one of our own forms (CSRF token and Origin)."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request

PREFIX = "/panel"
HOME = f"{PREFIX}/"
COOKIE = "ticketing_panel"
_NOTIFICATION_ID = re.compile(r"[0-9A-Za-z_\-]{1,128}")
_KEY = re.compile(r"[A-Za-z0-9_\-]{16,128}")


def safe_return_to(raw: str | None) -> str:
    """`raw` when it is a plain relative path under /panel/, else /panel/.

    Refused: schemes, hosts (`//evil`), backslashes, control characters, dot segments and empty
    segments, also when percent-encoded (once or more)."""
    if not raw or len(raw) > 2048:
        return HOME
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in raw):
        return HOME
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.fragment or not raw.startswith(HOME):
        return HOME
    decoded = parts.path
    for _ in range(4):  # %252e%252e is '..' after two decodings
        decoded = unquote(decoded)
    if "%" in decoded or "\\" in decoded or any(ord(c) < 0x20 for c in decoded):
        return HOME
    if not decoded.startswith(HOME) or "//" in decoded:
        return HOME
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return HOME
    # Header-safe: non-ASCII (a Persian search word) percent-encoded, the rest left as it is.
    return quote(raw, safe="/?&=%+-._~:,;@!$'()*")


def is_notification_id(value: str) -> bool:
    return _NOTIFICATION_ID.fullmatch(value) is not None


def is_form_key(value: str) -> bool:
    return _KEY.fullmatch(value) is not None


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site.

    A browser sends `Origin` with every cross-site POST and cannot forge it; `Sec-Fetch-Site`
    likewise. Our own host is the `Host` header, or the gateway's `X-Forwarded-Host`."""
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed frames, data: URLs) included
    ours = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
    return parts.netloc.lower() in {h.lower() for h in ours if h}


def masked_csrf(token: str) -> str:
    """The session's CSRF token under a fresh random mask, for one page.

    Pages are compressed and some echo what a person typed (a search): a secret written the
    same way in every answer could be read out from compressed sizes (BREACH). Masked, it is
    written differently every time."""
    raw = token.encode()
    mask = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(mask + _xor(raw, mask)).decode()


def csrf_matches(expected: str, given: object) -> bool:
    """Whether a form's `csrf_token` is the session's token under some mask."""
    if not isinstance(given, str) or len(given) > 256:
        return False
    try:
        both = base64.urlsafe_b64decode(given.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    half = len(both) // 2
    mask, hidden = both[:half], both[half:]
    if len(mask) != len(hidden):
        return False
    return hmac.compare_digest(expected.encode(), _xor(hidden, mask))


def _xor(data: bytes, mask: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, mask, strict=True))
