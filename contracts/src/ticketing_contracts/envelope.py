"""The envelope every ticket event travels in (DESIGN.md, "Event envelope").

The envelope is the same for every event; `data` is the event's own payload, checked against
its model by `parse_data`. Consumers should accept envelopes of event types they do not know
(and skip them): new event types are added without a new envelope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from .decoding import decode_event
from .events import TicketEvent
from .roles import Role
from .topics import BRAND_ID_PATTERN, TICKET_STREAM_CATEGORY, parse_ticket_stream_id

# The schema as published before Role was an enum: inline, no `$defs` entry.
_ROLE_SCHEMA = {"enum": [r.value for r in Role], "title": "Role", "type": "string"}

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
"""Event ids: a UUID in its canonical form (lowercase, with dashes)."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC (serialised with `Z`); naive ones are refused."""

Version = Annotated[int, Field(ge=1, strict=True)]


class Actor(BaseModel):
    """Who caused the event, as their verified token said."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, description="The user id (the token's `sub`)")]
    role: Annotated[Role, WithJsonSchema(_ROLE_SCHEMA)]


class EventEnvelope(BaseModel):
    """One ticket event as stored, published on Kafka and served by `GET /v1/events`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: Annotated[str, Field(pattern=UUID_PATTERN, json_schema_extra={"format": "uuid"})]
    event_type: Annotated[
        str,
        Field(pattern=r"^[A-Z][A-Za-z0-9]*$", description="Past tense, e.g. TicketOpened"),
    ]
    schema_version: Annotated[Version, Field(description="Version of this event type's data")]
    stream_id: Annotated[str, Field(min_length=1, description="e.g. ticket-{brand_id}-{ticket_id}")]
    stream_version: Annotated[
        Version, Field(description="Position in its stream; the first event is 1")
    ]
    position: Annotated[
        Version | None,
        Field(description="Global position in the store, when known; always set in history"),
    ] = None
    occurred_at: Annotated[UtcDatetime, Field(description="When it happened, in UTC")]
    brand_id: Annotated[str, Field(pattern=BRAND_ID_PATTERN)]
    actor: Actor
    correlation_id: Annotated[
        str, Field(min_length=1, description="Shared by everything one request caused")
    ]
    causation_id: Annotated[
        str | None, Field(description="Id of the command or event that caused this one")
    ] = None
    data: Annotated[dict[str, Any], Field(description="The event's data, see its schema")]

    @model_validator(mode="after")
    def _stream_belongs_to_brand(self) -> EventEnvelope:
        # Brand isolation: a ticket stream's brand must be the envelope's brand.
        if self.stream_id.startswith(f"{TICKET_STREAM_CATEGORY}-"):
            parsed = parse_ticket_stream_id(self.stream_id)
            if parsed is None:
                raise ValueError(f"malformed ticket stream id {self.stream_id!r}")
            if parsed[0] != self.brand_id:
                raise ValueError(
                    f"stream {self.stream_id!r} belongs to brand {parsed[0]!r}, "
                    f"not {self.brand_id!r}"
                )
        return self


def parse_data(envelope: EventEnvelope) -> TicketEvent:
    """The envelope's `data` as the current model of its event type, upcast if it is old.

    Raises UnknownEventType for an event type this code does not know (consumers usually skip
    those), UnknownSchemaVersion / MissingUpcaster when it cannot be lifted, InvalidEventData
    or pydantic's ValidationError when the data does not fit the model.
    """
    return decode_event(envelope.event_type, envelope.schema_version, envelope.data)
