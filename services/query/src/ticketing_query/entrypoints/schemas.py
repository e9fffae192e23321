"""The query API's response bodies (API.md, Queries): what /openapi.json documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from ticketing_query.application.ports import AttachmentInfo
from ticketing_query.application.queries import Detail
from ticketing_query.domain.counters import Counters
from ticketing_query.domain.status import LABELS, AgentState
from ticketing_query.domain.view import MessageView, TicketView

from .jalali import jalali


class Status(BaseModel):
    code: int = Field(ge=1, le=8, description="1..8, STATES.md")
    agent_state: AgentState
    customer_read: bool
    label: str = Field(description="the Persian label of the code, verbatim from STATES.md")


class Ticket(BaseModel):
    ticket_id: str
    tracking_code: str
    title: str
    department: str
    request_type: str
    priority: str
    customer_id: str
    status: Status
    closed: bool
    created_at: datetime = Field(description="ISO 8601, UTC")
    created_at_jalali: str = Field(description="Solar Hijri, Tehran time: `1404/03/30 14:05`")
    last_activity_at: datetime
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
    body: str
    internal: bool
    attachments: list[Attachment] = Field(
        description="the message's attachments the attachments service can describe"
    )
    created_at: datetime


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


def _ticket_fields(view: TicketView, side: str) -> dict[str, object]:
    code = view.code
    return {
        "ticket_id": view.ticket_id,
        "tracking_code": view.tracking_code,
        "title": view.title,
        "department": view.department,
        "request_type": view.request_type,
        "priority": view.priority,
        "customer_id": view.customer_id,
        "status": Status(
            code=code,
            agent_state=view.agent_state,
            customer_read=view.customer_read,
            label=LABELS[code],
        ),
        "closed": view.closed,
        "created_at": _utc(view.created_at),
        "created_at_jalali": jalali(view.created_at),
        "last_activity_at": _utc(view.last_activity_at),
        "unread_count": view.unread_for(side)[1],
        "assignee_id": view.assignee_id,
        "version": view.version,
    }


def ticket_of(view: TicketView, side: str) -> Ticket:
    return Ticket.model_validate(_ticket_fields(view, side))


def message_of(message: MessageView, described: Mapping[str, AttachmentInfo]) -> Message:
    # The read model keeps attachment ids; what they are comes from the attachments service.
    return Message(
        message_id=message.message_id,
        author_id=message.author_id,
        author_role=message.author_role,
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
    )


def detail_of(
    detail: Detail, side: str, described: Mapping[str, AttachmentInfo] | None = None
) -> TicketDetail:
    return TicketDetail.model_validate(
        {
            **_ticket_fields(detail.ticket, side),
            "messages": [message_of(m, described or {}) for m in detail.messages],
        }
    )


def counters_of(counters: Counters) -> CountersResponse:
    return CountersResponse.model_validate(counters.as_json())
