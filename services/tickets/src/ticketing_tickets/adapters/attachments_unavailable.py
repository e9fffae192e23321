"""Attachment lookup for a deployment without the attachments service: every id is unknown."""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_tickets.domain import Actor, FieldError


class NoAttachments:
    async def check(
        self, *, brand_id: str, actor: Actor, attachment_ids: Sequence[str]
    ) -> list[FieldError]:
        return [
            FieldError("attachment_ids", f"unknown attachment {a!r}: attachments are not enabled")
            for a in attachment_ids
        ]
