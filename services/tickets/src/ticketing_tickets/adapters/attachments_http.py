"""AttachmentLookup over HTTP: the distributed mode asks the attachments service's internal API
(`ticketing_contracts.internal_attachments`) whether attachments may go on a message."""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_contracts.internal_attachments import CHECK_PATH, CheckAttachments, CheckResult
from ticketing_web.internal_client import InternalCallFailed, InternalClient

from ticketing_tickets.application.ports import AttachmentsUnavailable
from ticketing_tickets.domain import Actor, FieldError


class HttpAttachmentLookup:
    def __init__(self, client: InternalClient) -> None:
        self._client = client

    async def check(
        self, *, brand_id: str, actor: Actor, attachment_ids: Sequence[str]
    ) -> list[FieldError]:
        if not attachment_ids:
            return []
        question = CheckAttachments(
            brand_id=brand_id,
            user_id=actor.id,
            role=actor.role.value,
            departments=sorted(actor.departments) if actor.departments is not None else None,
            customers=sorted(actor.customers),
            attachment_ids=list(attachment_ids),
        )
        try:
            answer = await self._client.call(CHECK_PATH, question, CheckResult)
        except InternalCallFailed as failed:
            raise AttachmentsUnavailable(str(failed)) from failed
        return [FieldError(r.field, r.message) for r in answer.refusals]

    async def close(self) -> None:
        await self._client.aclose()
