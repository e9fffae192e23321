"""The attachments API (API.md, Attachments): upload one file, download one attachment.

Uploads stream: the app-wide body limit must not apply to `ATTACHMENTS_PREFIX` (pass it to
`build_app(body_limit_exempt=...)`); the upload's own cap is enforced while the bytes arrive.
Downloads honour `X-Min-Position`: they wait until the reference consumer has applied the
position, so the reader of a ticket just written may fetch its attachments at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel
from ticketing_web import CurrentIdentity, Identity, TokenVerifier, build_service_app, problem
from ticketing_web.problems import problem_doc
from ticketing_web.read_your_writes import min_position
from ticketing_web.settings import verifier_from

from ticketing_attachments.application.inspection import UploadRejected
from ticketing_attachments.bootstrap import AttachmentsService
from ticketing_attachments.domain import Caller, content_disposition

from .internal import attach_internal
from .multipart import MalformedUpload, file_part

ATTACHMENTS_PREFIX = "/v1/attachments"


def _service(request: Request) -> AttachmentsService:
    service: AttachmentsService = request.app.state.attachments
    return service


async def attachments_service(request: Request) -> AttachmentsService:
    """The attachments service this app serves (set by `attach`)."""
    return _service(request)


#: For routes that need nothing else of the request (an upload reads its body from it).
AttachmentsDep = Annotated[AttachmentsService, Depends(attachments_service)]


def caller_of(identity: Identity) -> Caller:
    return Caller(
        user_id=identity.sub,
        role=identity.role,
        departments=frozenset(identity.departments) if identity.departments is not None else None,
        customers=frozenset(identity.customers),
    )


async def _referenced(request: Request, position: int) -> bool:
    service = _service(request)
    return await service.subscription.wait_for(position, service.settings.min_position_wait_seconds)


class AttachmentCreated(BaseModel):
    attachment_id: str
    filename: str
    content_type: str
    size: int
    sha256: str


router = APIRouter(
    prefix=ATTACHMENTS_PREFIX,
    tags=["attachments"],
    responses={401: problem_doc("no valid token")},
)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=AttachmentCreated,
    openapi_extra=_UPLOAD_BODY,
    responses={
        400: problem_doc("the multipart body is malformed"),
        413: problem_doc("the file is over the size limit; nothing stored"),
        415: problem_doc("a type not allowed, or bytes contradicting the declared type"),
        422: problem_doc("no `file` field, or an empty file"),
    },
)
async def upload(request: Request, identity: CurrentIdentity) -> Any:
    """Store one file (multipart field `file`); its type is decided from its bytes."""
    service = _service(request)
    try:
        part = await file_part(request, "file", max_file_bytes=service.attachments.policy.max_bytes)
        stored = await service.attachments.upload(
            brand_id=identity.brand,
            uploader=caller_of(identity),
            filename=part.filename,
            declared_type=part.content_type,
            chunks=part.chunks,
        )
    except UploadRejected as rejected:
        return _refused(rejected.status, rejected.detail)
    except MalformedUpload as malformed:
        return _refused(malformed.status, malformed.detail)
    return AttachmentCreated(
        attachment_id=stored.attachment_id,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )


def _refused(status: int, detail: str) -> Any:
    errors = [{"field": "file", "message": detail}] if status == 422 else None
    # The rest of the body is not read: ask the client not to reuse the connection.
    return problem(status, detail, errors=errors, headers={"Connection": "close"})


@router.get(
    "/{attachment_id}",
    response_class=StreamingResponse,
    # Who may read it comes from ticket events: wait until the one the caller wrote is applied.
    dependencies=[Depends(min_position(_referenced))],
    responses={
        200: {"description": "the bytes, with the stored content type", "content": {"*/*": {}}},
        307: {"description": "to a short-lived signed URL of the bytes, if downloads redirect"},
        400: problem_doc("X-Min-Position is not a non-negative integer"),
        404: problem_doc("no such attachment, or not one the caller may read"),
        503: problem_doc("X-Min-Position not reached in time; `Retry-After: 1`"),
    },
)
async def download(attachment_id: str, identity: CurrentIdentity, service: AttachmentsDep) -> Any:
    """The attachment's bytes, if the caller uploaded it or may see a ticket that carries it."""
    found = await service.attachments.download(
        brand_id=identity.brand, caller=caller_of(identity), attachment_id=attachment_id
    )
    if found is None:  # unknown, malformed and not allowed are the same 404
        raise HTTPException(404, "No such attachment.")
    a = found.attachment
    if service.download_link is not None:
        # Authorised and present: the object store serves the bytes itself.
        aclose = getattr(found.chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        link = await service.download_link(a)
        return RedirectResponse(link, 307, headers={"Cache-Control": "private, no-store"})
    return StreamingResponse(
        found.chunks,
        media_type=a.content_type,
        headers={
            "Content-Length": str(a.size),
            "Content-Disposition": content_disposition(a.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "ETag": f'"{a.sha256}"',
        },
    )


def attach(app: FastAPI, service: AttachmentsService) -> None:
    """Serve the attachment routes from `app` (its own or the embedded one). The app must
    exempt `ATTACHMENTS_PREFIX` from its body limit."""
    app.state.attachments = service
    app.include_router(router)


def create_app(service: AttachmentsService, *, verifier: TokenVerifier | None = None) -> FastAPI:
    """The attachments service alone as an ASGI app: it runs its consumer while it serves."""

    app = build_service_app(
        title="Ticketing: attachments",
        service="attachments",
        runs=service,
        token_verifier=verifier or verifier_from(service.settings),
        max_body_bytes=service.settings.max_body_bytes,
        body_limit_exempt=(ATTACHMENTS_PREFIX,),
    )
    attach(app, service)
    attach_internal(app, service)  # the tickets and query services' questions, over HTTP
    return app
