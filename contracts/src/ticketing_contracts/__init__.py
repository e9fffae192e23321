"""Public wire contracts of ticket events: envelope, event data, upcasting, names and codes.

Depends on pydantic only; importing it does no IO. See contracts/README.md for the rules.
"""

from __future__ import annotations

from .catalog import (
    DEFAULT_DEPARTMENTS,
    DEFAULT_REQUEST_TYPES,
    PRIORITY_LABELS,
    BrandCatalog,
    BrandCatalogs,
)
from .decoding import InvalidEventData, decode_event
from .envelope import Actor, EventEnvelope, parse_data
from .errors import ContractError, MissingUpcaster, UnknownEventType, UnknownSchemaVersion
from .events import (
    ALL_EVENT_MODELS,
    CURRENT_VERSIONS,
    EVENT_MODELS,
    PERSONAL_DATA,
    AgentViewed,
    CustomerRead,
    EventData,
    MessagePosted,
    MessagePostedV1,
    Priority,
    PriorityChanged,
    Side,
    TicketAssigned,
    TicketClosed,
    TicketClosedV1,
    TicketEvent,
    TicketOpened,
    TicketOpenedV1,
    TicketReopened,
    TicketTransferred,
    model_for,
    personal_data_fields,
    wire_name_for,
)
from .roles import Role
from .topics import (
    BRAND_ID_PATTERN,
    TICKET_EVENTS_DLQ,
    TICKET_EVENTS_TOPIC,
    TICKET_ID_PATTERN,
    brand_stream_prefix,
    is_brand_id,
    is_ticket_id,
    parse_ticket_stream_id,
    ticket_stream_id,
)
from .tracking_code import (
    TRACKING_CODE_PATTERN,
    is_valid_tracking_code,
    make_tracking_code,
    normalize_tracking_code,
)
from .upcasting import UPCASTERS, Upcaster, Upcasters, upcast

__all__ = [
    "ALL_EVENT_MODELS",
    "BRAND_ID_PATTERN",
    "CURRENT_VERSIONS",
    "DEFAULT_DEPARTMENTS",
    "DEFAULT_REQUEST_TYPES",
    "EVENT_MODELS",
    "PERSONAL_DATA",
    "PRIORITY_LABELS",
    "TICKET_EVENTS_DLQ",
    "TICKET_EVENTS_TOPIC",
    "TICKET_ID_PATTERN",
    "TRACKING_CODE_PATTERN",
    "UPCASTERS",
    "Actor",
    "AgentViewed",
    "BrandCatalog",
    "BrandCatalogs",
    "ContractError",
    "CustomerRead",
    "EventData",
    "EventEnvelope",
    "InvalidEventData",
    "MessagePosted",
    "MessagePostedV1",
    "MissingUpcaster",
    "Priority",
    "PriorityChanged",
    "Role",
    "Side",
    "TicketAssigned",
    "TicketClosed",
    "TicketClosedV1",
    "TicketEvent",
    "TicketOpened",
    "TicketOpenedV1",
    "TicketReopened",
    "TicketTransferred",
    "UnknownEventType",
    "UnknownSchemaVersion",
    "Upcaster",
    "Upcasters",
    "brand_stream_prefix",
    "decode_event",
    "is_brand_id",
    "is_ticket_id",
    "is_valid_tracking_code",
    "make_tracking_code",
    "model_for",
    "normalize_tracking_code",
    "parse_data",
    "parse_ticket_stream_id",
    "personal_data_fields",
    "ticket_stream_id",
    "upcast",
    "wire_name_for",
]
