"""The query API (API.md, Queries): lists, details, tracking-code lookup, counters.

Every route here honours `X-Min-Position` (read-your-writes) through one router dependency.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import (
    AfterValidator,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from ticketing_contracts.topics import is_ticket_id
from ticketing_model import LABELS, Scope
from ticketing_web import CurrentIdentity, Identity, TokenVerifier, build_service_app, problem
from ticketing_web.problems import problem_doc
from ticketing_web.read_your_writes import min_position
from ticketing_web.settings import verifier_from

from ticketing_query.application.ports import AttachmentsUnavailable, TicketFilter
from ticketing_query.application.queries import Detail
from ticketing_query.bootstrap import QueryService
from ticketing_query.domain.search import query_terms

from .cursors import checked_cursor, decode_cursor, encode_cursor
from .metrics import RefreshBeforeScrape, register
from .schemas import (
    CountersResponse,
    TicketDetail,
    TicketPage,
    counters_of,
    detail_of,
    ticket_of,
)


def _service(request: Request) -> QueryService:
    service: QueryService = request.app.state.query
    return service


async def query_service(request: Request) -> QueryService:
    """The query service this app serves (set by `attach`)."""
    return _service(request)


QueryDep = Annotated[QueryService, Depends(query_service)]


async def _projected(request: Request, position: int) -> bool:
    service = _service(request)
    return await service.subscription.wait_for(position, service.settings.min_position_wait_seconds)


router = APIRouter(
    prefix="/v1",
    tags=["queries"],
    dependencies=[Depends(min_position(_projected))],
    responses={
        400: problem_doc("X-Min-Position is not a non-negative integer"),
        401: problem_doc("no valid token"),
        503: problem_doc("X-Min-Position not reached in time; `Retry-After: 1`"),
    },
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem_doc("no such ticket, or not one the caller may see")
}


def scope_of(identity: Identity) -> Scope:
    return Scope.for_identity(
        role=identity.role,
        sub=identity.sub,
        brand=identity.brand,
        departments=identity.departments,
        customers=identity.customers,
    )


def _status_codes(codes: object, parse: ValidatorFunctionWrapHandler) -> list[int]:
    # One error naming `status` itself (not `status.0`), whatever the bad value is.
    try:
        parsed: list[int] = parse(codes)
    except ValidationError:
        parsed = [0]
    if any(c not in LABELS for c in parsed):
        raise ValueError("status codes are 1..8")
    return parsed


StatusCodes = Annotated[
    list[int],
    Query(description="status code 1..8; repeat for several"),
    WrapValidator(_status_codes),
]
CursorText = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page (opaque)"),
    AfterValidator(checked_cursor),
]


@router.get("/tickets", response_model=TicketPage)
async def list_tickets(
    identity: CurrentIdentity,
    service: QueryDep,
    status: StatusCodes = [],  # noqa: B006 - FastAPI copies defaults per request
    unread: bool | None = None,
    department: str | None = None,
    priority: Literal["low", "normal", "high", "urgent"] | None = None,
    closed: bool | None = None,
    assignee: Annotated[str | None, Query(description="a user id, or `me`")] = None,
    q: Annotated[str | None, Query(max_length=500, description="words to search")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: CursorText = None,
) -> TicketPage:
    """The caller's tickets, newest activity first, filtered and searched, a page at a time."""
    scope = scope_of(identity)
    where = TicketFilter(
        statuses=frozenset(status),
        unread=unread,
        department=department,
        priority=priority,
        closed=closed,
        assignee=identity.sub if assignee == "me" else assignee,
        terms=query_terms(q) if q else (),
    )
    after = decode_cursor(cursor) if cursor is not None else None
    page = await service.queries.page(scope, where, limit=limit, after=after)
    catalog = service.catalogs.catalog_for(identity.brand)
    return TicketPage(
        items=[ticket_of(v, scope.side, catalog) for v in page.items],
        next_cursor=encode_cursor(page.next_after) if page.next_after else None,
    )


@router.get("/tickets/by-tracking-code/{code}", response_model=TicketDetail, responses=_NOT_FOUND)
async def ticket_by_tracking_code(
    code: str, identity: CurrentIdentity, service: QueryDep
) -> TicketDetail:
    """The ticket with this tracking code (Persian digits, spaces and hyphens accepted)."""
    scope = scope_of(identity)
    return _shown(service, await service.queries.by_tracking_code(scope, code), scope)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail, responses=_NOT_FOUND)
async def ticket(ticket_id: str, identity: CurrentIdentity, service: QueryDep) -> TicketDetail:
    """One ticket with its messages, oldest first (internal notes for the agent side only)."""
    scope = scope_of(identity)
    found = None
    if is_ticket_id(ticket_id):
        found = await service.queries.detail(scope, ticket_id)
    return _shown(service, found, scope)


@router.get("/counters", response_model=CountersResponse)
async def counters(identity: CurrentIdentity, service: QueryDep) -> CountersResponse:
    """The sidebar counters of the caller's tickets, from the caller's side."""
    return counters_of(await service.queries.counters(scope_of(identity)))


def _shown(service: QueryService, found: Detail | None, scope: Scope) -> TicketDetail:
    # Invisible, unknown and malformed are all the same 404: nothing hints that it exists.
    if found is None:
        raise HTTPException(404, "No such ticket.")
    return detail_of(found, scope.side, service.catalogs.catalog_for(found.ticket.brand_id))


def attach(app: FastAPI, service: QueryService) -> None:
    """Serve the query routes and projection metrics from `app` (its own or the embedded one)."""
    app.state.query = service
    app.include_router(router)
    app.add_exception_handler(AttachmentsUnavailable, _attachments_unavailable)
    register(app.state.metrics.registry, service.subscription)
    app.add_middleware(RefreshBeforeScrape, subscription=service.subscription)


async def _attachments_unavailable(_: Request, exc: Exception) -> Response:
    return problem(
        503, f"Attachments cannot be described now: {exc}.", headers={"Retry-After": "1"}
    )


def create_app(service: QueryService, *, verifier: TokenVerifier | None = None) -> FastAPI:
    """The query service alone as an ASGI app: it runs its projector while it serves."""

    app = build_service_app(
        title="Ticketing: queries",
        service="query",
        runs=service,
        token_verifier=verifier or verifier_from(service.settings),
        max_body_bytes=service.settings.max_body_bytes,
    )
    attach(app, service)
    return app
