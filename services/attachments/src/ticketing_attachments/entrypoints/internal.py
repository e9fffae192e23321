"""The internal API the tickets and query services call in the distributed mode
(`ticketing_contracts.internal_attachments`): check attachments before they go on a message,
describe them for a ticket's detail.

Guarded by the internal service token (`TICKETING_INTERNAL_TOKEN`), not by end-user tokens,
and left out of the public OpenAPI document; the gateway never routes here.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from ticketing_contracts.internal_attachments import (
    CHECK_PATH,
    DESCRIBE_PATH,
    AttachmentDescription,
    AttachmentRefusal,
    CheckAttachments,
    CheckResult,
    DescribeAttachments,
    DescribeResult,
)
from ticketing_web.internal import internal_token_guard

from ticketing_attachments.bootstrap import AttachmentsService
from ticketing_attachments.domain import Caller


def _service(request: Request) -> AttachmentsService:
    service: AttachmentsService = request.app.state.attachments
    return service


async def check(body: CheckAttachments, request: Request) -> CheckResult:
    """Why any of these attachments may not go on a message by this caller (the download's
    rule: only what it may read)."""
    caller = Caller(
        user_id=body.user_id,
        role=body.role,
        departments=frozenset(body.departments) if body.departments is not None else None,
        customers=frozenset(body.customers),
    )
    refusals = await _service(request).check_usable(
        brand_id=body.brand_id, caller=caller, attachment_ids=body.attachment_ids
    )
    return CheckResult(
        refusals=[AttachmentRefusal(field=field, message=message) for field, message in refusals]
    )


async def describe(body: DescribeAttachments, request: Request) -> DescribeResult:
    """What a ticket's detail shows of these attachments; unknown ids are left out."""
    found = await _service(request).describe(body.brand_id, body.attachment_ids)
    return DescribeResult(
        attachments=[
            AttachmentDescription(
                attachment_id=str(info["attachment_id"]),
                filename=str(info["filename"]),
                content_type=str(info["content_type"]),
                size=int(info["size"]),
            )
            for info in found.values()
        ]
    )


def attach_internal(app: FastAPI, service: AttachmentsService) -> None:
    """Serve the internal routes from `app` (the standalone attachments app)."""
    app.state.attachments = service
    router = APIRouter(
        dependencies=[Depends(internal_token_guard(service.settings.internal_token))],
        include_in_schema=False,
        tags=["internal"],
    )
    router.add_api_route(CHECK_PATH, check, methods=["POST"], response_model=CheckResult)
    router.add_api_route(DESCRIBE_PATH, describe, methods=["POST"], response_model=DescribeResult)
    app.include_router(router)
