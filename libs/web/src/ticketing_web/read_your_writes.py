"""`X-Min-Position` (API.md, read-your-writes) as one FastAPI dependency for any service.

A write answers with the global position of its last event; a read carrying that position waits
(at most a few seconds) until what serves it has applied the position, else 503 `Retry-After: 1`.
What "applied" means is the service's: the query side asks its projector, the command side its
event store.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, HTTPException, Request

from .auth import CurrentIdentity

#: Whether `position` is applied, waiting up to the service's bound; False if it never came.
Reached = Callable[[Request, int], Awaitable[bool]]

_POSITION = re.compile(r"^\s*([0-9]{1,18})\s*$")
HEADER = "X-Min-Position"


def parse_min_position(value: str) -> int:
    """The header's position; 400 unless it is a non-negative integer (ASCII digits)."""
    found = _POSITION.match(value)
    if not found:
        raise HTTPException(400, f"{HEADER} must be a non-negative integer position.")
    return int(found.group(1))


def min_position(reached: Reached) -> Callable[..., Awaitable[None]]:
    """A router dependency that enforces X-Min-Position with `reached`."""

    async def dependency(
        request: Request,
        identity: CurrentIdentity,  # authenticate first: only callers may hold a request open
        x_min_position: Annotated[
            str | None,
            Header(
                alias=HEADER,
                description="wait (at most 5 s) until this global position is applied, else 503",
            ),
        ] = None,
    ) -> None:
        """Read-your-writes: wait until the position a write returned is applied here."""
        if x_min_position is None:
            return
        position = parse_min_position(x_min_position)
        if not await reached(request, position):
            raise HTTPException(
                503, f"Position {position} is not applied here yet.", headers={"Retry-After": "1"}
            )

    return dependency
