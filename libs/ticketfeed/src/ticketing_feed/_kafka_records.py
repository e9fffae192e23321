"""Reading a record of the event topic (`ticketing_contracts.kafka_wire`) for `KafkaFeed`:
the position it stands for, and the event or marker it carries."""

from __future__ import annotations

from aiokafka import ConsumerRecord  # type: ignore[import-untyped]
from ticketing_contracts.kafka_wire import WireError, decode_envelope, decode_marker, is_marker

from .envelopes import event_from_envelope
from .events import EventIn

#: How many records before an offset are re-read for their positions only (the head, a new
#: assignment).
HEAD_TAIL = 8


def position_of(record: ConsumerRecord) -> int:
    """The position a record stands for (0 for a poison one)."""
    try:
        if is_marker(record.headers):
            return decode_marker(record.value).position
        position = decode_envelope(record.value)["position"]
        return int(position)
    except WireError:
        return 0


def parse_record(record: ConsumerRecord) -> EventIn | int:
    """An event record's event, or a marker's position; WireError/UnreadableEvent if poison."""
    if is_marker(record.headers):
        return decode_marker(record.value).position
    return event_from_envelope(decode_envelope(record.value))
