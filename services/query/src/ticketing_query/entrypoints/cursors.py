"""List cursors: opaque to clients, a keyset position to us.

A cursor is base64url (no padding) of a version byte followed by compact JSON
`[last_activity_at (ISO 8601, UTC, microseconds), ticket_id]`. The version byte lets the format
change later while old cursors are still told apart (and refused cleanly).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from ticketing_contracts.topics import is_ticket_id
from ticketing_web.text import decode_base64url

from ticketing_query.application.ports import Cursor

_VERSION = 1
_MAX_LENGTH = 200


class BadCursor(ValueError):
    """The text is not a cursor this service issued."""


def encode_cursor(cursor: Cursor) -> str:
    at = cursor.last_activity_at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = json.dumps([at, cursor.ticket_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(bytes([_VERSION]) + payload).rstrip(b"=").decode()


def decode_cursor(text: str) -> Cursor:
    """The cursor `text` stands for; BadCursor (a 422 naming `cursor`) for anything that does
    not decode into a position of this list, whatever is inside it."""
    if not text or len(text) > _MAX_LENGTH:
        raise BadCursor("not a cursor from this list")
    try:
        raw = decode_base64url(text)
        if not raw or raw[0] != _VERSION:
            raise BadCursor("not a cursor from this list (unknown version)")
        decoded = json.loads(raw[1:].decode())
        if not isinstance(decoded, list) or len(decoded) != 2:
            raise BadCursor("not a cursor from this list")
        at_text, ticket_id = decoded
        if not isinstance(at_text, str) or not isinstance(ticket_id, str):
            raise BadCursor("not a cursor from this list")
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None or not is_ticket_id(ticket_id):
            raise BadCursor("not a cursor from this list")
        # Year 1 at +14:00 or year 9999 at -14:00 has no UTC instant: OverflowError.
        at = at.astimezone(UTC)
    except BadCursor:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # ValueError covers bad base64, UnicodeDecodeError, JSONDecodeError and bad dates.
        raise BadCursor("not a cursor from this list") from error
    return Cursor(at, ticket_id)


def checked_cursor(text: str | None) -> str | None:
    """A pydantic AfterValidator: a bad cursor is a 422 naming `cursor`."""
    if text is not None:
        decode_cursor(text)
    return text
