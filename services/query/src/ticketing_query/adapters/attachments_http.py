"""AttachmentCatalog over HTTP: the distributed mode asks the attachments service's internal
API (`ticketing_contracts.internal_attachments`) what a ticket's detail shows of them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ticketing_contracts.internal_attachments import (
    DESCRIBE_PATH,
    MAX_IDS,
    DescribeAttachments,
    DescribeResult,
)
from ticketing_web.internal_client import InternalCallFailed, InternalClient

from ticketing_query.application.ports import AttachmentInfo, AttachmentsUnavailable


class HttpAttachmentCatalog:
    def __init__(self, client: InternalClient) -> None:
        self._client = client

    async def describe(
        self, brand_id: str, attachment_ids: Sequence[str]
    ) -> dict[str, AttachmentInfo]:
        unique = list(dict.fromkeys(attachment_ids))
        chunks = [unique[i : i + MAX_IDS] for i in range(0, len(unique), MAX_IDS)]
        try:
            answers = await asyncio.gather(
                *(
                    self._client.call(
                        DESCRIBE_PATH,
                        DescribeAttachments(brand_id=brand_id, attachment_ids=chunk),
                        DescribeResult,
                    )
                    for chunk in chunks
                )
            )
        except InternalCallFailed as failed:
            raise AttachmentsUnavailable(str(failed)) from failed
        return {
            a.attachment_id: AttachmentInfo(
                attachment_id=a.attachment_id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
            )
            for answer in answers
            for a in answer.attachments
        }

    async def close(self) -> None:
        await self._client.aclose()
