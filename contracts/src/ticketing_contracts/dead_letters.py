"""How a consumer parks a record it cannot read on the dead-letter topic (`tickets.events.v1.dlq`).

The parked record is the original one, unchanged — same key, same value bytes, same headers —
plus these headers, so an operator can see why and where from, and replay it once it is fixed:
- `ticketing-dlq-reason`: why the consumer could not read it (UTF-8 text, at most 1000 chars);
- `ticketing-dlq-topic`, `ticketing-dlq-partition`, `ticketing-dlq-offset`: where it was read;
- `ticketing-dlq-group`: the consumer group that parked it.

Pure standard library: consumers import it, and the AsyncAPI document describes these headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

REASON_HEADER = "ticketing-dlq-reason"
TOPIC_HEADER = "ticketing-dlq-topic"
PARTITION_HEADER = "ticketing-dlq-partition"
OFFSET_HEADER = "ticketing-dlq-offset"
GROUP_HEADER = "ticketing-dlq-group"
DEAD_LETTER_HEADERS = (REASON_HEADER, TOPIC_HEADER, PARTITION_HEADER, OFFSET_HEADER, GROUP_HEADER)
MAX_REASON = 1000

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Origin:
    """Why and where from a record was parked, as its dead-letter headers say."""

    reason: str
    topic: str
    partition: int
    offset: int
    group: str


def dead_letter_headers(
    original: Sequence[tuple[str, bytes]] | None,
    *,
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    group: str,
) -> Headers:
    """The original headers (our own dead-letter headers dropped) plus the parking headers."""
    kept = [(k, v) for k, v in original or () if k not in DEAD_LETTER_HEADERS]
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 1] + "…"
    return [
        *kept,
        (REASON_HEADER, reason.encode()),
        (TOPIC_HEADER, topic.encode()),
        (PARTITION_HEADER, str(partition).encode()),
        (OFFSET_HEADER, str(offset).encode()),
        (GROUP_HEADER, group.encode()),
    ]


def origin(headers: Sequence[tuple[str, bytes]] | None) -> Origin:
    """The parking headers of a dead-letter record; ValueError if one is missing or malformed."""
    found = {k: v for k, v in headers or () if k in DEAD_LETTER_HEADERS}
    missing = [name for name in DEAD_LETTER_HEADERS if name not in found]
    if missing:
        raise ValueError(f"not a dead-letter record: no {', '.join(missing)}")
    return Origin(
        reason=found[REASON_HEADER].decode(),
        topic=found[TOPIC_HEADER].decode(),
        partition=int(found[PARTITION_HEADER]),
        offset=int(found[OFFSET_HEADER]),
        group=found[GROUP_HEADER].decode(),
    )
