"""The tickets command API (API.md, Commands) and the app serving it with the read routes
(`read_routes.py`: catalogue, History). HTTP only turns requests into commands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from ticketing_web import CurrentIdentity, Identity, TokenVerifier, build_app, problem
from ticketing_web.settings import verifier_from

from ticketing_tickets.application.commands import (
    Caller,
    ChangeTicket,
    CloseTicket,
    OpenTicket,
    PostMessage,
    ReadTicket,
    ReopenTicket,
    Written,
)
from ticketing_tickets.application.ports import AttachmentsUnavailable
from ticketing_tickets.bootstrap import TicketsService
from ticketing_tickets.domain import UNSET, FieldError, ValidationFailed

from .idempotent import derived_id, domain_problem, idempotency_scope, run_command
from .read_routes import reads
from .request_values import IfMatch, caller_of, service_of, ticket_id_of, version_of
from .schemas import (
    ChangeTicketRequest,
    CloseTicketRequest,
    OpenedResponse,
    OpenTicketRequest,
    PostedResponse,
    PostMessageRequest,
    WrittenResponse,
)

router = APIRouter(prefix="/v1")


@router.post("/tickets", status_code=201, response_model=OpenedResponse, tags=["tickets"])
async def open_ticket(
    body: OpenTicketRequest, request: Request, identity: CurrentIdentity
) -> Response:
    """Open a ticket (the customer's own, or for a customer by a representative or agent)."""
    service = service_of(request)
    scope = idempotency_scope(request, identity)
    cmd = OpenTicket(
        title=body.title,
        department=body.department,
        priority=body.priority,
        body=body.body,
        request_type=body.request_type,
        attachment_ids=tuple(body.attachment_ids),
        customer_id=body.customer_id,
        ticket_id=derived_id(scope),
    )

    async def act() -> OpenedResponse:
        opened = await service.handlers.open_ticket(caller_of(request, identity), cmd)
        return OpenedResponse(
            ticket_id=opened.ticket_id,
            tracking_code=opened.tracking_code,
            version=opened.version,
            position=opened.position,
        )

    return await run_command(
        request, identity, service.idempotency, scope, 201, act, clock=service.clock
    )


@router.post(
    "/tickets/{ticket_id}/messages",
    status_code=201,
    response_model=PostedResponse,
    tags=["tickets"],
)
async def post_message(
    ticket_id: str,
    body: PostMessageRequest,
    request: Request,
    identity: CurrentIdentity,
    if_match: IfMatch = None,
) -> Response:
    """Post a message; agents may mark it `follow_up` or make it an `internal` note."""
    service = service_of(request)
    scope = idempotency_scope(request, identity)
    cmd = PostMessage(
        ticket_id=ticket_id_of(ticket_id),
        body=body.body,
        attachment_ids=tuple(body.attachment_ids),
        follow_up=body.follow_up,
        internal=body.internal,
        message_id=derived_id(scope),
        if_match=version_of(if_match),
    )

    async def act() -> PostedResponse:
        posted = await service.handlers.post_message(caller_of(request, identity), cmd)
        return PostedResponse(
            message_id=posted.message_id, version=posted.version, position=posted.position
        )

    return await run_command(
        request, identity, service.idempotency, scope, 201, act, clock=service.clock
    )


@router.post("/tickets/{ticket_id}/read", response_model=WrittenResponse, tags=["tickets"])
async def read_ticket(
    ticket_id: str, request: Request, identity: CurrentIdentity, if_match: IfMatch = None
) -> Response:
    """Record that the caller read the ticket (CustomerRead or AgentViewed by side)."""
    service = service_of(request)
    cmd = ReadTicket(ticket_id=ticket_id_of(ticket_id), if_match=version_of(if_match))
    return await _written(request, identity, lambda c: service.handlers.read_ticket(c, cmd))


@router.post("/tickets/{ticket_id}/close", response_model=WrittenResponse, tags=["tickets"])
async def close_ticket(
    ticket_id: str,
    request: Request,
    identity: CurrentIdentity,
    body: CloseTicketRequest | None = None,
    if_match: IfMatch = None,
) -> Response:
    """Close the ticket, optionally with a reason."""
    service = service_of(request)
    cmd = CloseTicket(
        ticket_id=ticket_id_of(ticket_id),
        reason=body.reason if body else None,
        if_match=version_of(if_match),
    )
    return await _written(request, identity, lambda c: service.handlers.close_ticket(c, cmd))


@router.post("/tickets/{ticket_id}/reopen", response_model=WrittenResponse, tags=["tickets"])
async def reopen_ticket(
    ticket_id: str, request: Request, identity: CurrentIdentity, if_match: IfMatch = None
) -> Response:
    """Reopen a closed ticket."""
    service = service_of(request)
    cmd = ReopenTicket(ticket_id=ticket_id_of(ticket_id), if_match=version_of(if_match))
    return await _written(request, identity, lambda c: service.handlers.reopen_ticket(c, cmd))


@router.patch("/tickets/{ticket_id}", response_model=WrittenResponse, tags=["tickets"])
async def change_ticket(
    ticket_id: str,
    body: ChangeTicketRequest,
    request: Request,
    identity: CurrentIdentity,
    if_match: IfMatch = None,
) -> Response:
    """Transfer, reprioritise or (un)assign a ticket: agents and admins only."""
    service = service_of(request)
    sent = body.model_fields_set
    nulls = [
        FieldError(f, "must not be null")
        for f in ("department", "priority")
        if f in sent and getattr(body, f) is None
    ]
    if nulls:
        return domain_problem(ValidationFailed(nulls))
    cmd = ChangeTicket(
        ticket_id=ticket_id_of(ticket_id),
        department=body.department if body.department is not None else UNSET,
        priority=body.priority if body.priority is not None else UNSET,
        assignee_id=body.assignee_id if "assignee_id" in sent else UNSET,
        if_match=version_of(if_match),
    )
    return await _written(request, identity, lambda c: service.handlers.change_ticket(c, cmd))


async def _written(
    request: Request, identity: Identity, handle: Callable[[Caller], Awaitable[Written]]
) -> Response:
    service = service_of(request)

    async def act() -> WrittenResponse:
        written = await handle(caller_of(request, identity))
        return WrittenResponse(version=written.version, position=written.position)

    scope = idempotency_scope(request, identity)
    return await run_command(
        request, identity, service.idempotency, scope, 200, act, clock=service.clock
    )


def attach(app: FastAPI, service: TicketsService) -> None:
    """Serve the tickets routes from `app` (its own, or the embedded process's shared one)."""
    app.state.tickets = service
    app.include_router(router)
    app.include_router(reads)
    app.add_exception_handler(AttachmentsUnavailable, _attachments_unavailable)


async def _attachments_unavailable(_: Request, exc: Exception) -> Response:
    # Raised, not answered, inside run_command: an Idempotency-Key retry must run it again.
    return problem(503, f"Attachments cannot be checked now: {exc}.", headers={"Retry-After": "1"})


async def is_ready(service: TicketsService) -> bool:
    try:
        await service.store.head_position()
    except Exception:  # any failure means not ready
        return False
    return True


def create_app(service: TicketsService, *, verifier: TokenVerifier | None = None) -> FastAPI:
    """The tickets service alone as an ASGI app; its stores close with the app."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await service.close()

    app = build_app(
        title="Ticketing: tickets (commands)",
        service="tickets",
        version="1",
        token_verifier=verifier or verifier_from(service.settings),
        max_body_bytes=service.settings.max_body_bytes,
        readiness=lambda: is_ready(service),
        lifespan=lifespan,
    )
    attach(app, service)
    return app
