"""Adapters the embedded process plugs between services, in-process.

Services never import each other: each declares a port for what it needs from another, and the
composition root (this package) fits one service's public methods to the other's port. The
distributed mode fits the same ports with HTTP clients instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_attachments.bootstrap import AttachmentsService
from ticketing_attachments.domain import Caller
from ticketing_query.application.ports import AttachmentInfo
from ticketing_tickets.domain import Actor, FieldError


class AttachmentsForTickets:
    """The tickets service's AttachmentLookup: may this caller put these ids on a message?"""

    def __init__(self, attachments: AttachmentsService) -> None:
        self._attachments = attachments

    async def check(
        self, *, brand_id: str, actor: Actor, attachment_ids: Sequence[str]
    ) -> list[FieldError]:
        caller = Caller(
            user_id=actor.id,
            role=actor.role.value,
            departments=actor.departments,
            customers=actor.customers,
        )
        refusals = await self._attachments.check_usable(
            brand_id=brand_id, caller=caller, attachment_ids=list(attachment_ids)
        )
        return [FieldError(field, message) for field, message in refusals]


class AttachmentsForQuery:
    """The query service's AttachmentCatalog: what to show of a message's attachments."""

    def __init__(self, attachments: AttachmentsService) -> None:
        self._attachments = attachments

    async def describe(
        self, brand_id: str, attachment_ids: Sequence[str]
    ) -> dict[str, AttachmentInfo]:
        found = await self._attachments.describe(brand_id, list(attachment_ids))
        return {
            attachment_id: AttachmentInfo(
                attachment_id=attachment_id,
                filename=str(info["filename"]),
                content_type=str(info["content_type"]),
                size=int(info["size"]),
            )
            for attachment_id, info in found.items()
        }
