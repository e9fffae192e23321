"""The attachments use cases: upload, download, reuse checks for the command side, descriptions
for the query side, and the cleanup of uploads no ticket ever referenced."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from ticketing_attachments.domain import (
    Attachment,
    Caller,
    may_read,
    sanitize_filename,
)
from ticketing_attachments.domain.access import blob_key

from .inspection import Inspector
from .ports import AttachmentCatalog, BlobNotFound, BlobStore

_log = structlog.get_logger("ticketing.attachments")
ATTACHMENT_ID = re.compile(r"^[0-9a-f]{32}$")
FIELD = "attachment_ids"


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    """What uploads may be: at most `max_bytes`, of an `allowed` type; unreferenced uploads
    live `keep_unreferenced`, and stop being usable `reuse_margin` before they go."""

    max_bytes: int
    allowed: frozenset[str]
    keep_unreferenced: timedelta = timedelta(hours=24)
    reuse_margin: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Download:
    attachment: Attachment
    chunks: AsyncIterator[bytes]


class Attachments:
    def __init__(
        self,
        *,
        blobs: BlobStore,
        catalog: AttachmentCatalog,
        policy: UploadPolicy,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
    ) -> None:
        self.blobs = blobs
        self.catalog = catalog
        self.policy = policy
        self._clock = clock
        self._new_id = new_id

    async def upload(
        self,
        *,
        brand_id: str,
        uploader: Caller,
        filename: str | None,
        declared_type: str | None,
        chunks: AsyncIterator[bytes],
    ) -> Attachment:
        """Store an upload whose type, size and checksum come from its bytes. Raises an
        UploadRejected (TooLarge, UnsupportedType, EmptyUpload), and then nothing is stored."""
        inspector = Inspector(
            max_bytes=self.policy.max_bytes, allowed=self.policy.allowed, declared=declared_type
        )

        async def inspected() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                inspector.feed(chunk)
                yield chunk
            inspector.finish()  # a rejection here still aborts the put: nothing is stored

        attachment_id = self._new_id()
        key = blob_key(brand_id, attachment_id)
        await self.blobs.put(key, inspected())
        verdict = inspector.finish()
        attachment = Attachment(
            brand_id=brand_id,
            attachment_id=attachment_id,
            uploader_id=uploader.user_id,
            uploader_role=uploader.role,
            filename=sanitize_filename(filename),
            content_type=verdict.content_type,
            size=verdict.size,
            sha256=verdict.sha256,
            created_at=self._clock(),
        )
        try:
            await self.catalog.add(attachment)
        except BaseException:
            await self.blobs.delete(key)
            raise
        return attachment

    async def download(
        self, *, brand_id: str, caller: Caller, attachment_id: str
    ) -> Download | None:
        """The attachment and its bytes if `caller` may read it; None (a 404) otherwise."""
        if not ATTACHMENT_ID.fullmatch(attachment_id):
            return None
        attachment = await self.catalog.get(brand_id, attachment_id)
        if attachment is None:
            return None
        if not await self._may_read(brand_id, caller, attachment):
            return None
        try:
            chunks = await self.blobs.open(attachment.blob_key)
        except BlobNotFound:
            _log.warning("attachment_blob_missing", brand_id=brand_id, attachment_id=attachment_id)
            return None
        return Download(attachment, chunks)

    async def check_usable(
        self, *, brand_id: str, caller: Caller, attachment_ids: Sequence[str]
    ) -> list[tuple[str, str]]:
        """Why any of these attachments may not go on a message by this caller, as
        (field, message) pairs; [] if all may. Each must exist in the brand, be one the caller
        may read (`may_read`, the download's rule: naming it shows it to whoever sees the
        ticket), and not be about to expire. One the caller may not read is "unknown", as a
        download of it is a 404."""
        wellformed = [a for a in attachment_ids if ATTACHMENT_ID.fullmatch(a)]
        found = await self.catalog.get_many(brand_id, wellformed)
        referenced = await self.catalog.referenced(brand_id, list(found))
        keep = self.policy.keep_unreferenced
        expiring = self._clock() - (keep - min(self.policy.reuse_margin, keep / 10))
        errors: list[tuple[str, str]] = []
        for attachment_id in attachment_ids:
            attachment = found.get(attachment_id)
            if attachment is None or not await self._may_read(brand_id, caller, attachment):
                errors.append((FIELD, f"unknown attachment {attachment_id!r}"))
            elif attachment_id not in referenced and attachment.created_at < expiring:
                errors.append((FIELD, f"attachment {attachment_id!r} has expired; upload it again"))
        return errors

    async def _may_read(self, brand_id: str, caller: Caller, attachment: Attachment) -> bool:
        if attachment.uploader_id == caller.user_id:
            return True  # no need to look up its tickets
        tickets = await self.catalog.access(brand_id, attachment.attachment_id)
        return may_read(caller, attachment, tickets)

    async def describe(
        self, brand_id: str, attachment_ids: Sequence[str]
    ) -> dict[str, dict[str, str | int]]:
        """What a message's attachment list shows, by id; unknown ids are left out."""
        found = await self.catalog.get_many(
            brand_id, [a for a in attachment_ids if ATTACHMENT_ID.fullmatch(a)]
        )
        return {
            a.attachment_id: {
                "attachment_id": a.attachment_id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
            }
            for a in found.values()
        }

    async def cleanup(self, *, limit: int = 500) -> int:
        """Delete uploads older than `keep_unreferenced` that no ticket references; returns how
        many went. The record goes first (only if still unreferenced), then the bytes."""
        cutoff = self._clock() - self.policy.keep_unreferenced
        removed = 0
        for attachment in await self.catalog.unreferenced(created_before=cutoff, limit=limit):
            if await self.catalog.remove_unreferenced(
                attachment.brand_id, attachment.attachment_id
            ):
                await self.blobs.delete(attachment.blob_key)
                removed += 1
        if removed:
            _log.info("attachments_cleaned_up", removed=removed)
        return removed
