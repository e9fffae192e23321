"""What the relay publishes: each stored ticket event as its Kafka record, the ones that cannot
be relayed (not a ticket event, or too large for the broker) logged, counted and skipped."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from prometheus_client import Counter
from ticketing_contracts.kafka_wire import EventRecord, WireError, encode_event
from ticketing_contracts.stored import envelope_from_stored
from ticketing_eventstore.ports import RecordedEvent

_log = structlog.get_logger("ticketing.relay")


def encode_stored(record: RecordedEvent) -> EventRecord:
    """The Kafka record of a stored ticket event; raises if it cannot be relayed as one (the
    envelope is the one stored-event mapping; encode_event checks its stream and brand)."""
    return encode_event(envelope_from_stored(record))


def encode_relayable(
    events: Sequence[RecordedEvent], *, max_record_bytes: int, skipped: Counter
) -> list[EventRecord]:
    """The records of `events` that can be relayed; each other one is logged and counted."""
    records: list[EventRecord] = []
    limit = max_record_bytes
    for event in events:
        try:
            record = encode_stored(event)
            if len(record.value) > limit:  # the broker would refuse it again and again
                raise WireError(f"the record is {len(record.value)} bytes, over {limit}")
            records.append(record)
        except Exception as error:  # one bad record must never stop the relay
            skipped.inc()
            _log.warning(
                "relay_event_skipped",
                position=event.position,
                stream_id=event.stream_id,
                event_type=event.event_type,
                reason=f"{type(error).__name__}: {error}",
            )
    return records
