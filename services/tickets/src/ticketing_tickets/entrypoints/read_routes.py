"""The tickets service's read routes: the brand's catalogue and its history (`/v1/events`).
Reads come straight from the store, so `X-Min-Position` waits for the store's head."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from ticketing_web import CurrentIdentity, problem
from ticketing_web.problems import problem_doc
from ticketing_web.read_your_writes import min_position

from ticketing_tickets.domain import Forbidden

from .request_values import TicketsDep, service_of
from .schemas import CatalogResponse, LabelledCode


async def _stored(request: Request, position: int) -> bool:
    """Reads here come straight from the store: a position is applied once the store has it."""
    history = service_of(request).history
    deadline = time.monotonic() + MIN_POSITION_WAIT_SECONDS
    while await history.head() < position:
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


MIN_POSITION_WAIT_SECONDS = 5.0
#: Positions are SQLite integers (and KurrentDB commit positions): at most 2**63 - 1.
MAX_POSITION = 2**63 - 1
# Only the GETs wait: a command's X-Min-Position would mean nothing.
reads = APIRouter(prefix="/v1", dependencies=[Depends(min_position(_stored))])


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
