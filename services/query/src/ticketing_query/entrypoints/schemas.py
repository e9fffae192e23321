"""The query API's response bodies (API.md, Queries): what /openapi.json documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from ticketing_contracts.catalog import PRIORITY_LABELS, BrandCatalog
from ticketing_model import LABELS, AgentState
from ticketing_web.jalali import jalali

from ticketing_query.application.ports import AttachmentInfo
from ticketing_query.application.queries import Detail
from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import MessageView, TicketView


class Status(BaseModel):
    code: int = Field(ge=1, le=8, description="1..8, STATES.md")
    agent_state: AgentState
    customer_read: bool
    label: str = Field(description="the Persian label of the code, verbatim from STATES.md")


_NAME = (
    "the person's name from their token's `name` claim when they acted; null without one (and "
    "for history recorded before names were): show the role instead"
)
_WHILE_CLOSED = "; null while the ticket is open (a reopen sets it back to null)"


class ClosedBy(BaseModel):
    """Who closed the ticket."""

    id: str = Field(description="the user id")
    role: str = Field(description="customer, representative, agent or admin")
    name: str | None = Field(description=_NAME)


class Ticket(BaseModel):
    ticket_id: str
    tracking_code: str
    title: str
    department: str
    department_label: str = Field(
        description="the brand's Persian label of the department, as configured now; the code "
        "itself when the code is no longer configured"
    )
    request_type: str
    request_type_label: str = Field(
        description="the brand's Persian label of the request type (as `department_label`)"
    )
    priority: str
    priority_label: str = Field(description="low کم, normal معمولی, high زیاد, urgent فوری")
    customer_id: str
    status: Status
    closed: bool
    closed_at: datetime | None = Field(
        description="when it was closed, ISO 8601 UTC" + _WHILE_CLOSED
    )
    closed_at_jalali: str | None = Field(
        description="`closed_at` in Solar Hijri, Tehran time" + _WHILE_CLOSED
    )
    closed_by: ClosedBy | None = Field(description="who closed it" + _WHILE_CLOSED)
    close_reason: str | None = Field(
        description="the reason given when it was closed; null when none was given" + _WHILE_CLOSED
    )
    created_at: datetime = Field(description="ISO 8601, UTC")
    created_at_jalali: str = Field(description="Solar Hijri, Tehran time: `1404/03/30 14:05`")
    last_activity_at: datetime
    last_activity_at_jalali: str = Field(description="`last_activity_at` as `created_at_jalali`")
    unread_count: int = Field(description="messages unread by the caller's side")
    assignee_id: str | None
    version: int


class Attachment(BaseModel):
    attachment_id: str
    filename: str | None
    content_type: str | None
    size: int | None


class Message(BaseModel):
    message_id: str
    author_id: str
    author_role: str
    author_name: str | None = Field(description=_NAME)
    body: str
    internal: bool
    attachments: list[Attachment] = Field(
        description="the message's attachments the attachments service can describe"
    )
    created_at: datetime
    created_at_jalali: str = Field(description="Solar Hijri, Tehran time: `1404/03/30 14:05`")


class TicketDetail(Ticket):
    messages: list[Message] = Field(description="oldest first; the opening body first")


class TicketPage(BaseModel):
    items: list[Ticket]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


class CountersResponse(BaseModel):
    total: int
    open: int
    unread_tickets: int
    unread_messages: int
    by_status: dict[str, int] = Field(description='"1".."8": tickets per status code')


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _ticket_fields(view: TicketView, side: str, catalog: BrandCatalog) -> dict[str, object]:
    code = view.code
    closed_at = view.closed_at if view.closed else None
    closed_by = (
        ClosedBy(id=view.closed_by_id, role=view.closed_by_role, name=view.closed_by_name)
        if view.closed and view.closed_by_id is not None and view.closed_by_role is not None
        else None
    )
    return {
        "ticket_id": view.ticket_id,
        "tracking_code": view.tracking_code,
        "title": view.title,
        "department": view.department,
        # Labelled now, not when projected: a relabel in the brand's catalogue shows at once.
        "department_label": catalog.department_label(view.department),
        "request_type": view.request_type,
        "request_type_label": catalog.request_type_label(view.request_type),
        "priority": view.priority,
        "priority_label": PRIORITY_LABELS.get(view.priority, view.priority),
        "customer_id": view.customer_id,
        "status": Status(
            code=code,
            agent_state=view.agent_state,
            customer_read=view.customer_read,
            label=LABELS[code],
        ),
        "closed": view.closed,
        "closed_at": None if closed_at is None else _utc(closed_at),
        "closed_at_jalali": None if closed_at is None else jalali(closed_at),
        "closed_by": closed_by,
        "close_reason": view.close_reason if view.closed else None,
        "created_at": _utc(view.created_at),
        "created_at_jalali": jalali(view.created_at),
        "last_activity_at": _utc(view.last_activity_at),
        "last_activity_at_jalali": jalali(view.last_activity_at),
        "unread_count": view.unread_for(side)[1],
        "assignee_id": view.assignee_id,
        "version": view.version,
    }


def ticket_of(view: TicketView, side: str, catalog: BrandCatalog) -> Ticket:
    return Ticket.model_validate(_ticket_fields(view, side, catalog))


def message_of(message: MessageView, described: Mapping[str, AttachmentInfo]) -> Message:
    # The read model keeps attachment ids; what they are comes from the attachments service.
    return Message(
        message_id=message.message_id,
        author_id=message.author_id,
        author_role=message.author_role,
        author_name=message.author_name,
        body=message.body,
        internal=message.internal,
        attachments=[
            Attachment(
                attachment_id=info.attachment_id,
                filename=info.filename,
                content_type=info.content_type,
                size=info.size,
            )
            for info in (described.get(a) for a in message.attachment_ids)
            if info is not None
        ],
        created_at=_utc(message.created_at),
        created_at_jalali=jalali(message.created_at),
    )


def detail_of(
    detail: Detail,
    side: str,
    catalog: BrandCatalog,
) -> TicketDetail:
    return TicketDetail.model_validate(
        {
            **_ticket_fields(detail.ticket, side, catalog),
            "messages": [message_of(m, detail.attachments) for m in detail.messages],
        }
    )


def counters_of(counters: Counters) -> CountersResponse:
    return CountersResponse.model_validate(counters.as_json())
