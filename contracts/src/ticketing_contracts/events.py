"""The `data` of every ticket event, one frozen model per event type and schema version.

These are public: Kafka subscribers and analytics replaying history read them. Changing what an
event's data holds means a new model with `schema_version` + 1 and an upcaster from the old one
(see `upcasting`); the old model stays here so its schema stays published. Wire names such as
`tickets.TicketOpened.v1` come from `event_type` and `schema_version`, never from Python paths,
so classes may be renamed or moved freely.

Fields holding personal data carry `x-personal-data: true` in their JSON Schema, so erasure
tooling can find them (`personal_data_fields`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from .errors import UnknownEventType, UnknownSchemaVersion
from .topics import TICKET_ID_PATTERN
from .tracking_code import TRACKING_CODE_PATTERN

PERSONAL_DATA = "x-personal-data"
"""JSON Schema keyword marking a field whose value is personal data."""

Priority = Literal["low", "normal", "high", "urgent"]
Side = Literal["customer", "agent"]
"""Which side of the conversation acted: a representative counts as the customer side."""

_PERSONAL: dict[str, Any] = {PERSONAL_DATA: True}

TicketId = Annotated[str, Field(pattern=TICKET_ID_PATTERN, description="uuid4, 32 lowercase hex")]
Id = Annotated[str, Field(min_length=1)]
MessageBody = Annotated[
    str,
    Field(min_length=1, max_length=20_000, json_schema_extra=_PERSONAL),
]
PersonName = Annotated[
    str | None,
    Field(
        max_length=100,
        description="the person's name from their token's `name` claim; null when it had none "
        "(and in events upcast from a version that did not record it)",
        json_schema_extra=_PERSONAL,
    ),
]
AttachmentIds = Annotated[
    list[Id],
    Field(max_length=10, description="Ids of stored attachments; never the bytes"),
]


def wire_name_for(event_type: str, schema_version: int) -> str:
    """The stable, versioned name of an event version: `tickets.{event_type}.v{version}`."""
    return f"tickets.{event_type}.v{schema_version}"


class EventData(BaseModel):
    """Base of every event's data: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    wire_name: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} must set its own `event_type` ClassVar")
        if cls.schema_version < 1:
            raise TypeError(f"{cls.__name__}.schema_version must be >= 1")
        cls.wire_name = wire_name_for(cls.event_type, cls.schema_version)


class TicketOpenedV1(EventData):
    """A ticket was opened, with its first message."""

    # The published v1 schema keeps its title: renaming the class changes nothing on the wire.
    model_config = ConfigDict(title="TicketOpened")

    event_type: ClassVar[str] = "TicketOpened"

    ticket_id: TicketId
    tracking_code: Annotated[str, Field(pattern=TRACKING_CODE_PATTERN)]
    customer_id: Id
    title: Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=_PERSONAL)]
    department: Id
    request_type: Id
    priority: Priority
    message_id: Id
    body: MessageBody
    attachment_ids: AttachmentIds
    opened_by_side: Side


class TicketOpened(EventData):
    """A ticket was opened, with its first message and the name of who opened it."""

    event_type: ClassVar[str] = "TicketOpened"
    schema_version: ClassVar[int] = 2

    ticket_id: TicketId
    tracking_code: Annotated[str, Field(pattern=TRACKING_CODE_PATTERN)]
    customer_id: Id
    title: Annotated[str, Field(min_length=1, max_length=200, json_schema_extra=_PERSONAL)]
    department: Id
    request_type: Id
    priority: Priority
    message_id: Id
    body: MessageBody
    attachment_ids: AttachmentIds
    opened_by_side: Side
    opened_by_name: PersonName


class MessagePostedV1(EventData):
    """A message was added: a visible reply, or an agent's internal note."""

    # The published v1 schema keeps its title: renaming the class changes nothing on the wire.
    model_config = ConfigDict(title="MessagePosted")

    event_type: ClassVar[str] = "MessagePosted"

    message_id: Id
    body: MessageBody
    attachment_ids: AttachmentIds
    internal: StrictBool
    follow_up: StrictBool
    author_side: Side


class MessagePosted(EventData):
    """A message was added: a visible reply, or an agent's internal note, with its author's name."""

    event_type: ClassVar[str] = "MessagePosted"
    schema_version: ClassVar[int] = 2

    message_id: Id
    body: MessageBody
    attachment_ids: AttachmentIds
    internal: StrictBool
    follow_up: StrictBool
    author_side: Side
    author_name: PersonName


class AgentViewed(EventData):
    """The support side opened the ticket."""

    event_type: ClassVar[str] = "AgentViewed"


class CustomerRead(EventData):
    """The customer side read the ticket."""

    event_type: ClassVar[str] = "CustomerRead"


class TicketClosedV1(EventData):
    """The ticket was closed, optionally with a reason."""

    # The published v1 schema keeps its title: renaming the class changes nothing on the wire.
    model_config = ConfigDict(title="TicketClosed")

    event_type: ClassVar[str] = "TicketClosed"

    reason: Annotated[str | None, Field(max_length=1000, json_schema_extra=_PERSONAL)]


class TicketClosed(EventData):
    """The ticket was closed, optionally with a reason, and the name of who closed it."""

    event_type: ClassVar[str] = "TicketClosed"
    schema_version: ClassVar[int] = 2

    reason: Annotated[str | None, Field(max_length=1000, json_schema_extra=_PERSONAL)]
    closed_by_name: PersonName


class TicketReopened(EventData):
    """A closed ticket was reopened."""

    event_type: ClassVar[str] = "TicketReopened"


class TicketTransferred(EventData):
    """The ticket moved to another department."""

    event_type: ClassVar[str] = "TicketTransferred"

    from_department: Id
    to_department: Id


class PriorityChanged(EventData):
    """The ticket's priority changed."""

    event_type: ClassVar[str] = "PriorityChanged"

    from_priority: Priority
    to_priority: Priority


class TicketAssigned(EventData):
    """The ticket was assigned to an agent, or unassigned (`assignee_id` null)."""

    event_type: ClassVar[str] = "TicketAssigned"

    assignee_id: Id | None
    previous_assignee_id: Id | None


TicketEvent = (
    TicketOpened
    | MessagePosted
    | AgentViewed
    | CustomerRead
    | TicketClosed
    | TicketReopened
    | TicketTransferred
    | PriorityChanged
    | TicketAssigned
)
"""The current model of every event type: what readers get after upcasting, and `match` on."""

ALL_EVENT_MODELS: tuple[type[EventData], ...] = (
    TicketOpenedV1,
    TicketOpened,
    MessagePostedV1,
    MessagePosted,
    AgentViewed,
    CustomerRead,
    TicketClosedV1,
    TicketClosed,
    TicketReopened,
    TicketTransferred,
    PriorityChanged,
    TicketAssigned,
)
"""Every event version ever published, old versions included (for schemas and history)."""


def _by_version(models: tuple[type[EventData], ...]) -> dict[tuple[str, int], type[EventData]]:
    out: dict[tuple[str, int], type[EventData]] = {}
    for model in models:
        key = (model.event_type, model.schema_version)
        if key in out:
            raise TypeError(f"two models for {model.wire_name}")
        out[key] = model
    return out


_BY_VERSION = _by_version(ALL_EVENT_MODELS)

EVENT_MODELS: dict[str, type[EventData]] = {
    event_type: _BY_VERSION[(event_type, max(v for t, v in _BY_VERSION if t == event_type))]
    for event_type, _ in _BY_VERSION
}
"""The current model of each event type, by event type."""

CURRENT_VERSIONS: dict[str, int] = {t: m.schema_version for t, m in EVENT_MODELS.items()}
"""The current schema version of each event type."""


def model_for(event_type: str, schema_version: int) -> type[EventData]:
    """The model of one event version; UnknownEventType / UnknownSchemaVersion otherwise."""
    model = _BY_VERSION.get((event_type, schema_version))
    if model is not None:
        return model
    if event_type not in EVENT_MODELS:
        raise UnknownEventType(event_type)
    raise UnknownSchemaVersion(event_type, schema_version, CURRENT_VERSIONS[event_type])


def personal_data_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the model's fields marked as personal data."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(PERSONAL_DATA)
    )
