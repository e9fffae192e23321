"""The tickets command API (API.md, Commands; History). HTTP only turns requests into commands."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from ticketing_contracts.topics import is_ticket_id
from ticketing_web import CurrentIdentity, Identity, TokenVerifier, build_app, problem
from ticketing_web.problems import problem_doc
from ticketing_web.read_your_writes import min_position
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
from ticketing_tickets.domain import UNSET, Actor, FieldError, Forbidden, Role, ValidationFailed

from .idempotent import derived_id, domain_problem, idempotency_scope, run_command
from .schemas import (
    CatalogResponse,
    ChangeTicketRequest,
    CloseTicketRequest,
    LabelledCode,
    OpenedResponse,
    OpenTicketRequest,
    PostedResponse,
    PostMessageRequest,
    WrittenResponse,
)

#: A bare or quoted version, ASCII digits only (`\d` also takes Persian ones), blanks around.
_IF_MATCH = re.compile(r'[ \t]*(?:W/)?"?([0-9]{1,18})"?[ \t]*')
IfMatch = Annotated[str | None, Header(alias="If-Match", description="expected ticket version")]


async def _stored(request: Request, position: int) -> bool:
    """Reads here come straight from the store: a position is applied once the store has it."""
    history = _service(request).history
    deadline = time.monotonic() + MIN_POSITION_WAIT_SECONDS
    while await history.head() < position:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


MIN_POSITION_WAIT_SECONDS = 5.0
#: Positions are SQLite integers (and KurrentDB commit positions): at most 2**63 - 1.
MAX_POSITION = 2**63 - 1
router = APIRouter(prefix="/v1")
# Only the GETs wait: a command's X-Min-Position would mean nothing.
reads = APIRouter(prefix="/v1", dependencies=[Depends(min_position(_stored))])


def _service(request: Request) -> TicketsService:
    service: TicketsService = request.app.state.tickets
    return service


async def tickets_service(request: Request) -> TicketsService:
    """The tickets service this app serves (set by `attach`)."""
    return _service(request)


#: The service, for routes that need nothing else of the request. The command routes read the
#: request anyway (correlation id, Idempotency-Key, body) and call `_service` instead: one more
#: dependency costs each command ~5-15 µs of CPU (measured), on the path cmdperf speeds up.
TicketsDep = Annotated[TicketsService, Depends(tickets_service)]


def caller_of(request: Request, identity: Identity) -> Caller:
    actor = Actor(
        id=identity.sub,
        role=Role(identity.role),
        departments=frozenset(identity.departments) if identity.departments is not None else None,
        customers=frozenset(identity.customers),
        name=identity.name,
    )
    return Caller(identity.brand, actor, request.state.correlation_id)


def ticket_id_of(raw: str) -> str:
    """A malformed id is as unknown as a missing ticket: 404, never a hint."""
    if not is_ticket_id(raw):
        raise HTTPException(404, "No such ticket.")
    return raw


def version_of(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = _IF_MATCH.fullmatch(if_match)
    if not found:
        raise HTTPException(400, "If-Match must be a ticket version: a bare or quoted integer.")
    return int(found.group(1))


@router.post("/tickets", status_code=201, response_model=OpenedResponse, tags=["tickets"])
async def open_ticket(
    body: OpenTicketRequest, request: Request, identity: CurrentIdentity
) -> Response:
    """Open a ticket (the customer's own, or for a customer by a representative or agent)."""
    service = _service(request)
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
    service = _service(request)
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
    service = _service(request)
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
    service = _service(request)
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
    service = _service(request)
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
    service = _service(request)
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
    service = _service(request)

    async def act() -> WrittenResponse:
        written = await handle(caller_of(request, identity))
        return WrittenResponse(version=written.version, position=written.position)

    scope = idempotency_scope(request, identity)
    return await run_command(
        request, identity, service.idempotency, scope, 200, act, clock=service.clock
    )


@reads.get("/departments", response_model=CatalogResponse, tags=["catalogue"])
async def departments(identity: CurrentIdentity, tickets: TicketsDep) -> CatalogResponse:
    """The caller's brand's departments and request types, with their Persian labels."""
    catalog = tickets.catalogs.catalog_for(identity.brand)
    return CatalogResponse(
        departments=[LabelledCode(code=k, label=v) for k, v in catalog.departments.items()],
        request_types=[LabelledCode(code=k, label=v) for k, v in catalog.request_types.items()],
    )


@reads.get(
    "/events",
    tags=["history"],
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}}},
        403: problem_doc("only the brand's admins may read its history"),
    },
)
async def events(
    identity: CurrentIdentity,
    tickets: TicketsDep,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The brand's event envelopes in global order after `after` (admins only), as NDJSON."""
    try:
        envelopes = await tickets.history.envelopes(
            brand_id=identity.brand, role=identity.role, after=after, limit=limit
        )
    except Forbidden as refused:
        return problem(403, str(refused))
    lines = "".join(
        json.dumps(envelope, ensure_ascii=False, separators=(",", ":")) + "\n"
        for envelope in envelopes
    )
    return Response(lines, media_type="application/x-ndjson")


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
