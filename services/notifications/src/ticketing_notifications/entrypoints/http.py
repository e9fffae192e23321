"""The notifications API (API.md, Notifications): the in-app list, read flags, the SSE stream,
the customer's channel preferences, and (admins) dead letters and unconfirmed sends.

Every GET honours `X-Min-Position`: it waits until this service's consumer has applied the
position (the stream waits before it starts), so a client sees the notifications of its own
writes at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from ticketing_model import Scope
from ticketing_web import CurrentIdentity, Identity, TokenVerifier, build_service_app, problem
from ticketing_web.auth import bearer_token
from ticketing_web.problems import problem_doc
from ticketing_web.read_your_writes import HEADER, min_position, require_position
from ticketing_web.settings import verifier_from

from ticketing_notifications.application.inbox import NotAllowed
from ticketing_notifications.application.ports import Viewer
from ticketing_notifications.bootstrap import NotificationsService

from . import stream
from .schemas import (
    CursorText,
    DeadLetterOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    UnconfirmedOut,
    dead_letter_of,
    decode_cursor,
    encode_cursor,
    item_of,
    preferences_of,
    unconfirmed_of,
)

router = APIRouter(
    prefix="/v1/notifications", tags=["notifications"], responses={401: problem_doc("no token")}
)
_FORBIDDEN: dict[int | str, dict[str, Any]] = {403: problem_doc("not for the caller's role")}
_AT_POSITION: dict[int | str, dict[str, Any]] = {
    400: problem_doc("X-Min-Position is not a non-negative integer"),
    503: problem_doc("X-Min-Position not reached in time; `Retry-After: 1`"),
}


def _service(request: Request) -> NotificationsService:
    service: NotificationsService = request.app.state.notifications
    return service


async def notifications_service(request: Request) -> NotificationsService:
    """The notifications service this app serves (set by `attach`)."""
    return _service(request)


NotificationsDep = Annotated[NotificationsService, Depends(notifications_service)]


async def _consumed(request: Request, position: int) -> bool:
    service = _service(request)
    return await service.subscription.wait_for(position, service.settings.min_position_wait_seconds)


#: On every GET (only reads wait: a command's X-Min-Position would mean nothing).
_APPLIED = [Depends(min_position(_consumed))]


def viewer_of(identity: Identity) -> Viewer:
    """Whose notifications the caller sees: those of the tickets its Scope admits now (a
    customer its own; a representative its customers'; an agent its departments', all without
    a claim; an admin the whole brand's)."""
    scope = Scope.for_identity(
        role=identity.role,
        sub=identity.sub,
        brand=identity.brand,
        departments=identity.departments,
        customers=identity.customers,
    )
    return Viewer.of(scope, identity.sub)


@router.get("", response_model=NotificationPage, dependencies=_APPLIED, responses=_AT_POSITION)
async def list_notifications(
    identity: CurrentIdentity,
    service: NotificationsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[CursorText, Query(description="`next_cursor` of the previous page")] = None,
    unread: Annotated[bool, Query(description="true: only the caller's unread items")] = False,
) -> NotificationPage:
    """The caller's notifications, newest first, a page at a time, with the unread total."""
    before = decode_cursor(cursor) if cursor is not None else None
    page = await service.inbox.page(
        viewer_of(identity), limit=limit, before=before, unread_only=unread
    )
    return NotificationPage(
        items=[item_of(i) for i in page.items],
        next_cursor=encode_cursor(page.next_before) if page.next_before is not None else None,
        unread_count=page.unread_count,
    )


@router.post("/read-all")
async def read_all(identity: CurrentIdentity, service: NotificationsDep) -> dict[str, bool]:
    """Mark every notification of the caller read."""
    await service.inbox.mark_all_read(viewer_of(identity))
    return {"read": True}


@router.post("/{notification_id}/read", responses={404: problem_doc("no such notification")})
async def read_one(
    notification_id: str, identity: CurrentIdentity, service: NotificationsDep
) -> dict[str, Any]:
    """Mark one notification read (for the caller: agents each have their own read flags)."""
    if not await service.inbox.mark_read(viewer_of(identity), notification_id):
        raise HTTPException(404, "No such notification.")
    return {"notification_id": notification_id, "read": True}


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


async def _stream_identity(
    request: Request,
    access_token: Annotated[
        str | None, Query(description="the token, for EventSource clients that cannot set headers")
    ] = None,
) -> Identity:
    verifier = _verifier(request)
    if access_token and not request.headers.get("authorization"):
        return await verifier.verify(access_token)
    return await verifier.verify(bearer_token(request))


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **_AT_POSITION},
)
async def notification_stream(
    request: Request,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    access_token: Annotated[str | None, Query()] = None,
    x_min_position: Annotated[
        str | None,
        Header(alias=HEADER, description="wait (at most 5 s) before the stream starts, else 503"),
    ] = None,
) -> StreamingResponse:
    """Server-Sent Events of the caller's new notifications; `Last-Event-ID` resumes."""
    identity = await _stream_identity(request, access_token)
    # Its own token check (a query-string token is allowed here), so no router dependency.
    await require_position(request, x_min_position, _consumed)
    service = _service(request)
    viewer = viewer_of(identity)
    after = await stream.start_after(service.store, viewer, last_event_id)
    body = stream.events(
        request,
        store=service.store,
        viewer=viewer,
        after=after,
        wake=service.items_added,
        poll=service.settings.sse_poll_seconds,
        heartbeat=service.settings.sse_heartbeat_seconds,
        until=_verifier(request).usable_until(identity),
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


@router.get(
    "/preferences",
    response_model=PreferencesOut,
    dependencies=_APPLIED,
    responses={**_FORBIDDEN, **_AT_POSITION},
)
async def get_preferences(identity: CurrentIdentity, service: NotificationsDep) -> PreferencesOut:
    """The customer's channels (none stored: in-app only)."""
    return preferences_of(
        await service.inbox.preferences(
            role=identity.role, brand_id=identity.brand, customer_id=identity.sub
        )
    )


@router.put("/preferences", response_model=PreferencesOut, responses=_FORBIDDEN)
async def put_preferences(
    body: PreferencesIn, identity: CurrentIdentity, service: NotificationsDep
) -> PreferencesOut | Response:
    """Set the customer's channels; email needs `email_address`, SMS needs `phone`."""
    service.inbox.require_customer(identity.role)  # a refusal before any complaint about fields
    missing = body.missing()
    if missing:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in missing)
        return problem(422, detail, title="Validation failed", errors=missing)
    preferences = body.to_preferences()
    await service.inbox.save_preferences(
        role=identity.role,
        brand_id=identity.brand,
        customer_id=identity.sub,
        preferences=preferences,
    )
    return preferences_of(preferences)


@router.get(
    "/dead-letters",
    response_model=list[DeadLetterOut],
    dependencies=_APPLIED,
    responses={**_FORBIDDEN, **_AT_POSITION},
)
async def dead_letters(
    identity: CurrentIdentity,
    service: NotificationsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeadLetterOut]:
    """Emails and SMS given up on after every attempt failed, newest first, with the reason."""
    found = await service.inbox.dead_letters(
        role=identity.role, brand_id=identity.brand, limit=limit
    )
    return [dead_letter_of(d) for d in found]


@router.get(
    "/unconfirmed",
    response_model=list[UnconfirmedOut],
    dependencies=_APPLIED,
    responses={**_FORBIDDEN, **_AT_POSITION},
)
async def unconfirmed(identity: CurrentIdentity, service: NotificationsDep) -> list[UnconfirmedOut]:
    """Sends claimed but never confirmed (a crash mid-send): never resent blindly."""
    found = await service.inbox.unconfirmed(role=identity.role, brand_id=identity.brand)
    return [unconfirmed_of(u) for u in found]


def attach(app: FastAPI, service: NotificationsService) -> None:
    """Serve the notification routes from `app` (its own or the embedded one)."""
    app.state.notifications = service
    app.include_router(router)
    app.add_exception_handler(NotAllowed, _not_allowed)


async def _not_allowed(_: Request, exc: Exception) -> Response:
    return problem(403, str(exc))


def create_app(service: NotificationsService, *, verifier: TokenVerifier | None = None) -> FastAPI:
    """The notifications service alone as an ASGI app: it consumes and sends while it serves."""

    app = build_service_app(
        title="Ticketing: notifications",
        service="notifications",
        runs=service,
        token_verifier=verifier or verifier_from(service.settings),
        max_body_bytes=service.settings.max_body_bytes,
    )
    attach(app, service)
    return app
