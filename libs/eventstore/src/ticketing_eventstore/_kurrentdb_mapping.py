"""Pure translations between the event store port and kurrentdbclient: no IO here.

Versions: our stream versions are 1-based with 0 for "no stream"; KurrentDB's stream positions are
0-based and its "current version" of a stream is the position of its last event. So our version
is KurrentDB's position + 1, and an expected version n is KurrentDB's current version n - 1.

Event ids: KurrentDB's are UUIDs, ours are strings. A string that is a UUID is used as it is; any
other is mapped to a name-based UUID (uuid5), deterministically, so a repeated append carries the
same ids. When the string is not the UUID's canonical text, it travels in the event's metadata
under ORIGINAL_ID_KEY and comes back as RecordedEvent.event_id.

Filters: KurrentDB filters $all on the server by a .NET regular expression over stream names;
`stream_filter` builds one that only Python's and .NET's common syntax can read the same way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import kurrentdbclient as kdb
from kurrentdbclient import StreamState

from .memory import encode_json
from .ports import NewEvent, RecordedEvent

#: Metadata key that keeps an event id which is not a canonical UUID text. Reserved: an event
#: whose own metadata uses it is refused.
ORIGINAL_ID_KEY = "ticketing.event_id"
#: Namespace of the uuid5 ids made from event ids that are not UUIDs (fixed forever: changing it
#: would change the ids of retried appends).
EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:ticketing:event-id")
#: What the client reports when no "created" timestamp came with an event (servers always send it).
_UNKNOWN_TIME = datetime.fromtimestamp(0, UTC)


def current_version(expected_version: int | None) -> int | StreamState:
    """KurrentDB's `current_version` argument for our `expected_version`."""
    if expected_version is None:
        return StreamState.ANY
    if expected_version < 0:
        raise ValueError(f"expected_version must be >= 0 or None, got {expected_version}")
    if expected_version == 0:
        return StreamState.NO_STREAM
    return expected_version - 1


def our_version(kurrent_version: int | StreamState | None) -> int | None:
    """Our version for a stream whose KurrentDB current version is this (None: not known)."""
    if kurrent_version is StreamState.NO_STREAM:
        return 0
    if isinstance(kurrent_version, int) and kurrent_version >= 0:
        return kurrent_version + 1
    return None


def kurrent_event_id(event_id: str) -> uuid.UUID:
    """The UUID KurrentDB stores for our event id (the same one every time)."""
    try:
        return uuid.UUID(event_id)
    except ValueError:
        return uuid.uuid5(EVENT_ID_NAMESPACE, event_id)


def to_new_event(event: NewEvent) -> kdb.NewEvent:
    """The client's NewEvent: JSON data and metadata, our id mapped (see the module docstring)."""
    if event.event_type.startswith("$"):
        raise ValueError(f"event types starting with '$' are KurrentDB's own: {event.event_type!r}")
    if ORIGINAL_ID_KEY in event.metadata:
        raise ValueError(f"metadata key {ORIGINAL_ID_KEY!r} is reserved by the event store")
    event_id = kurrent_event_id(event.event_id)
    metadata = dict(event.metadata)
    if str(event_id) != event.event_id:
        metadata[ORIGINAL_ID_KEY] = event.event_id
    return kdb.NewEvent(
        type=event.event_type,
        data=encode_json(dict(event.data)).encode(),
        metadata=encode_json(metadata).encode(),
        content_type="application/json",
        id=event_id,
    )


def first_repeated_id(events: Sequence[NewEvent]) -> str | None:
    """The first event id that maps to a KurrentDB id already used earlier in `events`."""
    seen: set[uuid.UUID] = set()
    for event in events:
        mapped = kurrent_event_id(event.event_id)
        if mapped in seen:
            return event.event_id
        seen.add(mapped)
    return None


def is_system(event: kdb.RecordedEvent) -> bool:
    """KurrentDB's own events: in `$` streams, or of `$` types (links, metadata)."""
    return event.stream_name.startswith("$") or event.type.startswith("$")


def to_recorded(event: kdb.RecordedEvent) -> RecordedEvent | None:
    """Our RecordedEvent, or None for what is not ours to return: system events, and events
    whose data or metadata is not a JSON object (another application's binary events)."""
    if is_system(event):
        return None
    try:
        data = json.loads(event.data)
        metadata = json.loads(event.metadata) if event.metadata else {}
    except ValueError:  # also UnicodeDecodeError
        return None
    if not isinstance(data, dict) or not isinstance(metadata, dict):
        return None
    original_id = metadata.pop(ORIGINAL_ID_KEY, None)
    return RecordedEvent(
        position=event.commit_position,
        stream_id=event.stream_name,
        stream_version=event.stream_position + 1,
        event_id=original_id if isinstance(original_id, str) else str(event.id),
        event_type=event.type,
        data=data,
        metadata=metadata,
        recorded_at=event.recorded_at or _UNKNOWN_TIME,
    )


def regex_literal(text: str) -> str:
    """A regular expression matching exactly `text`, read alike by .NET and Python.

    ASCII letters, digits and '_' stand for themselves; every other ASCII character (all of the
    metacharacters of both engines, spaces and control characters among them) is written as
    `\\xHH`, which both read as that character; non-ASCII characters are no metacharacters in
    either engine and stay as they are (so an astral character stays one character, which a
    `\\uHHHH` pair would not be for Python).
    """
    return "".join(_literal_char(char) for char in text)


def _literal_char(char: str) -> str:
    if not char.isascii() or char.isalnum() or char == "_":
        return char
    return f"\\x{ord(char):02x}"


#: Any stream name: the filter of reads that must see every record (to check a position).
ANY_STREAM = r"[\s\S]*"


def stream_filter(prefix: str | None) -> str:
    """The `filter_include` pattern for stream names starting with `prefix` (any when None),
    never a `$` system stream. The client wraps it in `^...$`."""
    return f"(?!{regex_literal('$')}){regex_literal(prefix or '')}{ANY_STREAM}"


def matches(event: RecordedEvent, prefix: str | None) -> bool:
    return prefix is None or event.stream_id.startswith(prefix)
