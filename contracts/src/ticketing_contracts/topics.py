"""Kafka topic names and event-store stream names of ticket events.

Stream ids are `ticket-{brand_id}-{ticket_id}`, so one brand's history is read or rebuilt by
filtering on the prefix `ticket-{brand_id}-`. That only isolates brands if no brand's prefix is
a prefix of another brand's streams, so brand ids may not contain '-': otherwise brand `acme`'s
prefix `ticket-acme-` would also match `ticket-acme-corp-...`, the streams of brand `acme-corp`.
With the rule, the first '-' after `ticket-` always ends the brand, and ticket ids (uuid4 hex,
no dashes) make the rest unambiguous. KurrentDB's `$ce-ticket` category (text before the first
'-') then holds every ticket stream.
"""

from __future__ import annotations

import re

TICKET_EVENTS_TOPIC = "tickets.events.v1"
"""Every ticket event envelope, keyed by ticket id (per-ticket order)."""

TICKET_EVENTS_DLQ = "tickets.events.v1.dlq"
"""Events a consumer could not handle, parked with the reason."""

BRAND_ID_PATTERN = r"^[A-Za-z0-9_]{1,64}$"
"""Brand (tenant) ids: no '-', so stream prefixes of two brands never overlap."""

HEX_ID = r"[0-9a-f]{32}"
"""The one definition of the 32-lowercase-hex id (ticket, message, attachment and notification
ids): a uuid4 without dashes. Check a value with `is_hex_id` (a fullmatch)."""

TICKET_ID_PATTERN = f"^{HEX_ID}$"
"""Ticket ids in JSON Schema (anchored, since a schema pattern searches)."""

TICKET_STREAM_CATEGORY = "ticket"

_BRAND = re.compile(BRAND_ID_PATTERN)
_HEX_ID = re.compile(HEX_ID)
_TICKET_STREAM = re.compile(rf"ticket-([A-Za-z0-9_]{{1,64}})-({HEX_ID})")


def is_brand_id(value: str) -> bool:
    """Whether `value` is a well-formed brand id."""
    return _BRAND.fullmatch(value) is not None


def is_hex_id(value: str) -> bool:
    """Whether `value` is 32 lowercase hex characters, nothing before or after."""
    return _HEX_ID.fullmatch(value) is not None


def is_ticket_id(value: str) -> bool:
    """Whether `value` is a well-formed ticket id (32 lowercase hex characters)."""
    return is_hex_id(value)


def ticket_stream_id(brand_id: str, ticket_id: str) -> str:
    """The event-store stream of one ticket; ValueError on a malformed brand or ticket id."""
    _check_brand(brand_id)
    if not is_ticket_id(ticket_id):
        raise ValueError(f"ticket id must be 32 lowercase hex characters, got {ticket_id!r}")
    return f"{TICKET_STREAM_CATEGORY}-{brand_id}-{ticket_id}"


def brand_stream_prefix(brand_id: str) -> str:
    """The prefix shared by all of one brand's ticket streams, and by no other brand's."""
    _check_brand(brand_id)
    return f"{TICKET_STREAM_CATEGORY}-{brand_id}-"


def parse_ticket_stream_id(stream_id: str) -> tuple[str, str] | None:
    """`(brand_id, ticket_id)` of a ticket stream id, or None if it is not one."""
    match = _TICKET_STREAM.fullmatch(stream_id)
    if match is None:
        return None
    return match.group(1), match.group(2)


def _check_brand(brand_id: str) -> None:
    if not is_brand_id(brand_id):
        raise ValueError(
            f"brand id must match {BRAND_ID_PATTERN} (letters, digits, '_'; no '-'), "
            f"got {brand_id!r}"
        )
