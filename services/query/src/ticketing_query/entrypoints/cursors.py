"""List cursors: opaque to clients, a keyset position to us.

A cursor is base64url (no padding) of a version byte followed by compact JSON
`[last_activity_at (ISO 8601, UTC, microseconds), ticket_id]`. The version byte lets the format
change later while old cursors are still told apart (and refused cleanly).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime

from ticketing_query.application.ports import Cursor

_VERSION = 1
_TICKET_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_LENGTH = 200


class BadCursor(ValueError):
    """The text is not a cursor this service issued."""


def encode_cursor(cursor: Cursor) -> str:
    at = cursor.last_activity_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = json.dumps([at, cursor.ticket_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(bytes([_VERSION]) + payload).rstrip(b"=").decode()


def decode_cursor(text: str) -> Cursor:
    """The cursor `text` stands for; BadCursor if it is not one."""
    if not text or len(text) > _MAX_LENGTH:
        raise BadCursor("not a cursor from this list")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if not raw or raw[0] != _VERSION:
            raise BadCursor("not a cursor from this list (unknown version)")
        at_text, ticket_id = json.loads(raw[1:].decode())
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        if isinstance(error, BadCursor):
            raise
        raise BadCursor("not a cursor from this list") from error
    if at.tzinfo is None or not isinstance(ticket_id, str) or not _TICKET_ID.match(ticket_id):
        raise BadCursor("not a cursor from this list")
    return Cursor(at.astimezone(UTC), ticket_id)


def checked_cursor(text: str | None) -> str | None:
    """A pydantic AfterValidator: a bad cursor is a 422 naming `cursor`."""
    if text is not None:
        decode_cursor(text)
    return text
