"""How the MongoDB read model's documents look, and how views and messages become them and back.

Times are integer microseconds since the epoch (UTC): BSON dates keep only milliseconds, and a
view read back must equal the one written. A ticket document also carries what its queries
filter, sort and sum on, derived from the view when it is written: `code` (the status),
`words` (the normalised words every side may match), `agent_words` (those plus the words of
internal notes, which only the agent side may match), each a sorted array under a multikey
index.

`_id`s are strings, the brand first (`<length of brand>:<brand>:<id>`): unambiguous for any
brand, and a plain string is what FerretDB's SQLite backend can look up without decoding every
document of the collection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ticketing_model import AgentState

from ticketing_query.domain.view import MessageView, TicketView

Document = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def document_id(brand_id: str, local_id: str) -> str:
    """The `_id` of a brand's ticket or message."""
    return f"{len(brand_id)}:{brand_id}:{local_id}"


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (a naive datetime is refused by the subtraction)."""
    return (moment - _EPOCH) // _MICROSECOND


def moment(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def ticket_document(view: TicketView) -> Document:
    """The stored form of a view, with the derived fields the queries use."""
    return {
        "_id": document_id(view.brand_id, view.ticket_id),
        "brand_id": view.brand_id,
        "ticket_id": view.ticket_id,
        "tracking_code": view.tracking_code,
        "title": view.title,
        "department": view.department,
        "request_type": view.request_type,
        "priority": view.priority,
        "customer_id": view.customer_id,
        "created_at": micros(view.created_at),
        "last_activity_at": micros(view.last_activity_at),
        "agent_state": view.agent_state.value,
        "customer_read": view.customer_read,
        "closed": view.closed,
        "agent_unread": view.agent_unread,
        "customer_unread": view.customer_unread,
        "assignee_id": view.assignee_id,
        "version": view.version,
        "position": view.position,
        "closed_at": None if view.closed_at is None else micros(view.closed_at),
        "closed_by_id": view.closed_by_id,
        "closed_by_role": view.closed_by_role,
        "closed_by_name": view.closed_by_name,
        "close_reason": view.close_reason,
        "code": view.code,
        "words": sorted(view.public_words),
        "internal_words": sorted(view.internal_words),
        "agent_words": sorted(view.public_words | view.internal_words),
    }


def ticket_view(document: Document) -> TicketView:
    closed_at = document.get("closed_at")
    return TicketView(
        brand_id=document["brand_id"],
        ticket_id=document["ticket_id"],
        tracking_code=document["tracking_code"],
        title=document["title"],
        department=document["department"],
        request_type=document["request_type"],
        priority=document["priority"],
        customer_id=document["customer_id"],
        created_at=moment(document["created_at"]),
        last_activity_at=moment(document["last_activity_at"]),
        agent_state=AgentState(document["agent_state"]),
        customer_read=document["customer_read"],
        closed=document["closed"],
        agent_unread=document["agent_unread"],
        customer_unread=document["customer_unread"],
        assignee_id=document["assignee_id"],
        version=document["version"],
        position=document["position"],
        # Documents written before these fields existed lack them: null until a rebuild.
        closed_at=None if closed_at is None else moment(closed_at),
        closed_by_id=document.get("closed_by_id"),
        closed_by_role=document.get("closed_by_role"),
        closed_by_name=document.get("closed_by_name"),
        close_reason=document.get("close_reason"),
        public_words=frozenset(document["words"]),
        internal_words=frozenset(document["internal_words"]),
    )


#: What a view needs of a ticket document: everything but the search helper `agent_words`.
VIEW_PROJECTION = {"agent_words": False}


def message_document(message: MessageView) -> Document:
    return {
        "_id": document_id(message.brand_id, message.message_id),
        "brand_id": message.brand_id,
        "ticket_id": message.ticket_id,
        "message_id": message.message_id,
        "author_id": message.author_id,
        "author_role": message.author_role,
        "body": message.body,
        "internal": message.internal,
        "attachment_ids": list(message.attachment_ids),
        "created_at": micros(message.created_at),
        "position": message.position,
        "author_name": message.author_name,
    }


def message_view(document: Document) -> MessageView:
    return MessageView(
        brand_id=document["brand_id"],
        ticket_id=document["ticket_id"],
        message_id=document["message_id"],
        author_id=document["author_id"],
        author_role=document["author_role"],
        body=document["body"],
        internal=document["internal"],
        attachment_ids=tuple(document["attachment_ids"]),
        created_at=moment(document["created_at"]),
        position=document["position"],
        author_name=document.get("author_name"),
    )
