"""What the tickets routes take from a request: the service, the caller (from the token), a
ticket id from the path and an expected version from If-Match."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from ticketing_contracts.topics import is_ticket_id
from ticketing_web import Identity

from ticketing_tickets.application.commands import Caller
from ticketing_tickets.bootstrap import TicketsService
from ticketing_tickets.domain import Actor, Role

#: A bare or quoted version, ASCII digits only (`\d` also takes Persian ones), blanks around.
_IF_MATCH = re.compile(r'[ \t]*(?:W/)?"?([0-9]{1,18})"?[ \t]*')
IfMatch = Annotated[str | None, Header(alias="If-Match", description="expected ticket version")]


def service_of(request: Request) -> TicketsService:
    service: TicketsService = request.app.state.tickets
    return service


async def tickets_service(request: Request) -> TicketsService:
    """The tickets service this app serves (set by `attach`)."""
    return service_of(request)


#: The service, for routes that need nothing else of the request. The command routes read the
#: request anyway (correlation id, Idempotency-Key, body) and call `service_of` instead: one more
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
